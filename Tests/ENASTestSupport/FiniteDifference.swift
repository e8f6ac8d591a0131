import ENASCore

/// A random tensor with entries in ±[low, high] (never near zero when low > 0), from a seeded stream.
public func randomTensor(_ shape: [Int], rng: inout RandomSource, low: Float = 0.1, high: Float = 1.0) -> Tensor {
    Tensor(shape: shape) {
        let magnitude = rng.uniform(low, high)
        return rng.nextFloat() < 0.5 ? -magnitude : magnitude
    }
}

/// Central-difference gradient check of `build` at `inputs`.
///
/// The scalar checked is L = Σ build(x) ⊙ R for a fixed random R (so every output element matters with a different
/// weight). Analytic gradients come from `backward()`; numeric ones perturb up to `samplesPerInput` coordinates of
/// each input by ±eps and evaluate L in Double. Returns a description of each mismatch (empty = pass).
public func gradientCheck(
    inputs: [Tensor], seed: UInt64 = 7, eps: Float = 1e-2, relativeTolerance: Float = 2e-2,
    absoluteTolerance: Float = 2e-3, samplesPerInput: Int = 24, build: ([Variable]) throws -> Variable
) throws -> [String] {
    var rng = RandomSource(seed: seed)
    let variables = inputs.map { Variable($0, requiresGrad: true) }
    let output = try build(variables)
    let weights = randomTensor(output.shape, rng: &rng, low: 0.5, high: 1.5)
    try sumAll(multiply(output, mask: weights)).backward()

    func loss(_ values: [Tensor]) throws -> Double {
        let out = try withoutGradients { try build(values.map { Variable($0) }) }
        return zip(out.value.storage, weights.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    var failures: [String] = []
    for (index, input) in inputs.enumerated() {
        let analytic = variables[index].grad ?? Tensor(zeros: input.shape)
        var coordinates = Array(0..<input.count)
        rng.shuffle(&coordinates)
        for j in coordinates.prefix(samplesPerInput) {
            var plus = inputs, minus = inputs
            plus[index].storage[j] += eps
            minus[index].storage[j] -= eps
            let numeric = Float((try loss(plus) - loss(minus)) / (2 * Double(eps)))
            let a = analytic.storage[j]
            if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                failures.append("input \(index) element \(j): analytic \(a), numeric \(numeric)")
            }
        }
    }
    return failures
}

/// Central-difference check of parameters that live inside a layer: each parameter's accumulated `grad` (from one
/// `backward()` the caller already ran) against perturbing every `stride`-th element in place and re-evaluating
/// `loss`. Returns mismatches (a parameter with no gradient is one). Values are restored afterwards.
public func parameterGradientCheck(
    _ parameters: [Variable], stride: Int = 5, eps: Float = 1e-2, relativeTolerance: Float = 3e-2,
    absoluteTolerance: Float = 2e-3, loss: () throws -> Double
) throws -> [String] {
    var failures: [String] = []
    for p in parameters {
        guard let grad = p.grad else { failures.append("\(p.name) received no gradient"); continue }
        for j in Swift.stride(from: 0, to: p.value.count, by: stride) {
            let saved = p.value.storage[j]
            p.value.storage[j] = saved + eps
            let plus = try loss()
            p.value.storage[j] = saved - eps
            let minus = try loss()
            p.value.storage[j] = saved
            let numeric = Float((plus - minus) / (2 * Double(eps)))
            if abs(numeric - grad.storage[j]) > absoluteTolerance + relativeTolerance * abs(numeric) {
                failures.append("\(p.name)[\(j)]: analytic \(grad.storage[j]), numeric \(numeric)")
            }
        }
    }
    return failures
}
