/// Hyperparameters of a recurrent language model built on the searched cell. Dropout rates are drop
/// probabilities (enas_lm's names in brackets).
public struct RecurrentModelConfig: Codable, Equatable, Sendable {
    /// H: embedding width = hidden size (tied softmax).
    public var hiddenSize: Int
    /// N, counting node 0.
    public var nodeCount: Int
    /// Whole-word dropout on the input embedding table [drop_e].
    public var embeddingDropout: Float = 0
    /// Input embedding dropout, one mask per sequence [drop_i].
    public var inputDropout: Float = 0
    /// Dropout on x_t entering node 0, variational [drop_x].
    public var cellInputDropout: Float = 0
    /// Dropout on each node's input, variational [drop_l].
    public var hiddenDropout: Float = 0
    /// Dropout on the cell output before the softmax, variational [drop_o].
    public var outputDropout: Float = 0
    /// Uniform init range (enas_lm 0.04; the first code 0.1).
    public var initScale: Float = 0.04
    /// Rows of the hidden state are rescaled to at most this L2 norm after every time step (ENAS-pytorch's guard:
    /// identity and ReLU nodes chained over a window otherwise blow states up to 1e20 and beyond early in a
    /// search); the scale is a constant for back-propagation. 0 disables.
    public var hiddenNormLimit: Float = 25
    /// Weight of the slowness term mean((h_{t+1} − h_t)²) [beta].
    public var slownessWeight: Float = 0

    public init(hiddenSize: Int, nodeCount: Int) {
        (self.hiddenSize, self.nodeCount) = (hiddenSize, nodeCount)
    }
}

/// Embedding → the recurrent cell over time → tied softmax. B = batch, T = window length, H = hidden, V = vocabulary.
public final class RecurrentLanguageModel: Layer {
    public let config: RecurrentModelConfig
    public let embedding: Embedding
    public let cell: SharedRecurrentCell

    /// - Parameter architecture: nil builds the search's shared weights ω; an architecture builds a fixed model.
    public init(config: RecurrentModelConfig, vocabularySize: Int, architecture: RecurrentCellArchitecture?,
                rng: inout RandomSource) throws {
        try ensureArgument(vocabularySize >= 2, "[language model] vocabulary size \(vocabularySize) must be ≥ 2")
        try ensureArgument(config.hiddenSize >= 1 && config.nodeCount >= 2,
                           "[language model] hidden size \(config.hiddenSize) must be ≥ 1 and node count \(config.nodeCount) ≥ 2")
        for (name, rate) in [("embedding", config.embeddingDropout), ("input", config.inputDropout), ("cell input", config.cellInputDropout),
                             ("hidden", config.hiddenDropout), ("output", config.outputDropout)] {
            try ensureArgument(rate >= 0 && rate < 1, "[language model] \(name) dropout \(rate) must be in [0, 1)")
        }
        self.config = config
        embedding = Embedding("embedding", vocabulary: vocabularySize, width: config.hiddenSize,
                              initializer: .uniform(scale: config.initScale), rng: &rng)
        cell = try SharedRecurrentCell(hiddenSize: config.hiddenSize, nodeCount: config.nodeCount, architecture: architecture,
                                       initScale: config.initScale, rng: &rng)
    }

    private init(config: RecurrentModelConfig, embedding: Embedding, cell: SharedRecurrentCell) {
        (self.config, self.embedding, self.cell) = (config, embedding, cell)
    }

    /// A model of `architecture` whose leaf variables read this model's weight tensors, so that a backward pass on
    /// another thread accumulates its gradients apart (`trainingPass`). Drop it before the weights change: while it
    /// holds them, an in-place update would copy them.
    func replica(for architecture: RecurrentCellArchitecture) throws -> RecurrentLanguageModel {
        RecurrentLanguageModel(config: config, embedding: Embedding(table: leafReplica(embedding.table)),
                               cell: try cell.replica(for: architecture))
    }

    public var parameters: [Variable] { embedding.parameters + cell.parameters }

    /// What a child with `architecture` trains: the embedding, W_0 and its node matrices.
    public func parameters(for architecture: RecurrentCellArchitecture) throws -> [Variable] {
        embedding.parameters + (try cell.parameters(for: architecture))
    }

    /// Number of parameters of a child with `architecture` (a fixed model: all of its own).
    public func childParameterCount(_ architecture: RecurrentCellArchitecture) throws -> Int {
        try parameters(for: architecture).reduce(0) { $0 + $1.value.count }
    }

    /// The result of one window.
    public struct WindowResult {
        /// The training objective (cross-entropy + regularizers) to back-propagate.
        public let objective: Variable
        /// Mean cross-entropy per token (nats), without regularizers.
        public let crossEntropy: Float
        /// h after the last step, detached and norm-guarded, to carry into the next window.
        public let finalHidden: Tensor
    }

