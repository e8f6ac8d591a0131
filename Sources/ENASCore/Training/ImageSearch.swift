import Foundation

/// ENAS on a CNN space (macro or micro): phase 1 trains ω with one sampled child per training minibatch (Nesterov
/// SGD on the child's weights only), phase 2 trains θ by REINFORCE with reward = the child's accuracy on one
/// validation minibatch; derive keeps the best of K samples on one shared validation minibatch. Children are
/// scored with batch statistics in BN (the shared running statistics belong to no child), as the authors do.
public final class ImageSearch: AlternatingSearch {
    public let config: ImageSearchConfig
    public let data: ImageData
    public let space: ImageSpace
    /// ω: the shared weights.
    public let network: SharedImageNetwork
    public let optimizer: SGD
    /// θ and its REINFORCE trainer.
    public let controller: ControllerNetwork
    public let reinforce: ReinforceTrainer<ImageSpace>
    let augmentation: Augmentation
    /// Training and validation minibatch order; "augment" stream for crops/flips; "uniform" for the random strategy.
    public internal(set) var trainBatches: ImageBatchSampler
    public internal(set) var validBatches: ImageBatchSampler
    var augmentRNG: RandomSource
    var uniformRNG: RandomSource
    public internal(set) var epoch = 0
    public internal(set) var phase = SearchEvent.Phase.sharedWeights
    public internal(set) var stepInPhase = 0
    public internal(set) var nonFiniteInARow = 0
    /// The log records of this run, in order (also written to `log` when set).
    public internal(set) var history: [[String: Any]] = []
    public var log: JSONLinesLog?

    public init(config: ImageSearchConfig, data: ImageData) throws {
        try config.validate()
        if config.threads > 0 { Parallel.threadCount = config.threads }
        self.config = config
        self.data = data
        let root = RandomSource(seed: config.seed)
        var initRNG = root.split("init")
        switch config.space {
        case .macro:
            space = try .macro(layerCount: config.layers, opTanhReduce: config.opTanhReduce)
            network = .macro(try SharedMacroNetwork(layerCount: config.layers, width: config.width, inChannels: data.channels,
                                                    classes: data.classCount, rng: &initRNG))
        case .micro:
            space = try .micro(blockCount: config.blocks, opTanhReduce: config.opTanhReduce)
            network = .micro(try SharedMicroNetwork(layerCount: config.layers, width: config.width, blockCount: config.blocks,
                                                    inChannels: data.channels, classes: data.classCount, rng: &initRNG))
        }
        optimizer = SGD(learningRate: config.training.learningRate.initial, momentum: config.training.momentum, nesterov: true,
                        weightDecay: config.training.weightDecay)
        var controllerRNG = root.split("controller-init")
        controller = try ControllerNetwork(plan: space.plan, config: config.controller, rng: &controllerRNG)
        reinforce = try ReinforceTrainer(space: space, controller: controller, config: config.reinforce, rng: root)
        augmentation = config.training.augmentation(for: data)
        trainBatches = try ImageBatchSampler(count: data.train.count, batchSize: config.training.batchSize, rng: root.split("data"))
        validBatches = try ImageBatchSampler(count: data.validation.count, batchSize: min(config.validBatchSize, data.validation.count),
                                             rng: root.split("valid-data"))
        augmentRNG = root.split("augment")
        uniformRNG = root.split("uniform")
    }

    var maxNonFiniteSteps: Int { config.maxNonFiniteSteps }

    /// Phase-1 minibatches in one epoch.
    public var sharedWeightsSteps: Int { config.stepsPerEpoch > 0 ? config.stepsPerEpoch : trainBatches.batchesPerEpoch }
    /// Phase-2 Adam steps in one epoch (none for the random strategy).
    public var controllerSteps: Int { config.strategy == .enas ? config.controllerStepsPerEpoch : 0 }

    /// Runs until `epochs` more search epochs are complete (or the callback returns false → `ENASError.cancelled`
    /// at a step boundary; calling `run` again resumes where it stopped).
    public func run(epochs: Int, onEvent: (SearchEvent) -> Bool = { _ in true }) throws {
        try runEpochs(epochs, onEvent: onEvent)
    }

    /// A proposal: the controller's sample (without a graph) or a uniform one.
    func proposeArchitecture() throws -> ImageArchitecture {
        switch config.strategy {
        case .enas: return try space.architecture(from: try withoutGradients { try controller.sample(rng: &reinforce.rng) }.values)
        case .random: return try space.randomArchitecture(rng: &uniformRNG)
        }
    }

