/// A fully connected layer y = x·W + b. W (in, out), b (out). x (R, in) → (R, out).
public final class Linear: Layer {
    public let weight: Variable
    public let bias: Variable?

    public init(_ name: String, inputs: Int, outputs: Int, bias: Bool = true, initializer: Initializer? = nil,
                rng: inout RandomSource) {
        weight = makeParameter("\(name).weight", [inputs, outputs],
                               initializer ?? .glorotUniform(fanIn: inputs, fanOut: outputs), rng: &rng)
        self.bias = bias ? makeParameter("\(name).bias", [outputs], .constant(0), rng: &rng) : nil
    }

    public var parameters: [Variable] { [weight] + (bias.map { [$0] } ?? []) }

    public func callAsFunction(_ x: Variable) throws -> Variable { try linear(x, weight, bias) }
}
