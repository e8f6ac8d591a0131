/// Batch normalization over (N, H, W) per channel with scale γ and offset β (C), plus running statistics for
/// evaluation. Training normalizes with the batch's statistics and updates the running ones:
/// running ← momentum·running + (1 − momentum)·batch (the authors' decay 0.9).
public final class BatchNorm2D: Layer {
    public let scale: Variable
    public let offset: Variable
    public var runningMean: Tensor
    public var runningVariance: Tensor
    public let momentum: Float
    public let epsilon: Float

    public init(_ name: String, channels: Int, momentum: Float = 0.9, epsilon: Float = 1e-5, rng: inout RandomSource) {
        scale = makeParameter("\(name).scale", [channels], .constant(1), rng: &rng)
        offset = makeParameter("\(name).offset", [channels], .constant(0), rng: &rng)
        runningMean = Tensor(zeros: [channels])
        runningVariance = Tensor(zeros: [channels], value: 1)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var parameters: [Variable] { [scale, offset] }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        guard training else {
            return try batchNormInference(x, gamma: scale.value, beta: offset.value, mean: runningMean,
                                          variance: runningVariance, epsilon: epsilon)
        }
        let (y, mean, variance) = try batchNorm(x, gamma: scale, beta: offset, epsilon: epsilon)
        for c in 0..<runningMean.count {
            runningMean.storage[c] = momentum * runningMean.storage[c] + (1 - momentum) * mean.storage[c]
            runningVariance.storage[c] = momentum * runningVariance.storage[c] + (1 - momentum) * variance.storage[c]
        }
        return y
    }
}
