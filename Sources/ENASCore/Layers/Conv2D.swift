/// A dense K×K convolution without bias (always followed by batch norm in ENAS). Weight (O, C, K, K).
/// x (N, C, H, W) → (N, O, OH, OW).
public final class Conv2D: Layer {
    public let weight: Variable
    public let stride: Int
    public let padding: Int

    /// `padding` defaults to K/2 ("same" for odd K at stride 1).
    public init(_ name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                rng: inout RandomSource) {
        weight = makeParameter("\(name).weight", [outChannels, inChannels, kernel, kernel],
                               .heNormal(fanIn: inChannels * kernel * kernel), rng: &rng)
        self.stride = stride
        self.padding = padding ?? kernel / 2
    }

    public var parameters: [Variable] { [weight] }

    public func callAsFunction(_ x: Variable) throws -> Variable { try conv2d(x, weight, stride: stride, padding: padding) }
}
