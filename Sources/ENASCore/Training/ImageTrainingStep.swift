/// SGD settings of a CNN's weights, in a search's phase 1 or a retraining (strict snake_case JSON).
public struct ImageTrainingConfig: Codable, Equatable, Sendable {
    /// Images per SGD step.
    public var batchSize = 128
    /// Per-epoch schedule; the authors' CNNs: SGDR cosine 0.05 → 0.0005, T0 10, Tmul 2.
    public var learningRate = LearningRateScheduleConfig.cosine(maximum: 0.05, minimum: 0.0005, firstPeriod: 10, periodMultiplier: 2)
    /// Nesterov momentum (authors: 0.9).
    public var momentum: Float = 0.9
    /// L2 weight decay on the weights a step touches (authors: 1e-4 micro, 2.5e-4 macro search; 2e-4 retraining).
    public var weightDecay: Float = 1e-4
    /// Global-norm gradient clip (authors: 5; 0 = off).
    public var gradientClip: Float = 5
    /// Apply the data set's augmentation (Fashion-MNIST crop 2 + flip, CIFAR-10 crop 4 + flip, caller arrays none).
    public var augment = true
    /// Cutout side added on top (retraining; 0 = off; authors' CIFAR-10: 16).
    public var cutout = 0
    public init() {}

    func validate(_ context: String) throws {
        try ensureArgument(batchSize >= 1 && momentum >= 0 && momentum < 1 && weightDecay >= 0 && gradientClip >= 0 && cutout >= 0,
                           "[\(context)] training.batch_size ≥ 1, momentum in [0, 1), weight_decay, gradient_clip and cutout ≥ 0 are required")
    }

    /// The augmentation of training batches from `data`.
    func augmentation(for data: ImageData) -> Augmentation {
        var a = augment ? data.augmentation : .none
        a.cutout = max(a.cutout, cutout)
        return a
    }
}

/// What one SGD step on an image minibatch measured.
public struct ImageStepResult: Sendable {
    public let loss: Float
    public let accuracy: Double
    public let learningRate: Float
}

/// Rows of `logits` whose largest entry is at the label. A row holding NaN counts as wrong (a diverged child scores
/// 0, it does not crash the search).
func countCorrect(_ logits: Tensor, labels: [Int32]) -> Int {
    let classes = logits.shape[1]
    var correct = 0
    for (r, label) in labels.enumerated() {
        var best = 0, bestValue = -Float.infinity, sawNaN = false
        for c in 0..<classes {
            let v = logits.storage[r * classes + c]
            if v.isNaN { sawNaN = true; break }
            if v > bestValue || c == 0 { (best, bestValue) = (c, v) }
        }
        if !sawNaN && best == Int(label) { correct += 1 }
    }
    return correct
}

/// One SGD step on `parameters` (the weights the forward pass reads): loss = cross-entropy of the main logits
/// (+ `auxiliaryWeight` × the auxiliary head's), backward, global-norm clip, Nesterov SGD at `learningRate`.
/// A non-finite loss throws `ENASError.numeric` before any weight changes.
func imageTrainingStep(parameters: [Variable], images: Tensor, labels: [Int32], optimizer: SGD, learningRate: Float,
                       gradientClip: Float, auxiliaryWeight: Float = 0.4,
                       forward: (Variable) throws -> (logits: Variable, auxiliary: Variable?)) throws -> ImageStepResult {
    for p in parameters { p.zeroGrad() }
    let (logits, auxiliary) = try forward(Variable(images))
    let main = try softmaxCrossEntropy(logits, labels: labels)
    guard main.value.scalar.isFinite else { throw ENASError.numeric("[train] the loss is \(main.value.scalar)") }
    var objective = main
    if let auxiliary { objective = try add(main, scale(try softmaxCrossEntropy(auxiliary, labels: labels), by: auxiliaryWeight)) }
    try objective.backward()
    if gradientClip > 0 { try clipGradientsByGlobalNorm(parameters, maxNorm: gradientClip) }
    optimizer.learningRate = learningRate
    optimizer.step(parameters)
    for p in parameters { p.zeroGrad() }
    return ImageStepResult(loss: main.value.scalar, accuracy: Double(countCorrect(logits.value, labels: labels)) / Double(labels.count),
                           learningRate: learningRate)
}
