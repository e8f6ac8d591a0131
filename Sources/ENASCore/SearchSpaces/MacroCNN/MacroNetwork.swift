/// A retrained macro CNN (fixed mode) built for one architecture, as the authors' fixed `general_child`: stem 3×3
/// conv–BN to F, then per layer exactly its operation's branch (the same branch types as the search); from layer 1
/// on, the selected skip inputs and the branch output are concatenated and merged by ReLU–1×1 conv–BN to the
/// layer width; after layers p−1 and 2p−1 (p = ⌊L/3⌋) the width doubles and every earlier output passes its own
/// factorized reduction. Optional auxiliary head after layer 2p; global average pool, dropout, linear head.
public final class MacroNetwork: RetrainableNetwork {
    public let architecture: MacroArchitecture
    public let regularization: RetrainRegularization
    let stem: Conv2D
    let stemNorm: BatchNorm2D
    let branches: [MacroBranch]
    /// merges[i] for i ≥ 1 (nil for layer 0).
    let merges: [ReLUConvBN?]
    let reductions: [Int: [FactorizedReduction]]
    let auxiliaryHead: AuxiliaryHead?
    let auxiliaryAfterLayer: Int
    let head: Linear
    public var progress = 0.0
    public var regularizationRNG = RandomSource(seed: 0)

    public init(architecture: MacroArchitecture, width: Int, inChannels: Int, imageSize: (height: Int, width: Int), classes: Int,
                auxiliaryHead: Bool = false, regularization: RetrainRegularization = .init(), rng: inout RandomSource) throws {
        try ensureArgument(width >= 2 && width % 2 == 0 && inChannels >= 1 && classes >= 2,
                           "[macro network] needs an even width ≥ 2, ≥ 1 input channel and ≥ 2 classes")
        try ensureArgument(regularization.headDropout >= 0 && regularization.headDropout < 1,
                           "[macro network] head_dropout must be in [0, 1)")
        (self.architecture, self.regularization) = (architecture, regularization)
        let layerCount = architecture.layers.count
        stem = Conv2D("stem.conv", inChannels: inChannels, outChannels: width, kernel: 3, rng: &rng)
        stemNorm = BatchNorm2D("stem.bn", channels: width, rng: &rng)
        let reductionLayers = SharedMacroNetwork.reductionLayers(layerCount)
        auxiliaryAfterLayer = reductionLayers.count == 2 ? reductionLayers[1] + 1 : layerCount
        var branches: [MacroBranch] = [], merges: [ReLUConvBN?] = [], reductions: [Int: [FactorizedReduction]] = [:]
        var aux: AuxiliaryHead?
        var (f, sizes) = (width, (imageSize.height, imageSize.width))
        for (i, layer) in architecture.layers.enumerated() {
            branches.append(MacroBranch("layer\(i).\(layer.operation.rawValue)", operation: layer.operation, inChannels: f, width: f, rng: &rng))
            let inputs = 1 + layer.skips.filter { $0 }.count
            merges.append(i == 0 ? nil : ReLUConvBN("layer\(i).merge", inChannels: inputs * f, outChannels: f, rng: &rng))
            if reductionLayers.contains(i) {
                reductions[i] = try (0...(i + 1)).map { try FactorizedReduction("reduce_after\(i).from\($0)", inChannels: f, outChannels: 2 * f, rng: &rng) }
                f *= 2
                sizes = ((sizes.0 + 1) / 2, (sizes.1 + 1) / 2)
            }
            if auxiliaryHead && i == auxiliaryAfterLayer {
                aux = try AuxiliaryHead("aux_head", inChannels: f, height: sizes.0, width: sizes.1, classes: classes, rng: &rng)
            }
        }
        try ensureArgument(!auxiliaryHead || aux != nil, "[macro network] an auxiliary head needs at least \(auxiliaryAfterLayer + 1) layers and two reductions")
        (self.branches, self.merges, self.reductions, self.auxiliaryHead) = (branches, merges, reductions, aux)
        head = Linear("head", inputs: f, outputs: classes, bias: false, rng: &rng)
    }

    public var parameters: [Variable] {
        stem.parameters + stemNorm.parameters + branches.indices.flatMap { branches[$0].parameters + (merges[$0]?.parameters ?? []) }
            + reductions.keys.sorted().flatMap { reductions[$0]!.flatMap(\.parameters) } + head.parameters + auxiliaryParameters
    }

    public var auxiliaryParameters: [Variable] { auxiliaryHead?.parameters ?? [] }

    public func forward(_ images: Variable, training: Bool) throws -> (logits: Variable, auxiliary: Variable?) {
        var outputs = [try stemNorm(try stem(images), training: training)]
        var auxiliary: Variable?
        for (i, layer) in architecture.layers.enumerated() {
            var y = try branches[i](outputs.last!, training: training)
            if let merge = merges[i] {
                let skips = layer.skips.enumerated().filter(\.element).map { outputs[$0.offset] }
                y = try merge(skips.isEmpty ? y : try concat(skips + [y]), training: training)
            }
            outputs.append(y)
            if let reduce = reductions[i] { outputs = try zip(reduce, outputs).map { try $0.0($0.1, training: training) } }
            if training, i == auxiliaryAfterLayer, let aux = auxiliaryHead { auxiliary = try aux(outputs.last!, training: training) }
        }
        var pooled = try globalAvgPool(outputs.last!)
        pooled = try Dropout.apply(pooled, rate: regularization.headDropout, training: training, rng: &regularizationRNG)
        return (try head(pooled), auxiliary)
    }
}
