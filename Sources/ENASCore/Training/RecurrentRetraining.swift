import Foundation

/// Every hyperparameter of retraining one recurrent cell from scratch (strict snake_case JSON, like the search's).
public struct RecurrentRetrainConfig: Codable, Equatable, Sendable {
    public var seed: UInt64 = 1
    /// Kernel threads; 0 keeps the default.
    public var threads = 0
    /// Passes over the training split.
    public var epochs = 40
    /// The model (its node count must equal the architecture's; `child.node_count` is set from it).
    public var child = RecurrentModelConfig(hiddenSize: 200, nodeCount: 12)
    public var training = LanguageModelTrainingConfig()
    /// Columns of the evaluation batches (the authors evaluate with 10 and a BPTT of 35).
    public var evalBatchSize = 10
    /// Averaged SGD: from this epoch on, keep the running mean of the weights over every step and evaluate with it
    /// (enas_lm's fixed-cell training and AWD-LSTM's NT-ASGD average the tail of training; it is worth several
    /// perplexity points). −1 (default): off, evaluate the last weights.
    @Defaulted<AveragingOff> public var averagingStartEpoch = -1
    public enum AveragingOff: FieldDefault { public static let value = -1 }
    public init() {}

    /// Retraining defaults: the search preset's child and SGD settings (enas_lm's retraining runs hundreds of
    /// epochs with lr 20 and exponential decay; the budget here is the caller's).
    public static var standard: RecurrentRetrainConfig {
        var c = RecurrentRetrainConfig()
        let search = RecurrentSearchConfig.paper
        c.child = search.child
        c.training = search.training
        return c
    }

    public static func fromJSON(_ json: String) throws -> RecurrentRetrainConfig {
        let config = try StrictJSON.decode(RecurrentRetrainConfig.self, from: json, over: .standard, context: "retrain config")
        try ensureArgument(config.epochs >= 0 && config.evalBatchSize >= 1 && config.threads >= 0 && config.averagingStartEpoch >= -1,
                           "[retrain config] epochs ≥ 0, eval_batch_size ≥ 1, threads ≥ 0 and averaging_start_epoch ≥ −1 are required")
        return config
    }
}

/// A fixed recurrent cell trained from scratch: the model holds exactly the weights its architecture reads.
/// Its metrics are final metrics (valid/test perplexity of the retrained model), never search metrics.
public final class RecurrentRetraining {
    public let architecture: RecurrentCellArchitecture
    public let config: RecurrentRetrainConfig
    public let corpus: TokenCorpus
    public let model: RecurrentLanguageModel
    public let trainer: LanguageModelTrainer
    /// Steps averaged so far (taken from `config.averaging_start_epoch` on).
    public internal(set) var averagedSteps = 0
    /// The running mean of the model's parameters, in `model.parameters` order, once `averagedSteps` > 0.
    var averages: [Tensor] = []
    /// The running mean of the weights, or nil before the first averaged step.
    public var averagedParameters: [Tensor]? { averagedSteps > 0 ? averages : nil }

    public init(architecture: RecurrentCellArchitecture, config: RecurrentRetrainConfig, corpus: TokenCorpus) throws {
        if config.threads > 0 { Parallel.threadCount = config.threads }
        var config = config
        config.child.nodeCount = architecture.nodeCount
        self.architecture = architecture
        self.config = config
        self.corpus = corpus
        let root = RandomSource(seed: config.seed)
        var initRNG = root.split("init")
        model = try RecurrentLanguageModel(config: config.child, vocabularySize: corpus.vocabulary.count, architecture: architecture, rng: &initRNG)
        trainer = try LanguageModelTrainer(model: model, tokens: corpus.train, config: config.training, rng: root)
    }

    /// Number of parameters of the retrained model.
    public var parameterCount: Int { model.parameterCount }

    /// Trains `epochs` more passes (default: the config's). One event per window; returning false cancels at a
    /// window boundary (`ENASError.cancelled`).
    public func train(epochs: Int? = nil, onEvent: (SearchEvent) -> Bool = { _ in true }) throws {
        let target = trainer.epoch + (epochs ?? config.epochs)
        let start = Date()
        // An estimate: with the randomized BPTT length an epoch's window count varies, so it grows if exceeded.
        var total = max(1, (target - trainer.epoch) * trainer.windowsPerEpoch)
        var done = 0
        while trainer.epoch < target {
            let averaging = config.averagingStartEpoch >= 0 && trainer.epoch >= config.averagingStartEpoch
            let result = try trainer.step(architecture: architecture)
            if averaging { accumulateAverage() }
            done += 1
            total = max(total, done + (trainer.epoch < target ? 1 : 0))
            let elapsed = Date().timeIntervalSince(start)
            let event = SearchEvent(phase: .retrain, epoch: trainer.epoch - (result.epochEnded ? 1 : 0), step: done - 1, steps: total,
                                    loss: Double(result.crossEntropy), perplexity: Foundation.exp(Double(result.crossEntropy)),
                                    learningRate: Double(result.learningRate), architecture: architecture.description,
                                    elapsedSeconds: elapsed, etaSeconds: elapsed / Double(done) * Double(max(0, total - done)),
                                    threads: Parallel.threadCount)
            if !onEvent(event) && trainer.epoch < target {
                throw ENASError.cancelled("[retrain] stopped by the caller at epoch \(trainer.epoch)")
            }
        }
    }

    /// average += (w − average) / n over every parameter, after a step.
    func accumulateAverage() {
        averagedSteps += 1
        let parameters = model.parameters
        if averagedSteps == 1 { averages = parameters.map(\.value); return }
        let weight = FloatVector(repeating: 1 / Float(averagedSteps))
        for (i, p) in parameters.enumerated() {
            p.value.withPointer { value in
                averages[i].withMutablePointer { average in
                    zipElements(p.value.count, UnsafePointer(average), value, average) { a, w in a.addingProduct(w - a, weight) }
                }
            }
        }
    }

    /// Runs `body` with the averaged weights in the model when there are any (the trained ones are put back).
    func withEvaluationWeights<T>(_ body: () throws -> T) rethrows -> T {
        guard averagedSteps > 0 else { return try body() }
        let parameters = model.parameters
        let trained = parameters.map(\.value)
        for (p, average) in zip(parameters, averages) { p.value = average }
        defer { for (p, value) in zip(parameters, trained) { p.value = value } }
        return try body()
    }

    /// Perplexity of the retrained model on "valid" or "test" (whole split, fixed BPTT windows, no dropout), with the
    /// averaged weights when averaging has started.
    public func perplexity(split: String) throws -> Double {
        let tokens: [Int32]
        switch split {
        case "valid": tokens = corpus.valid
        case "test": tokens = corpus.test
        case "train": tokens = corpus.train
        default: throw ENASError.invalidArgument("[evaluate] split must be 'train', 'valid' or 'test', got '\(split)'")
        }
        let batches = try LanguageModelBatches(tokens: tokens, batchSize: config.evalBatchSize)
        return Foundation.exp(try withEvaluationWeights {
            try model.evaluate(batches, architecture: architecture, bptt: config.training.bptt)
        })
    }
}
