/// How architectures are proposed during a search.
public enum SearchStrategy: String, Codable, Sendable {
    /// The controller, trained by REINFORCE (the paper).
    case enas
    /// Uniform sampling with the same ω training and derive (Li & Talwalkar 2019): the baseline to beat.
    case random
}

/// Every hyperparameter of a recurrent-cell search, with its source. Decoded from strict snake_case JSON laid over
/// a preset (`"preset": "paper"` (default) or `"enas_lm"`): an unknown key is an error naming it.
public struct RecurrentSearchConfig: Codable, Equatable, Sendable {
    /// enas (controller) or random (uniform sampler). Default enas.
    public var strategy = SearchStrategy.enas
    /// Fixes every random choice (init, data order, window lengths, dropout, architecture samples).
    public var seed: UInt64 = 1
    /// Kernel threads; 0 keeps the default ($ENAS_NUM_THREADS, else the core count). Recorded in logs.
    public var threads = 0
    /// Search epochs: each is phase 1 (ω) then phase 2 (θ).
    public var epochs = 10
    /// Node 0's activation is sampled (paper) or fixed to tanh (enas_lm).
    public var samplesFirstActivation = true
    /// Cell output: mean of loose ends (paper) or of all nodes (enas_lm).
    public var output = RecurrentCellArchitecture.OutputMode.looseEnds
    /// The child language model (hidden size, node count, dropouts, init).
    public var child = RecurrentModelConfig(hiddenSize: 200, nodeCount: 12)
    /// Phase 1: SGD on ω over the training split.
    public var training = LanguageModelTrainingConfig()
    /// Phase 1 length in windows; 0 = one full pass over the training split.
    public var windowsPerEpoch = 0
    /// The controller policy.
    public var controller = ControllerConfig()
    /// Phase 2: REINFORCE on θ.
    public var reinforce = ReinforceConfig()
    /// Phase 2 length in Adam steps (each averages `reinforce.samples_per_step` samples). enas_lm: 25.
    public var controllerStepsPerEpoch = 25
    /// Columns of the validation minibatches that score children.
    public var validBatchSize = 64
    /// Reward = reward_constant / validation perplexity (the authors' 80).
    public var rewardConstant = 80.0
    /// The log-perplexity entering the reward is capped here (exp(10) ≈ 22,026), so an untrained child still
    /// yields a finite, comparable reward.
    public var maxLogPerplexity = 10.0
    /// Architectures sampled by derive; each is scored on one validation minibatch and the best kept.
    public var deriveSamples = 100
    /// Consecutive children with a non-finite loss tolerated in phase 1 before the search stops with a numeric error.
    public var maxNonFiniteSteps = 10

    public init() {}

    /// The paper's search (Pham et al. 2018 §3, as quoted in DESIGN §3): N = 12 nodes counting node 0, f_0 sampled,
    /// loose ends averaged; controller LSTM 100, Adam 3.5e-4, tanh constant 2.5, temperature 5, entropy 1e-4,
    /// baseline decay 0.99; ω SGD lr 20, clip 0.25, L2 1e-7. Hidden size 200, batch 64 and enas_lm's dropouts
    /// are our choices for a CPU: the paper does not state its search's.
    public static var paper: RecurrentSearchConfig {
        var c = RecurrentSearchConfig()
        c.child = RecurrentModelConfig(hiddenSize: 200, nodeCount: 12)
        c.child.embeddingDropout = 0.10
        c.child.inputDropout = 0.20
        c.child.cellInputDropout = 0.75
        c.child.hiddenDropout = 0.25
        c.child.outputDropout = 0.75
        c.child.initScale = 0.04
        c.training.batchSize = 64
        c.training.learningRate = .constant(20)
        c.training.gradientClip = 0.25
        c.training.weightDecay = 1e-7
        c.controller.hiddenSize = 100
        c.controller.tanhConstant = 2.5
        c.controller.temperature = 5
        c.reinforce.learningRate = 3.5e-4
        c.reinforce.entropyWeight = 1e-4
        c.reinforce.baselineDecay = 0.99
        return c
    }

    /// google-research enas_lm (the authors' corrected code): N = 9, f_0 = tanh, all nodes averaged, H 200,
    /// batch 128, random-length BPTT 35, SGD lr 20, clip 0.1, L2 8e-7, slowness β 1, dropouts e .10 i .20 x .75
    /// l .25 o .75, init 0.04; controller 64 hidden, init 0.01, Adam 5e-5, tanh 2.25, temperature 5, entropy 1e-5,
    /// baseline 0.999, 10 samples per step, 25 steps per epoch.
    public static var enasLM: RecurrentSearchConfig {
        var c = paper
        c.samplesFirstActivation = false
        c.output = .allNodes
        c.child.nodeCount = 9
        c.child.slownessWeight = 1
        c.training.batchSize = 128
        c.training.gradientClip = 0.1
        c.training.weightDecay = 8e-7
        c.controller.hiddenSize = 64
        c.controller.initScale = 0.01
        c.controller.tanhConstant = 2.25
        c.reinforce.learningRate = 5e-5
        c.reinforce.entropyWeight = 1e-5
        c.reinforce.baselineDecay = 0.999
        return c
    }

    /// The named preset.
    public static func preset(_ name: String) throws -> RecurrentSearchConfig {
        switch name {
        case "paper": return paper
        case "enas_lm": return enasLM
        default: throw ENASError.invalidArgument("[search config] unknown preset '\(name)' (known: paper, enas_lm)")
        }
    }

    /// Decodes a JSON object: its optional "preset" picks the base, every other key overrides it.
    public static func fromJSON(_ json: String) throws -> RecurrentSearchConfig {
        var presetName = "paper"
        var body = json
        if let data = json.data(using: .utf8), var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let name = object.removeValue(forKey: "preset") {
            guard let name = name as? String else { throw ENASError.invalidArgument("[search config] 'preset' must be a string") }
            presetName = name
            body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let config = try StrictJSON.decode(RecurrentSearchConfig.self, from: body, over: try preset(presetName), context: "search config")
        try config.validate()
        return config
    }

    /// Throws on values outside their domain.
    public func validate() throws {
        try ensureArgument(epochs >= 0 && windowsPerEpoch >= 0 && controllerStepsPerEpoch >= 0,
                           "[search config] epochs, windows_per_epoch and controller_steps_per_epoch must be ≥ 0")
        try ensureArgument(validBatchSize >= 1 && deriveSamples >= 1 && maxNonFiniteSteps >= 1 && threads >= 0,
                           "[search config] valid_batch_size, derive_samples and max_non_finite_steps must be ≥ 1, threads ≥ 0")
        try ensureArgument(child.nodeCount >= 2 && child.hiddenSize >= 1 && training.batchSize >= 1 && training.bptt >= 1,
                           "[search config] child.node_count ≥ 2, child.hidden_size, training.batch_size and training.bptt ≥ 1")
        try ensureArgument(rewardConstant > 0 && maxLogPerplexity > 0, "[search config] reward_constant and max_log_perplexity must be positive")
    }
}

import Foundation
