/// The macro search space: per layer an operation choice, then (from layer 1 on) one subset decision over the
/// earlier anchors for its skip connections. Op logits use the authors' reduced tanh constant (÷ op_tanh_reduce).
public struct MacroSpace: SearchSpace {
    public let layerCount: Int
    public let plan: DecisionPlan

    /// - Parameter opTanhReduce: divides the controller's tanh constant for op choices (the authors' 2.5).
    public init(layerCount: Int, opTanhReduce: Float = 2.5) throws {
        try ensureArgument(layerCount >= 1 && opTanhReduce > 0, "[macro space] needs ≥ 1 layer and a positive op tanh reduce")
        self.layerCount = layerCount
        var steps: [DecisionPlan.Step] = []
        for i in 0..<layerCount {
            steps.append(.init(.choice(group: 0, count: MacroOperation.allCases.count), recordsAnchor: i == 0, tanhConstantScale: 1 / opTanhReduce))
            if i > 0 { steps.append(.init(.subset(candidates: i), recordsAnchor: true)) }
        }
        plan = try DecisionPlan(steps: steps, groupSizes: [MacroOperation.allCases.count], initialAnchors: 0)
    }

    public func architecture(from values: [[Int]]) throws -> MacroArchitecture {
        try ensureArgument(values.count == plan.steps.count, "[macro space] expected \(plan.steps.count) decision values, got \(values.count)")
        var layers: [MacroArchitecture.Layer] = []
        var position = 0
        for i in 0..<layerCount {
            guard values[position].count == 1, (0..<MacroOperation.allCases.count).contains(values[position][0]) else {
                throw ENASError.invalidArgument("[macro space] layer \(i) op value \(values[position]) is invalid")
            }
            let op = MacroOperation.allCases[values[position][0]]
            position += 1
            var skips: [Bool] = []
            if i > 0 { skips = values[position].map { $0 == 1 }; position += 1 }
            layers.append(.init(operation: op, skips: skips))
        }
        return try MacroArchitecture(layers: layers)
    }

    public func values(for architecture: MacroArchitecture) throws -> [[Int]] {
        try ensureArgument(architecture.layers.count == layerCount, "[macro space] architecture has \(architecture.layers.count) layers, the space \(layerCount)")
        return architecture.layers.enumerated().flatMap { i, layer -> [[Int]] in
            [[MacroOperation.allCases.firstIndex(of: layer.operation)!]] + (i > 0 ? [layer.skips.map { $0 ? 1 : 0 }] : [])
        }
    }
}
