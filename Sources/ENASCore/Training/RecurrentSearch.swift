import Foundation

/// ENAS on the recurrent-cell space: alternates phase 1 (one sampled child per training window, SGD on ω) and
/// phase 2 (REINFORCE on θ with rewards on validation minibatches), then derives the best of K sampled cells.
/// Every step is atomic: cancelling (callback returns false) stops between steps with all state consistent.
public final class RecurrentSearch: AlternatingSearch {
    public let config: RecurrentSearchConfig
    public let corpus: TokenCorpus
    public let space: RecurrentCellSpace
    /// ω: the shared weights.
    public let sharedModel: RecurrentLanguageModel
    public let sharedTrainer: LanguageModelTrainer
    /// θ and its REINFORCE trainer.
    public let controller: ControllerNetwork
    public let reinforce: ReinforceTrainer<RecurrentCellSpace>
    let validBatches: LanguageModelBatches
    /// Next validation window (column position) used to score a child.
    public internal(set) var validCursor = 0
    /// Completed search epochs, and where the current one is.
    public internal(set) var epoch = 0
    public internal(set) var phase = SearchEvent.Phase.sharedWeights
    public internal(set) var stepInPhase = 0
    /// Phase-1 children with a non-finite loss in a row.
    public internal(set) var nonFiniteInARow = 0
    /// Streams: "arch" for the random strategy's sampler, "eval" for derive.
    var uniformRNG: RandomSource
    /// The log records of this run, in order (also written to `log` when set).
    public internal(set) var history: [[String: Any]] = []
    public var log: JSONLinesLog?

    public init(config: RecurrentSearchConfig, corpus: TokenCorpus) throws {
        try config.validate()
        if config.threads > 0 { Parallel.threadCount = config.threads }
        self.config = config
        self.corpus = corpus
        space = try RecurrentCellSpace(nodeCount: config.child.nodeCount, samplesFirstActivation: config.samplesFirstActivation,
                                       output: config.output)
        let root = RandomSource(seed: config.seed)
        var initRNG = root.split("init")
        sharedModel = try RecurrentLanguageModel(config: config.child, vocabularySize: corpus.vocabulary.count, architecture: nil, rng: &initRNG)
        var controllerRNG = root.split("controller-init")
        controller = try ControllerNetwork(plan: space.plan, config: config.controller, rng: &controllerRNG)
        sharedTrainer = try LanguageModelTrainer(model: sharedModel, tokens: corpus.train, config: config.training, rng: root)
        reinforce = try ReinforceTrainer(space: space, controller: controller, config: config.reinforce, rng: root)
        validBatches = try LanguageModelBatches(tokens: corpus.valid, batchSize: config.validBatchSize)
        uniformRNG = root.split("uniform")
    }

    var maxNonFiniteSteps: Int { config.maxNonFiniteSteps }

    /// Phase-1 windows in one epoch.
    public var sharedWeightsSteps: Int { config.windowsPerEpoch > 0 ? config.windowsPerEpoch : sharedTrainer.windowsPerEpoch }
    /// Phase-2 Adam steps in one epoch (none for the random strategy).
    public var controllerSteps: Int { config.strategy == .enas ? config.controllerStepsPerEpoch : 0 }

    /// A proposal: the controller's sample (without a graph) or a uniform one.
    func proposeArchitecture() throws -> RecurrentCellArchitecture {
        switch config.strategy {
        case .enas: return try space.architecture(from: try withoutGradients { try controller.sample(rng: &reinforce.rng) }.values)
        case .random: return try space.randomArchitecture(rng: &uniformRNG)
        }
    }

    /// Validation perplexity of `architecture` on the next validation window (from a zero state, no dropout).
    /// The cursor advances so successive children see successive windows, as the authors' input producer does.
    public func validationPerplexity(_ architecture: RecurrentCellArchitecture, advance: Bool = true) throws -> Double {
        let window = try validBatches.window(start: validCursor, length: config.training.bptt)
        if advance {
            validCursor += window.length
            if validCursor >= validBatches.columnLength - 1 { validCursor = 0 }
        }
        var unused = RandomSource(seed: 0)
        let result = try withoutGradients {
            try sharedModel.forward(window: window, batchSize: config.validBatchSize,
                                    hidden: Tensor(zeros: [config.validBatchSize, config.child.hiddenSize]),
                                    architecture: architecture, training: false, rng: &unused)
        }
        return Foundation.exp(min(Double(result.crossEntropy), config.maxLogPerplexity))
    }

    /// Runs until `epochs` more search epochs are complete (or the callback returns false → `ENASError.cancelled`
    /// at a step boundary; calling `run` again resumes where it stopped).
    public func run(epochs: Int, onEvent: (SearchEvent) -> Bool = { _ in true }) throws {
        try runEpochs(epochs, onEvent: onEvent)
    }

    /// Phase 1: one window of SGD on ω for a freshly proposed child.
    func sharedWeightsStep() throws -> SearchEvent {
        let architecture = try proposeArchitecture()
        var event = SearchEvent(phase: .sharedWeights, epoch: epoch, step: stepInPhase, steps: sharedWeightsSteps, architecture: architecture.description,
                                elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount)
        try skippingNonFiniteChild {
            let result = try sharedTrainer.step(architecture: architecture)
            event.loss = Double(result.crossEntropy)
            event.perplexity = Foundation.exp(Double(result.crossEntropy))
            event.learningRate = Double(result.learningRate)
        }
        advancePhase()
        return event
    }

    /// Phase 2: one Adam step of θ over `samples_per_step` children scored on validation windows.
    func controllerStep() throws -> SearchEvent {
        var perplexities: [Double] = []
        let records = try reinforce.step { architecture in
            let ppl = try validationPerplexity(architecture)
            perplexities.append(ppl)
            return config.rewardConstant / ppl
        }
        let n = Double(records.count)
        let event = SearchEvent(phase: .controller, epoch: epoch, step: stepInPhase, steps: controllerSteps,
                                perplexity: perplexities.reduce(0, +) / n, reward: records.map(\.reward).reduce(0, +) / n,
                                baseline: reinforce.baseline, entropy: records.map(\.entropy).reduce(0, +) / n,
                                learningRate: Double(config.reinforce.learningRate), architecture: records.last!.architecture.description,
                                elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount)
        advancePhase()
        return event
    }

    /// The derived architecture: `samples` proposals (controller samples, or uniform for the random strategy), each
    /// scored on the SAME validation window (a fair comparison), the lowest perplexity kept.
    public func derive(samples: Int? = nil) throws -> (architecture: RecurrentCellArchitecture, validPerplexity: Double) {
        let count = samples ?? config.deriveSamples
        try ensureArgument(count >= 1, "[derive] samples \(count) must be ≥ 1")
        var best: (RecurrentCellArchitecture, Double)?
        for i in 0..<count {
            let architecture = try proposeArchitecture()
            let ppl = try validationPerplexity(architecture, advance: false)
            try record(SearchEvent(phase: .derive, epoch: epoch, step: i, steps: count, perplexity: ppl, architecture: architecture.description,
                                   elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount))
            if best == nil || ppl < best!.1 { best = (architecture, ppl) }
        }
        return best!
    }
}
