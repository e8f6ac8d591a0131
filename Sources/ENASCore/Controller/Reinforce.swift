/// REINFORCE hyperparameters (DESIGN §3).
public struct ReinforceConfig: Codable, Equatable, Sendable {
    /// Adam learning rate of θ.
    public var learningRate: Float = 3.5e-4
    /// Adam β1 (the authors' CNN controllers use 0).
    public var beta1: Float = 0
    public var beta2: Float = 0.999
    /// Adam ε (the authors use 1e-3).
    public var epsilon: Float = 1e-3
    /// Moving-average baseline decay: b ← b − (1 − decay)(b − R).
    public var baselineDecay: Double = 0.99
    /// Weight of the sampled architecture's entropy in the reward (no gradient through it).
    public var entropyWeight: Double = 1e-4
    /// Architectures whose gradients are averaged per Adam step.
    public var samplesPerStep = 10
    /// Macro skips: target probability ρ of each skip connection (the authors' 0.4).
    public var skipTarget: Float = 0.4
    /// Weight of the mean KL(skip probabilities ‖ ρ) added to the loss (the authors' macro search: 0.8; 0 = off).
    public var skipWeight: Float = 0
    public init() {}
}

/// Trains the controller with REINFORCE: for each sample, reward R = reward(architecture) + w·entropy; the
/// baseline moves first, then loss = −(R − b) · log π; gradients are averaged over `samplesPerStep` samples per
/// Adam step. The baseline starts at the first reward seen (the authors start at 0, which makes the first hundreds
/// of updates push every sampled architecture up regardless of its quality).
public final class ReinforceTrainer<Space: SearchSpace> {
    public let space: Space
    public let controller: ControllerNetwork
    public let config: ReinforceConfig
    public let optimizer: Adam
    public var baseline: Double?
    /// The "arch" random stream.
    public var rng: RandomSource

    public init(space: Space, controller: ControllerNetwork, config: ReinforceConfig, rng: RandomSource) throws {
        try ensureArgument(config.samplesPerStep >= 1 && config.baselineDecay >= 0 && config.baselineDecay < 1,
                           "[reinforce] samples per step \(config.samplesPerStep) must be ≥ 1 and baseline decay \(config.baselineDecay) in [0, 1)")
        self.space = space
        self.controller = controller
        self.config = config
        optimizer = Adam(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon)
        self.rng = rng.split("arch")
    }

    public struct SampleRecord: Sendable {
        public let architecture: Space.Architecture
        public let reward: Double
        public let entropy: Double
        public let logProbability: Double
        public let baseline: Double
    }

    /// One Adam step of θ over `samplesPerStep` sampled architectures scored by `reward` (higher is better;
    /// must be finite).
    public func step(reward: (Space.Architecture) throws -> Double) throws -> [SampleRecord] {
        controller.zeroGrad()
        var records: [SampleRecord] = []
        for _ in 0..<config.samplesPerStep {
            let sample = try controller.sample(rng: &rng, skipTarget: config.skipTarget)
            let architecture = try space.architecture(from: sample.values)
            let r = try reward(architecture)
            guard r.isFinite else { throw ENASError.numeric("[reinforce] reward \(r) for \(architecture)") }
            let total = r + config.entropyWeight * sample.entropy
            var b = baseline ?? total
            b -= (1 - config.baselineDecay) * (b - total)
            baseline = b
            let advantage = Float(total - b)
            var loss = scale(sample.logProbability, by: -advantage)
            if let penalty = sample.skipPenalty, config.skipWeight > 0 { loss = try add(loss, scale(penalty, by: config.skipWeight)) }
            try scale(loss, by: 1 / Float(config.samplesPerStep)).backward()
            records.append(SampleRecord(architecture: architecture, reward: total, entropy: sample.entropy,
                                        logProbability: Double(sample.logProbability.value.scalar), baseline: b))
        }
        optimizer.step(controller.parameters)
        controller.zeroGrad()
        return records
    }
}
