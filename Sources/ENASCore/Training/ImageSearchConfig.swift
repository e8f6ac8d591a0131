import Foundation

/// Every hyperparameter of a CNN search (macro or micro space), with its source. Decoded from strict snake_case JSON
/// laid over the preset of its space (`"preset": "paper"`, the default, picks the paper's values for `space`).
public struct ImageSearchConfig: Codable, Equatable, Sendable {
    /// macro or micro (DESIGN §2).
    public var space = ImageSpaceKind.micro
    /// enas (controller) or random (uniform sampler).
    public var strategy = SearchStrategy.enas
    /// Fixes every random choice (init, data order, augmentation, architecture samples).
    public var seed: UInt64 = 1
    /// Kernel threads; 0 keeps the default ($ENAS_NUM_THREADS, else the core count). Recorded in logs.
    public var threads = 0
    /// Search epochs: each is phase 1 (ω) then phase 2 (θ).
    public var epochs = 10
    /// Macro: L layers. Micro: L normal cells (plus 2 reduction cells). Authors: macro 12, micro 6.
    public var layers = 6
    /// Channels of the first stage (out_filters). Authors' search: macro 36, micro 20.
    public var width = 20
    /// Micro: blocks per cell (authors: 5).
    public var blocks = 5
    /// The controller's op logits use tanh_constant / op_tanh_reduce (authors: 2.5).
    public var opTanhReduce: Float = 2.5
    /// Phase 1: SGD on ω.
    public var training = ImageTrainingConfig()
    /// Phase 1 length in minibatches; 0 = one pass over the training split.
    public var stepsPerEpoch = 0
    /// The controller policy (authors' CNN: LSTM 64; tanh constant 1.10 micro, 1.5 macro; no temperature).
    public var controller = ControllerConfig()
    /// Phase 2: REINFORCE on θ (reward = accuracy of the child on one validation minibatch).
    public var reinforce = ReinforceConfig()
    /// Phase 2 length in Adam steps (authors: 30 micro, 50 macro).
    public var controllerStepsPerEpoch = 30
    /// Images of the validation minibatch that scores a child.
    public var validBatchSize = 128
    /// Architectures sampled by derive, each scored on the same validation minibatch.
    public var deriveSamples = 100
    /// Consecutive children with a non-finite loss tolerated in phase 1.
    public var maxNonFiniteSteps = 10

    public init() {}

    /// The paper's search for `space` (Pham et al. 2018 §3.2 and the authors' `cifar10_{micro,macro}_search.sh`):
    /// ω by Nesterov SGD, cosine lr 0.05 → 0.0005 (T0 10, Tmul 2), L2 1e-4 micro / 2.5e-4 macro, clip 5, batch 160
    /// micro / 128 macro; micro 6 layers (+2 reduction cells) of 20 filters and 5 blocks; macro 12 layers of 36
    /// filters; controller LSTM 64, Adam β1 0, ε 1e-3, lr 0.0035 micro / 0.001 macro, tanh 1.10 micro / 1.5 macro
    /// with op tanh reduce 2.5, entropy 1e-4, baseline 0.99, 30 / 50 Adam steps per epoch of 10 / 20 samples;
    /// macro skip target 0.4 with KL weight 0.8.
    public static func paper(_ space: ImageSpaceKind) -> ImageSearchConfig {
        var c = ImageSearchConfig()
        c.space = space
        c.epochs = 150
        c.controller.hiddenSize = 64
        c.controller.temperature = 1
        c.controller.initScale = 0.1
        c.reinforce.beta1 = 0
        c.reinforce.epsilon = 1e-3
        c.reinforce.entropyWeight = 1e-4
        c.reinforce.baselineDecay = 0.99
        c.training.learningRate = LearningRateScheduleConfig.cosine(maximum: 0.05, minimum: 0.0005, firstPeriod: 10, periodMultiplier: 2)
        c.training.momentum = 0.9
        c.training.gradientClip = 5
        switch space {
        case .micro:
            (c.layers, c.width, c.blocks) = (6, 20, 5)
            c.training.batchSize = 160
            c.training.weightDecay = 1e-4
            c.controller.tanhConstant = 1.10
            c.reinforce.learningRate = 0.0035
            c.reinforce.samplesPerStep = 10
            c.reinforce.skipWeight = 0
            c.controllerStepsPerEpoch = 30
            c.validBatchSize = 160
        case .macro:
            (c.layers, c.width) = (12, 36)
            c.training.batchSize = 128
            c.training.weightDecay = 2.5e-4
            c.controller.tanhConstant = 1.5
            c.reinforce.learningRate = 0.001
            c.reinforce.samplesPerStep = 20
            c.reinforce.skipTarget = 0.4
            c.reinforce.skipWeight = 0.8
            c.controllerStepsPerEpoch = 50
            c.validBatchSize = 128
        }
        return c
    }

    /// Decodes a JSON object: "space" (default micro) and "preset" (only "paper") pick the base; every other key
    /// overrides it.
    public static func fromJSON(_ json: String) throws -> ImageSearchConfig {
        guard let data = json.data(using: .utf8), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ENASError.format("[image search config] the config is not a JSON object")
        }
        var space = ImageSpaceKind.micro
        if let name = object["space"] {
            guard let name = name as? String, let kind = ImageSpaceKind(rawValue: name) else {
                throw ENASError.invalidArgument("[image search config] 'space' must be \"macro\" or \"micro\", got \(name)")
            }
            space = kind
        }
        var body = object
        if let preset = body.removeValue(forKey: "preset") {
            guard preset as? String == "paper" else { throw ENASError.invalidArgument("[image search config] unknown preset \(preset) (known: paper)") }
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let config = try StrictJSON.decode(ImageSearchConfig.self, from: text, over: paper(space), context: "image search config")
        try config.validate()
        return config
    }

    public func validate() throws {
        try ensureArgument(epochs >= 0 && stepsPerEpoch >= 0 && controllerStepsPerEpoch >= 0 && threads >= 0,
                           "[image search config] epochs, steps_per_epoch, controller_steps_per_epoch and threads must be ≥ 0")
        try ensureArgument(layers >= (space == .macro ? 1 : 0) && width >= 2 && width % 2 == 0 && blocks >= 1 && opTanhReduce > 0,
                           "[image search config] layers ≥ \(space == .macro ? 1 : 0), an even width ≥ 2, blocks ≥ 1 and op_tanh_reduce > 0 are required")
        try ensureArgument(validBatchSize >= 1 && deriveSamples >= 1 && maxNonFiniteSteps >= 1,
                           "[image search config] valid_batch_size, derive_samples and max_non_finite_steps must be ≥ 1")
        try training.validate("image search config")
    }
}
