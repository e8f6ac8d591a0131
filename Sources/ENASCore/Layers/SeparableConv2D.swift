/// Depthwise K×K convolution (one filter per channel) then a pointwise 1×1 convolution, no bias.
/// Depthwise weight (C, 1, K, K), pointwise weight (O, C, 1, 1). x (N, C, H, W) → (N, O, OH, OW).
public final class SeparableConv2D: Layer {
    public let depthwise: Variable
    public let pointwise: Variable
    public let stride: Int
    public let padding: Int

    public init(_ name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                rng: inout RandomSource) {
        depthwise = makeParameter("\(name).depthwise", [inChannels, 1, kernel, kernel], .heNormal(fanIn: kernel * kernel), rng: &rng)
        pointwise = makeParameter("\(name).pointwise", [outChannels, inChannels, 1, 1], .heNormal(fanIn: inChannels), rng: &rng)
        self.stride = stride
        self.padding = padding ?? kernel / 2
    }

    public var parameters: [Variable] { [depthwise, pointwise] }

    /// `rectifyingInput`: the layer applied to relu(x), the ReLU fused into the depthwise convolution.
    public func callAsFunction(_ x: Variable, rectifyingInput: Bool = false) throws -> Variable {
        try separableConv2d(x, depthwise: depthwise, pointwise: pointwise, stride: stride, padding: padding,
                            rectifyingInput: rectifyingInput)
    }
}
