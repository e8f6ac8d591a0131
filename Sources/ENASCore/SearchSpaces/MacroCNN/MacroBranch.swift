/// One operation of a macro layer (DESIGN §2): a 1×1 conv–BN–ReLU to the layer width, then the op: k×k
/// conv–BN–ReLU, depthwise k×k + pointwise–BN–ReLU, or a 3×3 pool at stride 1. x (N, C, H, W) → (N, F, H, W).
public final class MacroBranch: Layer {
    public let operation: MacroOperation
    let inputConv: Conv2D
    let inputNorm: BatchNorm2D
    let conv: Conv2D?
    let separable: SeparableConv2D?
    let outputNorm: BatchNorm2D?

    public init(_ name: String, operation: MacroOperation, inChannels: Int, width: Int, rng: inout RandomSource) {
        self.operation = operation
        inputConv = Conv2D("\(name).in_conv", inChannels: inChannels, outChannels: width, kernel: 1, rng: &rng)
        inputNorm = BatchNorm2D("\(name).in_bn", channels: width, rng: &rng)
        switch operation {
        case .conv3x3, .conv5x5:
            conv = Conv2D("\(name).conv", inChannels: width, outChannels: width, kernel: operation == .conv3x3 ? 3 : 5, rng: &rng)
            separable = nil
        case .separable3x3, .separable5x5:
            conv = nil
            separable = SeparableConv2D("\(name).sep", inChannels: width, outChannels: width, kernel: operation == .separable3x3 ? 3 : 5, rng: &rng)
        case .averagePool3x3, .maxPool3x3:
            (conv, separable) = (nil, nil)
        }
        outputNorm = conv != nil || separable != nil ? BatchNorm2D("\(name).bn", channels: width, rng: &rng) : nil
    }

    public var parameters: [Variable] {
        inputConv.parameters + inputNorm.parameters + (conv?.parameters ?? []) + (separable?.parameters ?? []) + (outputNorm?.parameters ?? [])
    }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        let h = relu(try inputNorm(try inputConv(x), training: training))
        switch operation {
        case .averagePool3x3: return try avgPool2d(h, kernel: 3, stride: 1, padding: 1)
        case .maxPool3x3: return try maxPool2d(h, kernel: 3, stride: 1, padding: 1)
        default:
            let y = try conv.map { try $0(h) } ?? separable!(h)
            return relu(try outputNorm!(y, training: training))
        }
    }
}
