/// The micro search space: a normal then a reduction cell of B blocks; per block two (input index, operation)
/// pairs. Inputs attend over the cell's two inputs plus its earlier blocks; each cell starts from fresh anchors.
public struct MicroSpace: SearchSpace {
    public let blockCount: Int
    public let plan: DecisionPlan

    public init(blockCount: Int = 5, opTanhReduce: Float = 2.5) throws {
        try ensureArgument(blockCount >= 1 && opTanhReduce > 0, "[micro space] needs ≥ 1 block and a positive op tanh reduce")
        self.blockCount = blockCount
        let op = Decision.choice(group: 0, count: MicroOperation.allCases.count)
        var steps: [DecisionPlan.Step] = []
        for cell in 0..<2 {
            for b in 0..<blockCount {
                steps.append(.init(.index(candidates: 2 + b, distancePrior: false), resetsAnchors: cell == 1 && b == 0))
                steps.append(.init(op, tanhConstantScale: 1 / opTanhReduce))
                steps.append(.init(.index(candidates: 2 + b, distancePrior: false)))
                steps.append(.init(op, recordsAnchor: true, tanhConstantScale: 1 / opTanhReduce))
            }
        }
        plan = try DecisionPlan(steps: steps, groupSizes: [MicroOperation.allCases.count], initialAnchors: 2)
    }

    public func architecture(from values: [[Int]]) throws -> MicroArchitecture {
        try ensureArgument(values.count == plan.steps.count && values.allSatisfy { $0.count == 1 },
                           "[micro space] expected \(plan.steps.count) single decision values")
        let flat = values.map { $0[0] }
        func cell(_ offset: Int) throws -> [MicroArchitecture.Block] {
            try (0..<blockCount).map { b in
                let q = Array(flat[(offset + 4 * b)..<(offset + 4 * b + 4)])
                guard (0..<MicroOperation.allCases.count).contains(q[1]), (0..<MicroOperation.allCases.count).contains(q[3]) else {
                    throw ENASError.invalidArgument("[micro space] block \(b) has an op value outside 0…\(MicroOperation.allCases.count - 1)")
                }
                return .init(q[0], MicroOperation.allCases[q[1]], q[2], MicroOperation.allCases[q[3]])
            }
        }
        return try MicroArchitecture(normal: try cell(0), reduce: try cell(4 * blockCount))
    }

    public func values(for architecture: MicroArchitecture) throws -> [[Int]] {
        try ensureArgument(architecture.normal.count == blockCount, "[micro space] architecture has \(architecture.normal.count) blocks, the space \(blockCount)")
        return (architecture.normal + architecture.reduce).flatMap { block in
            [[block.inputs[0]], [MicroOperation.allCases.firstIndex(of: block.operations[0])!],
             [block.inputs[1]], [MicroOperation.allCases.firstIndex(of: block.operations[1])!]]
        }
    }
}
