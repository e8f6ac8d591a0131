/// One LSTM layer step. W (I + H, 4H) over [x, h], b (4H); gate order (input, forget, candidate, output).
/// B = batch, I = input width, H = hidden size.
public final class LSTMCell: Layer {
    public let weight: Variable
    public let bias: Variable?
    public let hiddenSize: Int

    public init(_ name: String, inputSize: Int, hiddenSize: Int, bias: Bool = true, initializer: Initializer = .uniform(scale: 0.1),
                rng: inout RandomSource) {
        self.hiddenSize = hiddenSize
        weight = makeParameter("\(name).weight", [inputSize + hiddenSize, 4 * hiddenSize], initializer, rng: &rng)
        self.bias = bias ? makeParameter("\(name).bias", [4 * hiddenSize], .constant(0), rng: &rng) : nil
    }

    public var parameters: [Variable] { [weight] + (bias.map { [$0] } ?? []) }

    /// x (B, I), state h, c (B, H) → new (h, c).
    public func callAsFunction(_ x: Variable, state: (h: Variable, c: Variable)) throws -> (h: Variable, c: Variable) {
        let gates = try linear(try concat([x, state.h]), weight, bias)
        let hc = try lstmGates(gates, cell: state.c)
        return (try slice(hc, axis1: 0..<hiddenSize), try slice(hc, axis1: hiddenSize..<(2 * hiddenSize)))
    }

    /// The zero state for a batch of `batch`.
    public func zeroState(batch: Int) -> (h: Variable, c: Variable) {
        (Variable(Tensor(zeros: [batch, hiddenSize])), Variable(Tensor(zeros: [batch, hiddenSize])))
    }
}
