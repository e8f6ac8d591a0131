/// The recurrent-cell search space: per node i ≥ 1 an index decision (which earlier node, with the distance
/// prior) then an activation choice; node 0's activation is sampled first in the paper's space and fixed to tanh
/// in enas_lm's.
public struct RecurrentCellSpace: SearchSpace {
    /// N, counting node 0.
    public let nodeCount: Int
    public let samplesFirstActivation: Bool
    public let output: RecurrentCellArchitecture.OutputMode
    public let plan: DecisionPlan

    /// Activation choice order of the controller's group 0.
    static let activations = Activation.allCases

    public init(nodeCount: Int, samplesFirstActivation: Bool, output: RecurrentCellArchitecture.OutputMode) throws {
        try ensureArgument(nodeCount >= 2, "[recurrent space] needs at least 2 nodes, got \(nodeCount)")
        self.nodeCount = nodeCount
        self.samplesFirstActivation = samplesFirstActivation
        self.output = output
        let activation = Decision.choice(group: 0, count: Self.activations.count)
        var steps: [DecisionPlan.Step] = samplesFirstActivation ? [.init(activation, recordsAnchor: true)] : []
        for i in 1..<nodeCount {
            steps.append(.init(.index(candidates: i, distancePrior: true), recordsAnchor: true))
            steps.append(.init(activation))
        }
        plan = try DecisionPlan(steps: steps, groupSizes: [Self.activations.count], initialAnchors: samplesFirstActivation ? 0 : 1)
    }

    public func architecture(from values: [[Int]]) throws -> RecurrentCellArchitecture {
        try ensureArgument(values.count == plan.steps.count && values.allSatisfy { $0.count == 1 },
                           "[recurrent space] expected \(plan.steps.count) single values, got \(values)")
        var v = values.map { $0[0] }[...]
        let first = samplesFirstActivation ? Self.activations[v.removeFirst()] : .tanh
        var nodes: [RecurrentCellArchitecture.Node] = []
        while let previous = v.popFirst(), let f = v.popFirst() {
            nodes.append(.init(previous: previous, activation: Self.activations[f]))
        }
        return try RecurrentCellArchitecture(firstActivation: first, nodes: nodes, output: output)
    }

    public func values(for architecture: RecurrentCellArchitecture) throws -> [[Int]] {
        try ensureArgument(architecture.nodeCount == nodeCount, "[recurrent space] architecture has \(architecture.nodeCount) nodes, the space \(nodeCount)")
        try ensureArgument(samplesFirstActivation || architecture.firstActivation == .tanh,
                           "[recurrent space] this space fixes node 0 to tanh; the architecture uses \(architecture.firstActivation.rawValue)")
        var values: [[Int]] = samplesFirstActivation ? [[Self.activations.firstIndex(of: architecture.firstActivation)!]] : []
        for node in architecture.nodes { values += [[node.previous], [Self.activations.firstIndex(of: node.activation)!]] }
        return values
    }
}
