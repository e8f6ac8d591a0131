/// One decision the controller makes. A search space describes its architectures as a list of these; the one
/// controller samples any such list (DESIGN §3), so the recurrent, macro and micro spaces share it.
public enum Decision: Equatable, Sendable {
    /// One of `count` options of `group` (groups share embeddings: "activation", "op").
    case choice(group: Int, count: Int)
    /// One of the first `candidates` anchors, by additive attention; `distancePrior` subtracts (k − j)²/6 from the
    /// logit of anchor j (the recurrent space's bias toward recent nodes).
    case index(candidates: Int, distancePrior: Bool)
    /// Any subset of the first `candidates` anchors, one independent Bernoulli each (macro skip connections).
    case subset(candidates: Int)
}

/// The decision sequence of a search space, with the bookkeeping the controller needs.
public struct DecisionPlan: Equatable, Sendable {
    public struct Step: Equatable, Sendable {
        public var decision: Decision
        /// After this step, the controller's hidden state becomes the next anchor (the node this step describes).
        public var recordsAnchor: Bool
        /// Multiplies this step's logits' tanh constant (the authors' separate, smaller constant for op choices).
        public var tanhConstantScale: Float
        /// Before this step the anchors go back to the initial zero anchors (the micro space's second cell).
        public var resetsAnchors: Bool
        public init(_ decision: Decision, recordsAnchor: Bool = false, tanhConstantScale: Float = 1, resetsAnchors: Bool = false) {
            self.decision = decision
            self.recordsAnchor = recordsAnchor
            self.tanhConstantScale = tanhConstantScale
            self.resetsAnchors = resetsAnchors
        }
    }

    public var steps: [Step]
    /// Option counts per choice group (group g has `groupSizes[g]` options).
    public var groupSizes: [Int]
    /// Zero anchors present before the first step (e.g. node 0 when its activation is fixed).
    public var initialAnchors: Int

    public init(steps: [Step], groupSizes: [Int], initialAnchors: Int) throws {
        self.steps = steps
        self.groupSizes = groupSizes
        self.initialAnchors = initialAnchors
        var anchors = initialAnchors
        for (n, step) in steps.enumerated() {
            if step.resetsAnchors { anchors = initialAnchors }
            switch step.decision {
            case .choice(let group, let count):
                try ensureArgument(group >= 0 && group < groupSizes.count && groupSizes[group] == count,
                                   "[decision plan] step \(n) chooses among \(count) of group \(group), which has \(groupSizes)")
            case .index(let k, _), .subset(let k):
                try ensureArgument(k >= 1 && k <= anchors, "[decision plan] step \(n) attends over \(k) anchors; only \(anchors) exist")
            }
            if step.recordsAnchor { anchors += 1 }
        }
    }
}
