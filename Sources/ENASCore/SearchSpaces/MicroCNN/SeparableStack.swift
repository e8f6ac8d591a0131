/// The micro space's separable-convolution operation: (ReLU, depthwise K×K, pointwise 1×1, BN) applied twice; the
/// first depthwise carries the stride (2 for a reduction cell's inputs in fixed mode). x (N, C, H, W) → (N, C, H', W').
public final class SeparableStack: Layer {
    let convs: [SeparableConv2D]
    let norms: [BatchNorm2D]

    public init(_ name: String, channels: Int, kernel: Int, stride: Int = 1, rng: inout RandomSource) {
        convs = (0..<2).map {
            SeparableConv2D("\(name).sep\($0)", inChannels: channels, outChannels: channels, kernel: kernel, stride: $0 == 0 ? stride : 1, rng: &rng)
        }
        norms = (0..<2).map { BatchNorm2D("\(name).bn\($0)", channels: channels, rng: &rng) }
    }

    public var parameters: [Variable] { zip(convs, norms).flatMap { $0.parameters + $1.parameters } }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        var h = x
        for (conv, norm) in zip(convs, norms) { h = try norm(try conv(h, rectifyingInput: true), training: training) }
        return h
    }
}