    /// Runs the cell over one window and returns the loss. `hidden` (B, H) is the state carried from the previous
    /// window. In training, dropout masks come from `rng` (the "dropout" stream). `lossScale` overrides the mean
    /// over B·T tokens (e.g. 1/B: summed over time, averaged over the batch).
    public func forward(window: LanguageModelBatches.Window, batchSize: Int, hidden: Tensor,
                        architecture: RecurrentCellArchitecture, training: Bool, rng: inout RandomSource,
                        lossScale: Float? = nil) throws -> WindowResult {
        try validate(window: window, batchSize: batchSize, hidden: hidden, architecture: architecture)
        let dropout = training ? WindowDropout(config, window: window, batchSize: batchSize, rng: &rng) : .none
        return try forwardRows(window: window, hidden: hidden, architecture: architecture, training: training,
                               dropout: dropout, tokenWeight: lossScale, batchShare: 1)
    }

    func validate(window: LanguageModelBatches.Window, batchSize b: Int, hidden: Tensor,
                  architecture: RecurrentCellArchitecture) throws {
        let (t, h) = (window.length, config.hiddenSize)
        try ensureShape(hidden.shape == [b, h], "[language model] hidden state \(Shape.describe(hidden.shape)) must be (\(b), \(h))")
        try ensureShape(window.inputs.count == b * t, "[language model] window has \(window.inputs.count) tokens, expected \(b)×\(t)")
        try ensureArgument(architecture.nodeCount == config.nodeCount,
                           "[language model] architecture has \(architecture.nodeCount) nodes, the model \(config.nodeCount)")
    }

    /// The forward pass over the rows of `window` and `hidden` (all of a batch, or one row block of it) with dropout
    /// already drawn for them. The objective is the summed cross-entropy × `tokenWeight` (nil: the mean over these
    /// rows) plus the slowness term's mean over these rows × `batchShare` (their fraction of the batch), so the row
    /// blocks' objectives add up to the whole batch's.
    func forwardRows(window: LanguageModelBatches.Window, hidden: Tensor, architecture: RecurrentCellArchitecture,
                     training: Bool, dropout: WindowDropout, tokenWeight: Float?, batchShare: Float) throws -> WindowResult {
        let (b, t, h) = (hidden.shape[0], window.length, config.hiddenSize)
        var state = Variable(hidden)
        let packs = PackedWeightCache()   // the weights stay fixed until the optimizer steps after backward
        var outputs: [Variable] = []
        outputs.reserveCapacity(t)
        for step in 0..<t {
            let ids = (0..<b).map { window.inputs[$0 * t + step] }
            var x = try embedding(ids)
            if dropout.input != nil || !dropout.wordKeep.isEmpty {
                var m = dropout.input ?? Tensor(zeros: [b, h], value: 1)
                if !dropout.wordKeep.isEmpty {
                    for r in 0..<b { let k = dropout.wordKeep[ids[r]]!; for c in 0..<h { m.storage[r * h + c] *= k } }
                }
                x = try multiply(x, mask: m)
            }
            state = try cell.step(x: x, hidden: state, architecture: architecture, layerMask: dropout.layer, packs: packs)
            if let scales = normGuardScales(state.value, limit: config.hiddenNormLimit) {
                state = try multiply(state, mask: scales)
            }
            outputs.append(state)
        }
        let stacked = try concat(outputs)                       // (B, T·H): row b holds h_0 … h_{T−1}
        var top = stacked
        if let outputMask = dropout.output {
            var m = Tensor(zeros: [b, t * h])
            for r in 0..<b { for s in 0..<t { for c in 0..<h { m.storage[(r * t + s) * h + c] = outputMask.storage[r * h + c] } } }
            top = try multiply(stacked, mask: m)
        }
        let logits = try embedding.logits(try reshape(top, [b * t, h]))    // (B·T, V), row b·T + s
        let crossEntropy = try softmaxCrossEntropy(logits, labels: window.targets)
        var objective = crossEntropy
        if let tokenWeight {
            objective = scale(crossEntropy, by: tokenWeight * Float(b * t))
        }
        if training && config.slownessWeight > 0 && t >= 2 {
            objective = try add(objective, scale(try meanSquaredStepDifference(stacked, steps: t), by: config.slownessWeight * batchShare))
        }
        guard crossEntropy.value.scalar.isFinite else {
            throw ENASError.numeric("[language model] cross-entropy is \(crossEntropy.value.scalar)")
        }
        return WindowResult(objective: objective, crossEntropy: crossEntropy.value.scalar, finalHidden: state.value)
    }

    /// The (B, H) factors that rescale rows of `h` with L2 norm above `limit` to `limit` (1 elsewhere), or nil when
    /// no row is above it.
    func normGuardScales(_ h: Tensor, limit: Float) -> Tensor? {
        guard limit > 0 else { return nil }
        let (rows, width) = (h.shape[0], h.shape[1])
        var scales: Tensor? = nil
        h.withPointer { values in
            for r in 0..<rows {
                let norm = dotElements(width, values + r * width, values + r * width).squareRoot()
                guard norm > limit else { continue }
                if scales == nil { scales = Tensor(zeros: [rows, width], value: 1) }
                for c in 0..<width { scales!.storage[r * width + c] = limit / norm }
            }
        }
        return scales
    }
}
