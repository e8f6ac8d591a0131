/// Parameter initialization schemes, all drawn from a `RandomSource` (the "init" stream) so a seed fixes them.
public enum Initializer: Sendable {
    /// U(−scale, scale) — the authors' recurrent search (scale 0.1 / 0.04).
    case uniform(scale: Float)
    /// N(0, 2 / fanIn) — He et al., for ReLU convolution stacks (the authors' CNN children).
    case heNormal(fanIn: Int)
    /// U(±√(6 / (fanIn + fanOut))) — Glorot, for linear heads.
    case glorotUniform(fanIn: Int, fanOut: Int)
    /// A constant (BatchNorm scale 1, offsets 0).
    case constant(Float)

    /// A tensor of `shape` drawn from this scheme.
    public func tensor(_ shape: [Int], rng: inout RandomSource) -> Tensor {
        switch self {
        case .uniform(let s): Tensor(shape: shape) { rng.uniform(-s, s) }
        case .heNormal(let fanIn):
            Tensor(shape: shape) { rng.normal() * (2 / Float(max(1, fanIn))).squareRoot() }
        case .glorotUniform(let fanIn, let fanOut):
            Tensor(shape: shape) { [limit = (6 / Float(max(1, fanIn + fanOut))).squareRoot()] in rng.uniform(-limit, limit) }
        case .constant(let v): Tensor(zeros: shape, value: v)
        }
    }
}

/// A trainable leaf named `name`.
public func makeParameter(_ name: String, _ shape: [Int], _ initializer: Initializer, rng: inout RandomSource) -> Variable {
    Variable(initializer.tensor(shape, rng: &rng), requiresGrad: true, name: name)
}
