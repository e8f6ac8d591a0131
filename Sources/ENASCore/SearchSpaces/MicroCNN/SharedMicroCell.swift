/// One cell of the micro space's shared weights (the authors' `_enas_layer`): both inputs are calibrated to C
/// channels at one grid size, each block's two slots hold a separable 3×3 and 5×5 stack per input index they may
/// read (pools and identity hold no weights once inputs share C), and the loose ends are concatenated then
/// ReLU–1×1 conv–BN back to C. The 1×1 conv over the concatenation is kept as one C×C slice per block, so a child
/// uses exactly the slices of its loose ends: W·relu([a; b]) = W_a·relu(a) + W_b·relu(b). Loose ends are blocks no
/// later block reads (DESIGN §2); the authors' code would also concatenate a cell input no block reads.
final class SharedMicroCell: Layer {
    let blockCount: Int
    let width: Int
    /// Calibrates input 0: ReLU + factorized reduction when it is on the larger grid, else ReLU–1×1 conv–BN when its
    /// width differs. Input 1: ReLU–1×1 conv–BN when its width differs.
    let reduceInput0: FactorizedReduction?
    let calibrateInput0: ReLUConvBN?
    let calibrateInput1: ReLUConvBN?
    /// separable[block][slot][input index][0 = 3×3, 1 = 5×5].
    let separable: [[[[SeparableStack]]]]
    /// finalConv[block]: (C, C, 1, 1).
    let finalConv: [Variable]
    let finalNorm: BatchNorm2D

    init(_ name: String, blockCount: Int, width: Int, input0: (channels: Int, larger: Bool), input1Channels: Int,
         rng: inout RandomSource) throws {
        self.blockCount = blockCount
        self.width = width
        reduceInput0 = input0.larger ? try FactorizedReduction("\(name).calibrate0", inChannels: input0.channels, outChannels: width, rng: &rng) : nil
        calibrateInput0 = !input0.larger && input0.channels != width
            ? ReLUConvBN("\(name).calibrate0", inChannels: input0.channels, outChannels: width, rng: &rng) : nil
        calibrateInput1 = input1Channels != width
            ? ReLUConvBN("\(name).calibrate1", inChannels: input1Channels, outChannels: width, rng: &rng) : nil
        separable = (0..<blockCount).map { b in
            (0..<2).map { slot in
                (0..<(b + 2)).map { input in
                    [3, 5].map { SeparableStack("\(name).block\(b).\(slot == 0 ? "x" : "y").from\(input).sep\($0)x\($0)", channels: width, kernel: $0, rng: &rng) }
                }
            }
        }
        finalConv = (0..<blockCount).map {
            makeParameter("\(name).final_conv.block\($0)", [width, width, 1, 1], .heNormal(fanIn: width), rng: &rng)
        }
        finalNorm = BatchNorm2D("\(name).final_bn", channels: width, rng: &rng)
    }

    var calibrationParameters: [Variable] {
        (reduceInput0?.parameters ?? []) + (calibrateInput0?.parameters ?? []) + (calibrateInput1?.parameters ?? [])
    }

    var parameters: [Variable] {
        calibrationParameters + separable.flatMap { $0.flatMap { $0.flatMap { $0.flatMap(\.parameters) } } } + finalConv + finalNorm.parameters
    }

    /// The weights a child with `cell` uses.
    func parameters(for cell: [MicroArchitecture.Block]) -> [Variable] {
        var used = calibrationParameters
        for (b, block) in cell.enumerated() {
            for slot in 0..<2 {
                switch block.operations[slot] {
                case .separable3x3: used += separable[b][slot][block.inputs[slot]][0].parameters
                case .separable5x5: used += separable[b][slot][block.inputs[slot]][1].parameters
                default: break
                }
            }
        }
        return used + MicroArchitecture.looseEnds(cell).map { finalConv[$0] } + finalNorm.parameters
    }

    /// (input0, input1) → the cell's output (N, C, H, W) on input 1's grid.
    func callAsFunction(_ input0: Variable, _ input1: Variable, cell: [MicroArchitecture.Block], training: Bool) throws -> Variable {
        var x0 = input0, x1 = input1
        if let reduce = reduceInput0 { x0 = try reduce(relu(x0), training: training) }
        if let calibrate = calibrateInput0 { x0 = try calibrate(x0, training: training) }
        if let calibrate = calibrateInput1 { x1 = try calibrate(x1, training: training) }
        var nodes = [x0, x1]
        for (b, block) in cell.enumerated() {
            let pair = try (0..<2).map { slot -> Variable in
                let x = nodes[block.inputs[slot]]
                switch block.operations[slot] {
                case .separable3x3: return try separable[b][slot][block.inputs[slot]][0](x, training: training)
                case .separable5x5: return try separable[b][slot][block.inputs[slot]][1](x, training: training)
                case .averagePool3x3: return try avgPool2d(x, kernel: 3, stride: 1, padding: 1)
                case .maxPool3x3: return try maxPool2d(x, kernel: 3, stride: 1, padding: 1)
                case .identity: return x
                }
            }
            nodes.append(try add(pair[0], pair[1]))
        }
        let merged = try MicroArchitecture.looseEnds(cell).map { try conv2d(relu(nodes[$0 + 2]), finalConv[$0]) }
        return try finalNorm(try sum(merged), training: training)
    }
}
