/// ReLU, then a K×K convolution (1×1 by default), then batch norm: the authors' calibration unit that brings an
/// input to a cell's width, and the fixed macro layer's merge of concatenated skips. x (N, C, H, W) → (N, O, H', W').
public final class ReLUConvBN: Layer {
    let conv: Conv2D
    let norm: BatchNorm2D

    public init(_ name: String, inChannels: Int, outChannels: Int, kernel: Int = 1, stride: Int = 1, rng: inout RandomSource) {
        conv = Conv2D("\(name).conv", inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, rng: &rng)
        norm = BatchNorm2D("\(name).bn", channels: outChannels, rng: &rng)
    }

    public var parameters: [Variable] { conv.parameters + norm.parameters }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        try norm(try conv(relu(x)), training: training)
    }
}
