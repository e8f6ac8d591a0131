/// The recurrent cell's weights ω: node 0's W_0 (2H, 2H) over [x_t, h_{t−1}], and one W_{i,j,f} (H, 2H) per
/// (node i, previous node j, activation f), as the authors' corrected code (enas_lm `w [num_functions, layer_id,
/// H, 2H]` per node). A search holds every matrix; a fixed (retraining) cell holds only its architecture's.
/// Columns 0..<H of every matrix produce the candidate h, columns H..<2H the highway gate c.
public final class SharedRecurrentCell: Layer {
    public struct Key: Hashable, Sendable {
        public let node, previous: Int
        public let activation: Activation
    }

    public let hiddenSize: Int
    public let nodeCount: Int
    public let inputWeight: Variable
    public let nodeWeights: [Key: Variable]
    private let orderedKeys: [Key]

    /// - Parameter architecture: nil for a search (all matrices), else only the matrices it reads.
    public init(hiddenSize: Int, nodeCount: Int, architecture: RecurrentCellArchitecture?, initScale: Float,
                rng: inout RandomSource) throws {
        try ensureArgument(hiddenSize >= 1 && nodeCount >= 2, "[recurrent cell] hidden size \(hiddenSize) and node count \(nodeCount) must be ≥ 1 and ≥ 2")
        if let architecture {
            try ensureArgument(architecture.nodeCount == nodeCount,
                               "[recurrent cell] architecture has \(architecture.nodeCount) nodes, the model \(nodeCount)")
        }
        self.hiddenSize = hiddenSize
        self.nodeCount = nodeCount
        let initializer = Initializer.uniform(scale: initScale)
        inputWeight = makeParameter("cell.w0", [2 * hiddenSize, 2 * hiddenSize], initializer, rng: &rng)
        var keys: [Key] = []
        if let architecture {
            keys = architecture.nodes.enumerated().map { Key(node: $0.offset + 1, previous: $0.element.previous, activation: $0.element.activation) }
        } else {
            for i in 1..<nodeCount { for j in 0..<i { for f in Activation.allCases { keys.append(Key(node: i, previous: j, activation: f)) } } }
        }
        var weights: [Key: Variable] = [:]
        for key in keys {
            weights[key] = makeParameter("cell.node\(key.node).from\(key.previous).\(key.activation.rawValue)",
                                         [hiddenSize, 2 * hiddenSize], initializer, rng: &rng)
        }
        nodeWeights = weights
        orderedKeys = keys
    }

    private init(hiddenSize: Int, nodeCount: Int, inputWeight: Variable, nodeWeights: [Key: Variable], orderedKeys: [Key]) {
        (self.hiddenSize, self.nodeCount, self.inputWeight) = (hiddenSize, nodeCount, inputWeight)
        (self.nodeWeights, self.orderedKeys) = (nodeWeights, orderedKeys)
    }

    /// A fixed cell of `architecture` whose leaf variables read this cell's weight tensors (see
    /// `RecurrentLanguageModel.replica(for:)`).
    func replica(for architecture: RecurrentCellArchitecture) throws -> SharedRecurrentCell {
        let keys = architecture.nodes.enumerated().map { Key(node: $0.offset + 1, previous: $0.element.previous, activation: $0.element.activation) }
        var weights: [Key: Variable] = [:]
        for (key, node) in zip(keys, architecture.nodes) { weights[key] = leafReplica(try weight(node: key.node, node)) }
        return SharedRecurrentCell(hiddenSize: hiddenSize, nodeCount: nodeCount, inputWeight: leafReplica(inputWeight),
                                   nodeWeights: weights, orderedKeys: keys)
    }

    public var parameters: [Variable] { [inputWeight] + orderedKeys.map { nodeWeights[$0]! } }

    /// The parameters one architecture reads (what a child trains and what L2 applies to).
    public func parameters(for architecture: RecurrentCellArchitecture) throws -> [Variable] {
        [inputWeight] + (try architecture.nodes.enumerated().map { try weight(node: $0.offset + 1, $0.element) })
    }

    func weight(node i: Int, _ node: RecurrentCellArchitecture.Node) throws -> Variable {
        guard let w = nodeWeights[Key(node: i, previous: node.previous, activation: node.activation)] else {
            throw ENASError.invalidArgument("[recurrent cell] this model has no weight for node \(i) reading node \(node.previous) with \(node.activation.rawValue) (a fixed model holds only its own architecture's)")
        }
        return w
    }

    /// One time step: x (B, H) already masked, previous h (B, H) → h_t (B, H).
    /// `layerMask` (B, H), the variational hidden dropout, multiplies each node's input (not the highway carry).
    /// `packs`: the window's packed weights (every time step reads the same ones).
    public func step(x: Variable, hidden: Variable, architecture: RecurrentCellArchitecture, layerMask: Tensor?,
                     packs: PackedWeightCache? = nil) throws -> Variable {
        func masked(_ v: Variable) throws -> Variable { if let layerMask { try multiply(v, mask: layerMask) } else { v } }
        let hc0 = try matmul(try concat([x, try masked(hidden)]), inputWeight, packs: packs)
        var states = [try highway(hc0, previous: hidden, activation: architecture.firstActivation)]
        for (offset, node) in architecture.nodes.enumerated() {
            let previous = states[node.previous]
            let hc = try matmul(try masked(previous), try weight(node: offset + 1, node), packs: packs)
            states.append(try highway(hc, previous: previous, activation: node.activation))
        }
        let outputs = architecture.outputNodes
        return scale(try sum(outputs.map { states[$0] }), by: 1 / Float(outputs.count))
    }
}
