/// Training hyperparameters of a recurrent language model (a child during the search, or a retrained cell).
public struct LanguageModelTrainingConfig: Codable, Equatable, Sendable {
    /// B: parallel columns per minibatch.
    public var batchSize = 64
    /// T: base BPTT window length.
    public var bptt = 35
    /// Randomized window lengths (AWD-LSTM / enas_lm) with the learning rate scaled by length / T.
    public var randomLength = true
    /// SGD learning rate schedule (per epoch of the training split).
    public var learningRate = LearningRateScheduleConfig.constant(20)
    /// Global-norm gradient clip.
    public var gradientClip: Float = 0.25
    /// L2 weight decay on the weights the child uses.
    public var weightDecay: Float = 1e-7
    public init() {}
}

/// The JSON form of a learning-rate schedule (one flat object so configs stay readable and partially overridable).
public struct LearningRateScheduleConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case constant, exponentialDecay = "exponential_decay", cosine }
    public var kind: Kind
    /// The rate (constant), the initial rate (exponential decay) or the maximum (cosine).
    public var initial: Float
    /// Cosine: the rate at the end of each period.
    public var minimum: Float = 0
    /// Exponential decay: factor per epoch from `startEpoch` on.
    public var factor: Float = 1
    public var startEpoch: Int = 0
    /// Cosine: T0 and Tmul of SGDR.
    public var firstPeriod: Double = 10
    public var periodMultiplier: Double = 2

    public static func constant(_ rate: Float) -> Self { Self(kind: .constant, initial: rate) }

    /// SGDR cosine from `maximum` to `minimum` over periods of T0, T0·Tmul, … epochs.
    public static func cosine(maximum: Float, minimum: Float, firstPeriod: Double, periodMultiplier: Double) -> Self {
        Self(kind: .cosine, initial: maximum, minimum: minimum, firstPeriod: firstPeriod, periodMultiplier: periodMultiplier)
    }

    public var schedule: LearningRateSchedule {
        switch kind {
        case .constant: .constant(initial)
        case .exponentialDecay: .exponentialDecay(initial: initial, factor: factor, startEpoch: startEpoch)
        case .cosine: .cosine(maximum: initial, minimum: minimum, firstPeriod: firstPeriod, periodMultiplier: periodMultiplier)
        }
    }
}

/// Walks the training split window by window, carrying the hidden state, and takes one SGD step per window on
/// whatever architecture the caller names — a fixed cell when retraining, a freshly sampled child per window in
/// the search's phase 1. All of its state (cursor, hidden state, optimizer, random streams) is checkpointable.
public final class LanguageModelTrainer {
    public let model: RecurrentLanguageModel
    public let config: LanguageModelTrainingConfig
    public let batches: LanguageModelBatches
    public let optimizer: SGD
    /// Column position of the next window.
    public internal(set) var cursor = 0
    /// Completed passes over the training split.
    public internal(set) var epoch = 0
    /// Windows taken in the current epoch.
    public internal(set) var stepInEpoch = 0
    /// The state carried between windows (B, H).
    public internal(set) var hidden: Tensor
    /// Streams for window lengths ("data") and dropout masks ("dropout").
    public var dataRNG: RandomSource
    public var dropoutRNG: RandomSource

    public init(model: RecurrentLanguageModel, tokens: [Int32], config: LanguageModelTrainingConfig, rng: RandomSource) throws {
        try ensureArgument(config.bptt >= 1 && config.gradientClip >= 0, "[trainer] bptt \(config.bptt) and gradient clip \(config.gradientClip) must be positive")
        self.model = model
        self.config = config
        batches = try LanguageModelBatches(tokens: tokens, batchSize: config.batchSize)
        optimizer = SGD(learningRate: config.learningRate.schedule.rate(atEpoch: 0), weightDecay: config.weightDecay)
        hidden = Tensor(zeros: [config.batchSize, model.config.hiddenSize])
        dataRNG = rng.split("data")
        dropoutRNG = rng.split("dropout")
    }

    /// Fractional epochs done.
    public var progress: Double { Double(epoch) + Double(cursor) / Double(max(1, batches.columnLength - 1)) }

    /// Approximate windows per epoch.
    public var windowsPerEpoch: Int { batches.windowCount(length: config.bptt) }

    public struct StepResult: Sendable {
        public let crossEntropy: Float
        public let gradientNorm: Float
        public let learningRate: Float
        public let length: Int
        public let epochEnded: Bool
    }

    /// One window of training on `architecture`: forward, backward, clip, SGD on the child's weights.
    /// A non-finite loss throws `ENASError.numeric` before any weight changes.
    public func step(architecture: RecurrentCellArchitecture) throws -> StepResult {
        var length = config.bptt
        if config.randomLength { length = LanguageModelBatches.randomLength(base: config.bptt, rng: &dataRNG) }
        let window = try batches.window(start: cursor, length: length)
        let parameters = try model.parameters(for: architecture)
        for p in parameters { p.zeroGrad() }
        let result = try model.trainingPass(window: window, batchSize: config.batchSize, hidden: hidden,
                                            architecture: architecture, rng: &dropoutRNG)
        let norm = try clipGradientsByGlobalNorm(parameters, maxNorm: config.gradientClip)
        let rate = config.learningRate.schedule.rate(atEpoch: progress) * Float(window.length) / Float(config.bptt)
        optimizer.learningRate = rate
        optimizer.step(parameters)
        for p in parameters { p.zeroGrad() }
        hidden = result.finalHidden
        cursor += window.length
        stepInEpoch += 1
        // The authors restart when fewer than 3 positions remain.
        let ended = cursor >= batches.columnLength - 3
        if ended {
            cursor = 0
            epoch += 1
            stepInEpoch = 0
            hidden = Tensor(zeros: hidden.shape)
        }
        return StepResult(crossEntropy: result.crossEntropy, gradientNorm: norm, learningRate: rate, length: window.length, epochEnded: ended)
    }
}
