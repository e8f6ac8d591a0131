/// A retrained micro CNN (fixed mode) built for one architecture: stem 3×3 conv to 3·C + BN, L + 2 fixed cells
/// (reduction cells at p and 2p + 1, p = ⌊L/3⌋, where C doubles), an optional auxiliary head after the cell that
/// follows the second reduction, ReLU, global average pool, dropout and a linear head without bias.
public final class MicroNetwork: RetrainableNetwork {
    public let architecture: MicroArchitecture
    public let layerCount: Int
    public let width: Int
    public let regularization: RetrainRegularization
    let stem: Conv2D
    let stemNorm: BatchNorm2D
    let cells: [FixedMicroCell]
    let auxiliaryHead: AuxiliaryHead?
    let auxiliaryAfterCell: Int
    let head: Linear
    public var progress = 0.0
    public var regularizationRNG = RandomSource(seed: 0)

    public init(architecture: MicroArchitecture, layerCount: Int, width: Int, inChannels: Int, imageSize: (height: Int, width: Int),
                classes: Int, auxiliaryHead: Bool = false, regularization: RetrainRegularization = .init(), rng: inout RandomSource) throws {
        try ensureArgument(layerCount >= 0 && width >= 2 && width % 2 == 0 && inChannels >= 1 && classes >= 2,
                           "[micro network] needs ≥ 0 layers, an even width ≥ 2, ≥ 1 input channel and ≥ 2 classes")
        try ensureArgument(regularization.dropPathKeep > 0 && regularization.dropPathKeep <= 1 && regularization.headDropout >= 0
                           && regularization.headDropout < 1, "[micro network] drop_path_keep must be in (0, 1] and head_dropout in [0, 1)")
        (self.architecture, self.layerCount, self.width, self.regularization) = (architecture, layerCount, width, regularization)
        stem = Conv2D("stem.conv", inChannels: inChannels, outChannels: 3 * width, kernel: 3, rng: &rng)
        stemNorm = BatchNorm2D("stem.bn", channels: 3 * width, rng: &rng)
        let reductionCells = SharedMicroNetwork.reductionCells(layerCount)
        auxiliaryAfterCell = reductionCells[1] + 1
        var cells: [FixedMicroCell] = [], aux: AuxiliaryHead?
        var (c0, c1, out) = (3 * width, 3 * width, width)
        var (sizes, larger) = ((imageSize.height, imageSize.width), false)
        for k in 0..<(layerCount + 2) {
            let reducing = reductionCells.contains(k)
            if reducing { out *= 2 }
            let cell = try FixedMicroCell("cell\(k)", cell: reducing ? architecture.reduce : architecture.normal, width: out, reducing: reducing,
                                          input0: (c0, larger), input1Channels: c1, rng: &rng)
            cells.append(cell)
            larger = reducing
            if reducing { sizes = ((sizes.0 + 1) / 2, (sizes.1 + 1) / 2) }
            (c0, c1) = (c1, cell.outputChannels)
            if auxiliaryHead && k == auxiliaryAfterCell {
                aux = try AuxiliaryHead("aux_head", inChannels: c1, height: sizes.0, width: sizes.1, classes: classes, rng: &rng)
            }
        }
        try ensureArgument(!auxiliaryHead || aux != nil, "[micro network] an auxiliary head needs at least \(auxiliaryAfterCell + 1) cells")
        (self.cells, self.auxiliaryHead) = (cells, aux)
        head = Linear("head", inputs: c1, outputs: classes, bias: false, rng: &rng)
    }

    public var parameters: [Variable] {
        stem.parameters + stemNorm.parameters + cells.flatMap(\.parameters) + head.parameters + auxiliaryParameters
    }

    public var auxiliaryParameters: [Variable] { auxiliaryHead?.parameters ?? [] }

    public func forward(_ images: Variable, training: Bool) throws -> (logits: Variable, auxiliary: Variable?) {
        let s = try stemNorm(try stem(images), training: training)
        var previous = (s, s)
        var auxiliary: Variable?
        for (k, cell) in cells.enumerated() {
            let keep = regularization.dropPathKeep(cell: k, of: cells.count, progress: progress)
            previous = (previous.1, try cell(previous.0, previous.1, training: training, dropPathKeep: keep, rng: &regularizationRNG))
            if training, k == auxiliaryAfterCell, let aux = auxiliaryHead { auxiliary = try aux(previous.1, training: training) }
        }
        var pooled = try globalAvgPool(relu(previous.1))
        pooled = try Dropout.apply(pooled, rate: regularization.headDropout, training: training, rng: &regularizationRNG)
        return (try head(pooled), auxiliary)
    }
}
