/// A small hand-designed image classifier: conv3×3–BN–ReLU, 2×2 max-pool, strided conv3×3–BN–ReLU,
/// separable conv3×3–BN–ReLU, global average pool, linear head. It is the reference point an ENAS-found network
/// should beat, the quickstart demo's model, and the end-to-end learning test's model.
/// Input (B, C, H, W) with H, W ≥ 4 → logits (B, classes).
public final class BaselineCNN: Layer {
    let conv1, conv2: Conv2D
    let bn1, bn2, bn3: BatchNorm2D
    let separable: SeparableConv2D
    let head: Linear

    /// `width` is the first conv's channel count; later layers use twice that.
    public init(inChannels: Int, classes: Int, width: Int = 16, rng: inout RandomSource) {
        conv1 = Conv2D("conv1", inChannels: inChannels, outChannels: width, kernel: 3, rng: &rng)
        bn1 = BatchNorm2D("bn1", channels: width, rng: &rng)
        conv2 = Conv2D("conv2", inChannels: width, outChannels: 2 * width, kernel: 3, stride: 2, rng: &rng)
        bn2 = BatchNorm2D("bn2", channels: 2 * width, rng: &rng)
        separable = SeparableConv2D("sep", inChannels: 2 * width, outChannels: 2 * width, kernel: 3, rng: &rng)
        bn3 = BatchNorm2D("bn3", channels: 2 * width, rng: &rng)
        head = Linear("head", inputs: 2 * width, outputs: classes, rng: &rng)
    }

    public var parameters: [Variable] {
        conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters + separable.parameters + bn3.parameters
            + head.parameters
    }

    public func logits(_ x: Variable, training: Bool) throws -> Variable {
        var h = relu(try bn1(try conv1(x), training: training))          // (B, w, H, W)
        h = try maxPool2d(h, kernel: 2, stride: 2, padding: 0)            // (B, w, H/2, W/2)
        h = relu(try bn2(try conv2(h), training: training))               // (B, 2w, H/4, W/4)
        h = relu(try bn3(try separable(h), training: training))           // (B, 2w, H/4, W/4)
        return try head(try globalAvgPool(h))                             // (B, classes)
    }
}

/// A model that maps a normalized image batch to class logits.
public protocol ImageClassifier: Layer {
    func logits(_ x: Variable, training: Bool) throws -> Variable
}

extension BaselineCNN: ImageClassifier {}
