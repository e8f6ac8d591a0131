/// The micro space's shared weights ω in search mode (the authors' micro child without a fixed arc): a stem 3×3
/// conv to 3·C + BN, then L + 2 cells; cells p and 2p + 1 (p = ⌊L/3⌋) are reduction cells, before which the
/// width doubles and cell k−1's output passes a factorized reduction (so the reduction cell itself runs at
/// stride 1); ReLU, global average pool and a linear head without bias.
public final class SharedMicroNetwork: Layer {
    public let layerCount: Int
    public let width: Int
    public let blockCount: Int
    let stem: Conv2D
    let stemNorm: BatchNorm2D
    let cells: [SharedMicroCell]
    /// The factorized reduction of cell k−1's output before each reduction cell, by cell position.
    let reductions: [Int: FactorizedReduction]
    let head: Linear

    /// Positions of the reduction cells among the L + 2 cells: p and 2p + 1 with p = ⌊L/3⌋.
    public static func reductionCells(_ layerCount: Int) -> [Int] {
        let p = layerCount / 3
        return [p, 2 * p + 1]
    }

    public init(layerCount: Int, width: Int, blockCount: Int, inChannels: Int, classes: Int, rng: inout RandomSource) throws {
        try ensureArgument(layerCount >= 0 && width >= 2 && width % 2 == 0 && blockCount >= 1 && inChannels >= 1 && classes >= 2,
                           "[micro network] needs ≥ 0 layers, an even width ≥ 2, ≥ 1 block, ≥ 1 input channel and ≥ 2 classes")
        (self.layerCount, self.width, self.blockCount) = (layerCount, width, blockCount)
        stem = Conv2D("stem.conv", inChannels: inChannels, outChannels: 3 * width, kernel: 3, rng: &rng)
        stemNorm = BatchNorm2D("stem.bn", channels: 3 * width, rng: &rng)
        var cells: [SharedMicroCell] = [], reductions: [Int: FactorizedReduction] = [:]
        var (c0, c1, out) = (3 * width, 3 * width, width)
        for k in 0..<(layerCount + 2) {
            let reducing = Self.reductionCells(layerCount).contains(k)
            if reducing {
                out *= 2
                reductions[k] = try FactorizedReduction("cell\(k).reduce_input", inChannels: c1, outChannels: out, rng: &rng)
                (c0, c1) = (c1, out)
            }
            cells.append(try SharedMicroCell("cell\(k)", blockCount: blockCount, width: out, input0: (c0, reducing), input1Channels: c1, rng: &rng))
            (c0, c1) = (c1, out)
        }
        (self.cells, self.reductions) = (cells, reductions)
        head = Linear("head", inputs: out, outputs: classes, bias: false, rng: &rng)
    }

    public var parameters: [Variable] {
        stem.parameters + stemNorm.parameters + cells.indices.flatMap { (reductions[$0]?.parameters ?? []) + cells[$0].parameters }
            + head.parameters
    }

    func checkBlocks(_ architecture: MicroArchitecture) throws {
        try ensureArgument(architecture.normal.count == blockCount,
                           "[micro network] architecture has \(architecture.normal.count) blocks per cell, the network \(blockCount)")
    }

    func cell(_ k: Int, of architecture: MicroArchitecture) -> [MicroArchitecture.Block] {
        reductions[k] != nil ? architecture.reduce : architecture.normal
    }

    /// The parameters a child with `architecture` uses.
    public func parameters(for architecture: MicroArchitecture) throws -> [Variable] {
        try checkBlocks(architecture)
        return stem.parameters + stemNorm.parameters
            + cells.indices.flatMap { (reductions[$0]?.parameters ?? []) + cells[$0].parameters(for: cell($0, of: architecture)) }
            + head.parameters
    }

    public func childParameterCount(_ architecture: MicroArchitecture) throws -> Int {
        try parameters(for: architecture).reduce(0) { $0 + $1.value.count }
    }

    /// images (N, C, H, W) → logits (N, classes) of the child `architecture`.
    public func logits(_ images: Variable, architecture: MicroArchitecture, training: Bool) throws -> Variable {
        try checkBlocks(architecture)
        let s = try stemNorm(try stem(images), training: training)
        var previous = (s, s)
        for (k, shared) in cells.enumerated() {
            if let reduce = reductions[k] { previous = (previous.1, try reduce(previous.1, training: training)) }
            previous = (previous.1, try shared(previous.0, previous.1, cell: cell(k, of: architecture), training: training))
        }
        return try head(try globalAvgPool(relu(previous.1)))
    }
}
