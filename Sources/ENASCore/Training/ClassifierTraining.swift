import Foundation

/// Hyperparameters of a plain supervised training run of a fixed image classifier.
public struct ClassifierTrainingConfig: Sendable {
    /// Passes over the training set.
    public var epochs = 10
    /// Images per SGD step.
    public var batchSize = 50
    /// Per-step learning rate (cosine over the run by default, as the authors' CNN retraining).
    public var schedule = LearningRateSchedule.cosine(maximum: 0.08, minimum: 0.002, firstPeriod: 10, periodMultiplier: 1)
    /// Nesterov momentum (authors' CNN: 0.9).
    public var momentum: Float = 0.9
    /// L2 weight decay (authors' micro CNN: 1e-4).
    public var weightDecay: Float = 1e-4
    /// Global-norm gradient clip (0 = off).
    public var gradientClip: Float = 5
    public init() {}
}

/// What a training run reports through its callback once per step. The core never prints; callers render this.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var step: Int
    public var stepsPerEpoch: Int
    public var loss: Float
    public var learningRate: Float
    public var elapsedSeconds: Double
    /// Seconds left at the current pace.
    public var etaSeconds: Double
}

/// Trains `model` on `train` with SGD (Nesterov), one shuffled pass per epoch from the "data" stream of `rng`.
/// `progress` returns false to stop at the next step boundary (`ENASError.cancelled`). A non-finite loss throws
/// `ENASError.numeric`.
public func trainClassifier(
    _ model: some ImageClassifier, on train: ImageDataset, config: ClassifierTrainingConfig, rng: RandomSource,
    normalization: (mean: [Float], std: [Float]), progress: (TrainingProgress) -> Bool = { _ in true }
) throws {
    try ensureArgument(config.batchSize >= 1 && train.count >= config.batchSize,
                       "[train] batch size \(config.batchSize) needs at least that many images, have \(train.count)")
    var dataRNG = rng.split("data")
    let optimizer = SGD(learningRate: config.schedule.rate(atEpoch: 0), momentum: config.momentum, nesterov: true,
                        weightDecay: config.weightDecay)
    let steps = train.count / config.batchSize
    let start = Date()
    for epoch in 0..<config.epochs {
        var order = Array(0..<train.count)
        dataRNG.shuffle(&order)
        for step in 0..<steps {
            optimizer.learningRate = config.schedule.rate(atEpoch: Double(epoch) + Double(step) / Double(steps))
            let indices = Array(order[(step * config.batchSize)..<((step + 1) * config.batchSize)])
            let (images, labels) = train.batch(indices, mean: normalization.mean, std: normalization.std)
            model.zeroGrad()
            let loss = try softmaxCrossEntropy(try model.logits(Variable(images), training: true), labels: labels)
            guard loss.value.scalar.isFinite else {
                throw ENASError.numeric("[train] loss is \(loss.value.scalar) at epoch \(epoch) step \(step)")
            }
            try loss.backward()
            if config.gradientClip > 0 { try clipGradientsByGlobalNorm(model.parameters, maxNorm: config.gradientClip) }
            optimizer.step(model.parameters)
            let done = epoch * steps + step + 1, total = config.epochs * steps
            let elapsed = Date().timeIntervalSince(start)
            let report = TrainingProgress(epoch: epoch, step: step, stepsPerEpoch: steps, loss: loss.value.scalar,
                                          learningRate: optimizer.learningRate, elapsedSeconds: elapsed,
                                          etaSeconds: elapsed / Double(done) * Double(total - done))
            if !progress(report) { throw ENASError.cancelled("[train] stopped by the caller at epoch \(epoch) step \(step)") }
        }
    }
}

/// Top-1 accuracy of `model` on `data` in evaluation mode (running BN statistics, no graph).
public func classificationAccuracy(_ model: some ImageClassifier, on data: ImageDataset,
                                   normalization: (mean: [Float], std: [Float]), batchSize: Int = 200) throws -> Double {
    var correct = 0
    try withoutGradients {
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let (images, labels) = data.batch(Array(start..<min(data.count, start + batchSize)), mean: normalization.mean,
                                              std: normalization.std)
            correct += countCorrect(try model.logits(Variable(images), training: false).value, labels: labels)
        }
    }
    return Double(correct) / Double(max(1, data.count))
}
