/// The authors' auxiliary classifier for retraining (Szegedy et al.'s, as ENAS's micro child): ReLU, 5×5 average
/// pool at stride 3 (valid), 1×1 conv to 128–BN–ReLU, a conv spanning the whole pooled map to 768–BN–ReLU, global
/// average pool, linear to the classes without bias. Its loss joins the main loss with weight 0.4 in training only.
/// The authors pad that full-map conv "SAME"; here it is valid (one output position), which holds the same
/// weights and sees the same inputs. x (N, C, H, W) with H, W ≥ 5 → logits (N, classes).
public final class AuxiliaryHead: Layer {
    let projection: Conv2D
    let projectionNorm: BatchNorm2D
    let spanning: Conv2D
    let spanningNorm: BatchNorm2D
    let classifier: Linear

    /// The pooled map's side for an input side `size`: ⌊(size − 5) / 3⌋ + 1.
    public static func pooledSize(_ size: Int) -> Int { (size - 5) / 3 + 1 }

    public init(_ name: String, inChannels: Int, height: Int, width: Int, classes: Int, rng: inout RandomSource) throws {
        try ensureArgument(height >= 5 && width >= 5,
                           "[auxiliary head] needs a map of at least 5×5 where it attaches, got \(height)×\(width)")
        let (ph, pw) = (Self.pooledSize(height), Self.pooledSize(width))
        try ensureArgument(ph == pw, "[auxiliary head] needs a square map, got \(height)×\(width)")
        projection = Conv2D("\(name).proj.conv", inChannels: inChannels, outChannels: 128, kernel: 1, rng: &rng)
        projectionNorm = BatchNorm2D("\(name).proj.bn", channels: 128, rng: &rng)
        spanning = Conv2D("\(name).span.conv", inChannels: 128, outChannels: 768, kernel: ph, padding: 0, rng: &rng)
        spanningNorm = BatchNorm2D("\(name).span.bn", channels: 768, rng: &rng)
        classifier = Linear("\(name).fc", inputs: 768, outputs: classes, bias: false, rng: &rng)
    }

    public var parameters: [Variable] {
        projection.parameters + projectionNorm.parameters + spanning.parameters + spanningNorm.parameters + classifier.parameters
    }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        var h = try avgPool2d(relu(x), kernel: 5, stride: 3, padding: 0)
        h = relu(try projectionNorm(try projection(h), training: training))
        h = relu(try spanningNorm(try spanning(h), training: training))
        return try classifier(try globalAvgPool(h))
    }
}