    /// Accuracy of `architecture` on the validation minibatch `indices` (no graph, BN on batch statistics).
    public func validationAccuracy(_ architecture: ImageArchitecture, indices: [Int]) throws -> Double {
        try validationAccuracy(architecture, batch: data.validation.batch(indices, mean: data.mean, std: data.std))
    }

    /// Accuracy of `architecture` on a normalized validation batch (derive scores every sample on one batch).
    func validationAccuracy(_ architecture: ImageArchitecture, batch: (images: Tensor, labels: [Int32])) throws -> Double {
        let (images, labels) = batch
        let logits = try withoutGradients { try network.logits(Variable(images), architecture: architecture, training: true) }
        return Double(countCorrect(logits.value, labels: labels)) / Double(labels.count)
    }

    /// Phase 1: one minibatch of SGD on ω for a freshly proposed child.
    func sharedWeightsStep() throws -> SearchEvent {
        let architecture = try proposeArchitecture()
        let indices = trainBatches.next()
        var (images, labels) = data.train.batch(indices, mean: data.mean, std: data.std)
        images = augmentation.apply(images, rng: &augmentRNG)
        let rate = config.training.learningRate.schedule.rate(atEpoch: Double(epoch) + Double(stepInPhase) / Double(sharedWeightsSteps))
        var event = SearchEvent(phase: .sharedWeights, epoch: epoch, step: stepInPhase, steps: sharedWeightsSteps, architecture: architecture.description,
                                elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount)
        try skippingNonFiniteChild {
            let result = try imageTrainingStep(parameters: try network.parameters(for: architecture), images: images, labels: labels,
                                               optimizer: optimizer, learningRate: rate, gradientClip: config.training.gradientClip) {
                (try self.network.logits($0, architecture: architecture, training: true), nil)
            }
            (event.loss, event.accuracy, event.learningRate) = (Double(result.loss), result.accuracy, Double(rate))
        }
        advancePhase()
        return event
    }

    /// Phase 2: one Adam step of θ over `samples_per_step` children, each scored on the next validation minibatch.
    func controllerStep() throws -> SearchEvent {
        var accuracies: [Double] = []
        let records = try reinforce.step { architecture in
            let accuracy = try validationAccuracy(architecture, indices: validBatches.next())
            accuracies.append(accuracy)
            return accuracy
        }
        let n = Double(records.count)
        let event = SearchEvent(phase: .controller, epoch: epoch, step: stepInPhase, steps: controllerSteps,
                                accuracy: accuracies.reduce(0, +) / n, reward: records.map(\.reward).reduce(0, +) / n,
                                baseline: reinforce.baseline, entropy: records.map(\.entropy).reduce(0, +) / n,
                                learningRate: Double(config.reinforce.learningRate), architecture: records.last!.architecture.description,
                                elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount)
        advancePhase()
        return event
    }

    /// The derived architecture: `samples` proposals (controller samples, or uniform for the random strategy), each
    /// scored on the SAME validation minibatch (a fair comparison), the most accurate kept.
    public func derive(samples: Int? = nil) throws -> (architecture: ImageArchitecture, validAccuracy: Double) {
        let count = samples ?? config.deriveSamples
        try ensureArgument(count >= 1, "[derive] samples \(count) must be ≥ 1")
        let batch = data.validation.batch(validBatches.next(), mean: data.mean, std: data.std)
        var best: (ImageArchitecture, Double)?
        for i in 0..<count {
            let architecture = try proposeArchitecture()
            let accuracy = try validationAccuracy(architecture, batch: batch)
            try record(SearchEvent(phase: .derive, epoch: epoch, step: i, steps: count, accuracy: accuracy, architecture: architecture.description,
                                   elapsedSeconds: 0, etaSeconds: 0, threads: Parallel.threadCount))
            if best == nil || accuracy > best!.1 { best = (architecture, accuracy) }
        }
        return best!
    }

    /// Parameters of ω, and of the child `architecture`.
    public var sharedParameterCount: Int { network.layer.parameterCount }
    public func childParameterCount(_ architecture: ImageArchitecture) throws -> Int {
        try network.parameters(for: architecture).reduce(0) { $0 + $1.value.count }
    }
}
