/// One cell of a retrained micro network (the authors' `_fixed_layer`): inputs calibrated to C channels on one
/// grid, a ReLU–1×1 conv–BN on input 1 (`layer_base`), then exactly the blocks' operations — in a reduction cell
/// the ops reading a cell input run at stride 2 and an identity there becomes a factorized reduction — and the
/// loose-end blocks concatenated (C × loose ends channels, no final conv). Drop-path applies to every
/// non-identity op in training.
final class FixedMicroCell: Layer {
    enum Operation {
        case separable(SeparableStack)
        case averagePool(stride: Int), maxPool(stride: Int)
        case identity
        case reduce(FactorizedReduction)
    }

    let cell: [MicroArchitecture.Block]
    let width: Int
    let reduceInput0: FactorizedReduction?
    let calibrateInput0: ReLUConvBN?
    let calibrateInput1: ReLUConvBN?
    let base: ReLUConvBN
    /// operations[block][slot]
    let operations: [[Operation]]
    let looseEnds: [Int]

    /// Channels of the cell's output.
    var outputChannels: Int { width * looseEnds.count }

    init(_ name: String, cell: [MicroArchitecture.Block], width: Int, reducing: Bool, input0: (channels: Int, larger: Bool),
         input1Channels: Int, rng: inout RandomSource) throws {
        (self.cell, self.width) = (cell, width)
        reduceInput0 = input0.larger ? try FactorizedReduction("\(name).calibrate0", inChannels: input0.channels, outChannels: width, rng: &rng) : nil
        calibrateInput0 = !input0.larger && input0.channels != width
            ? ReLUConvBN("\(name).calibrate0", inChannels: input0.channels, outChannels: width, rng: &rng) : nil
        calibrateInput1 = input1Channels != width
            ? ReLUConvBN("\(name).calibrate1", inChannels: input1Channels, outChannels: width, rng: &rng) : nil
        base = ReLUConvBN("\(name).base", inChannels: width, outChannels: width, rng: &rng)
        operations = try cell.enumerated().map { b, block in
            try (0..<2).map { slot -> Operation in
                let stride = reducing && block.inputs[slot] < 2 ? 2 : 1
                let opName = "\(name).block\(b).\(slot == 0 ? "x" : "y")"
                switch block.operations[slot] {
                case .separable3x3: return .separable(SeparableStack("\(opName).sep3x3", channels: width, kernel: 3, stride: stride, rng: &rng))
                case .separable5x5: return .separable(SeparableStack("\(opName).sep5x5", channels: width, kernel: 5, stride: stride, rng: &rng))
                case .averagePool3x3: return .averagePool(stride: stride)
                case .maxPool3x3: return .maxPool(stride: stride)
                case .identity:
                    return stride == 1 ? .identity : .reduce(try FactorizedReduction("\(opName).reduce", inChannels: width, outChannels: width, rng: &rng))
                }
            }
        }
        looseEnds = MicroArchitecture.looseEnds(cell)
    }

    var parameters: [Variable] {
        (reduceInput0?.parameters ?? []) + (calibrateInput0?.parameters ?? []) + (calibrateInput1?.parameters ?? []) + base.parameters
            + operations.flatMap { $0.flatMap { op -> [Variable] in
                switch op {
                case .separable(let s): s.parameters
                case .reduce(let r): r.parameters
                default: []
                }
            } }
    }

    /// (input0, input1) → concatenated loose ends. `dropPathKeep` < 1 enables drop-path (training only).
    func callAsFunction(_ input0: Variable, _ input1: Variable, training: Bool, dropPathKeep: Float,
                        rng: inout RandomSource) throws -> Variable {
        var x0 = input0, x1 = input1
        if let reduce = reduceInput0 { x0 = try reduce(relu(x0), training: training) }
        if let calibrate = calibrateInput0 { x0 = try calibrate(x0, training: training) }
        if let calibrate = calibrateInput1 { x1 = try calibrate(x1, training: training) }
        var nodes = [x0, try base(x1, training: training)]
        for (b, block) in cell.enumerated() {
            var pair: [Variable] = []
            for slot in 0..<2 {
                let x = nodes[block.inputs[slot]]
                var y: Variable
                switch operations[b][slot] {
                case .separable(let stack): y = try stack(x, training: training)
                case .averagePool(let stride): y = try avgPool2d(x, kernel: 3, stride: stride, padding: 1)
                case .maxPool(let stride): y = try maxPool2d(x, kernel: 3, stride: stride, padding: 1)
                case .identity: y = x
                case .reduce(let reduce): y = try reduce(x, training: training)
                }
                if case .identity = operations[b][slot] {} else if case .reduce = operations[b][slot] {} else {
                    y = try Dropout.dropPath(y, keep: dropPathKeep, training: training, rng: &rng)
                }
                pair.append(y)
            }
            nodes.append(try add(pair[0], pair[1]))
        }
        return looseEnds.count == 1 ? nodes[looseEnds[0] + 2] : try concat(looseEnds.map { nodes[$0 + 2] })
    }
}
