/// The macro space's shared weights ω in search mode (the authors' `general_child` with whole channels): a stem
/// 3×3 conv–BN, then L layers each holding all six branches; layer i ≥ 1 sums its branch output with the selected
/// skips and batch-normalizes; after layers p−1 and 2p−1 (p = ⌊L/3⌋) every earlier output passes through its own
/// factorized reduction; global average pool and a linear head without bias. Channels stay F throughout.
public final class SharedMacroNetwork: Layer {
    public let layerCount: Int
    public let width: Int
    let stem: Conv2D
    let stemNorm: BatchNorm2D
    /// branches[i][op]
    let branches: [[MacroBranch]]
    /// skipNorms[i] for i ≥ 1 (index 0 unused).
    let skipNorms: [BatchNorm2D?]
    /// reductions[layer] — one per earlier output, for the layers after which the grid halves.
    let reductions: [Int: [FactorizedReduction]]
    let head: Linear

    /// Layers after which the authors halve the grid: p − 1 and 2p − 1 with p = ⌊L/3⌋ (none when p = 0).
    public static func reductionLayers(_ layerCount: Int) -> [Int] {
        let p = layerCount / 3
        return p >= 1 ? [p - 1, 2 * p - 1] : []
    }

    public init(layerCount: Int, width: Int, inChannels: Int, classes: Int, rng: inout RandomSource) throws {
        try ensureArgument(layerCount >= 1 && width >= 2 && inChannels >= 1 && classes >= 2,
                           "[macro network] needs ≥ 1 layer, width ≥ 2, ≥ 1 input channel and ≥ 2 classes")
        self.layerCount = layerCount
        self.width = width
        stem = Conv2D("stem.conv", inChannels: inChannels, outChannels: width, kernel: 3, rng: &rng)
        stemNorm = BatchNorm2D("stem.bn", channels: width, rng: &rng)
        var branches: [[MacroBranch]] = [], skipNorms: [BatchNorm2D?] = []
        var reductions: [Int: [FactorizedReduction]] = [:]
        for i in 0..<layerCount {
            branches.append(MacroOperation.allCases.map {
                MacroBranch("layer\(i).\($0.rawValue)", operation: $0, inChannels: width, width: width, rng: &rng)
            })
            skipNorms.append(i == 0 ? nil : BatchNorm2D("layer\(i).skip_bn", channels: width, rng: &rng))
            if Self.reductionLayers(layerCount).contains(i) {
                reductions[i] = try (0...(i + 1)).map { try FactorizedReduction("reduce_after\(i).from\($0)", inChannels: width, outChannels: width, rng: &rng) }
            }
        }
        (self.branches, self.skipNorms, self.reductions) = (branches, skipNorms, reductions)
        head = Linear("head", inputs: width, outputs: classes, bias: false, rng: &rng)
    }

    public var parameters: [Variable] {
        stem.parameters + stemNorm.parameters + branches.flatMap { $0.flatMap(\.parameters) }
            + skipNorms.flatMap { $0?.parameters ?? [] } + reductions.keys.sorted().flatMap { reductions[$0]!.flatMap(\.parameters) }
            + head.parameters
    }

    /// The parameters a child with `architecture` uses (its branches; every skip BN, reduction, stem and head).
    public func parameters(for architecture: MacroArchitecture) throws -> [Variable] {
        try ensureArgument(architecture.layers.count == layerCount, "[macro network] architecture has \(architecture.layers.count) layers, the network \(layerCount)")
        return stem.parameters + stemNorm.parameters
            + architecture.layers.enumerated().flatMap { i, layer in branches[i][MacroOperation.allCases.firstIndex(of: layer.operation)!].parameters }
            + skipNorms.flatMap { $0?.parameters ?? [] } + reductions.keys.sorted().flatMap { reductions[$0]!.flatMap(\.parameters) }
            + head.parameters
    }

    public func childParameterCount(_ architecture: MacroArchitecture) throws -> Int {
        try parameters(for: architecture).reduce(0) { $0 + $1.value.count }
    }

    /// images (N, C, H, W) → logits (N, classes) of the child `architecture`.
    public func logits(_ images: Variable, architecture: MacroArchitecture, training: Bool) throws -> Variable {
        try ensureArgument(architecture.layers.count == layerCount, "[macro network] architecture has \(architecture.layers.count) layers, the network \(layerCount)")
        var outputs = [try stemNorm(try stem(images), training: training)]   // stem, then layer 0, 1, …
        for (i, layer) in architecture.layers.enumerated() {
            var y = try branches[i][MacroOperation.allCases.firstIndex(of: layer.operation)!](outputs.last!, training: training)
            if i > 0 {
                let skips = layer.skips.enumerated().filter(\.element).map { outputs[$0.offset] }
                y = try skipNorms[i]!(try sum([y] + skips), training: training)
            }
            outputs.append(y)
            if let reduce = reductions[i] {
                outputs = try zip(reduce, outputs).map { try $0.0($0.1, training: training) }
            }
        }
        return try head(try globalAvgPool(outputs.last!))
    }
}
