/// Hyperparameters of the controller policy (DESIGN §3).
public struct ControllerConfig: Codable, Equatable, Sendable {
    /// LSTM size (paper 100, enas_lm 64).
    public var hiddenSize = 100
    /// Logits are divided by this before the tanh squashing (5).
    public var temperature: Float = 5
    /// logits = tanhConstant · tanh(logits / temperature) (paper 2.5, enas_lm 2.25; 0 disables).
    public var tanhConstant: Float = 2.5
    /// Uniform init range of θ (enas_lm 0.01; melodyguan 0.1).
    public var initScale: Float = 0.1
    public init() {}
}

/// The controller's parameters θ: a one-layer LSTM without bias, a start input, per choice group an input
/// embedding and an output projection, and the additive attention (W1, W2, v) for index and subset decisions.
/// C = hidden size. Shapes: lstm.weight (2C, 4C), start (1, C), group g embedding (count_g, C) and softmax
/// (C, count_g), attention w1, w2 (C, C), v (C, 1).
public final class ControllerNetwork: Layer {
    public let config: ControllerConfig
    public let plan: DecisionPlan
    let lstm: LSTMCell
    let start: Variable
    let groupEmbeddings: [Variable]
    let groupSoftmax: [Variable]
    let attentionAnchor: Variable
    let attentionQuery: Variable
    let attentionOut: Variable

    public init(plan: DecisionPlan, config: ControllerConfig, rng: inout RandomSource) throws {
        try ensureArgument(config.hiddenSize >= 1 && config.temperature > 0 && config.tanhConstant >= 0,
                           "[controller] hidden size \(config.hiddenSize), temperature \(config.temperature) and tanh constant \(config.tanhConstant) must be positive")
        self.plan = plan
        self.config = config
        let c = config.hiddenSize, initializer = Initializer.uniform(scale: config.initScale)
        lstm = LSTMCell("controller.lstm", inputSize: c, hiddenSize: c, bias: false, initializer: initializer, rng: &rng)
        start = makeParameter("controller.start", [1, c], initializer, rng: &rng)
        groupEmbeddings = plan.groupSizes.enumerated().map { makeParameter("controller.group\($0.offset).embedding", [$0.element, c], initializer, rng: &rng) }
        groupSoftmax = plan.groupSizes.enumerated().map { makeParameter("controller.group\($0.offset).softmax", [c, $0.element], initializer, rng: &rng) }
        attentionAnchor = makeParameter("controller.attention.w1", [c, c], initializer, rng: &rng)
        attentionQuery = makeParameter("controller.attention.w2", [c, c], initializer, rng: &rng)
        attentionOut = makeParameter("controller.attention.v", [c, 1], initializer, rng: &rng)
    }

    public var parameters: [Variable] {
        lstm.parameters + [start] + groupEmbeddings + groupSoftmax + [attentionAnchor, attentionQuery, attentionOut]
    }

    /// One sampled (or greedy) decision sequence.
    public struct Sample {
        /// One entry per plan step: the chosen option / anchor, or the subset's bits.
        public let values: [[Int]]
        /// Σ log π(values) — differentiable with respect to θ when gradients are on.
        public let logProbability: Variable
        /// Σ over steps of each decision distribution's entropy (nats; no gradient).
        public let entropy: Double
        /// Mean over subset steps of KL(skip probabilities ‖ [1 − ρ, ρ]) — differentiable; nil without subset steps.
        public let skipPenalty: Variable?
    }

    /// Walks the plan once. `forced` replays given values (to score a known architecture); otherwise each value is
    /// drawn from `rng` ("arch" stream), or the most likely one when `greedy`.
    /// `skipTarget` is ρ of the skip penalty (the authors' 0.4).
    public func sample(rng: inout RandomSource, greedy: Bool = false, forced: [[Int]]? = nil, skipTarget: Float = 0.4) throws -> Sample {
        if let forced { try ensureArgument(forced.count == plan.steps.count, "[controller] \(forced.count) forced values for \(plan.steps.count) decisions") }
        let c = config.hiddenSize
        var input = start
        var state = lstm.zeroState(batch: 1)
        let zero = Variable(Tensor(zeros: [1, c]))
        var anchors = [Variable](repeating: zero, count: plan.initialAnchors)
        var projected = [Variable](repeating: zero, count: plan.initialAnchors)
        var values: [[Int]] = []
        var logProbabilities: [Variable] = []
        var skipPenalties: [Variable] = []
        var entropy = 0.0

        for (n, step) in plan.steps.enumerated() {
            if step.resetsAnchors {
                anchors = [Variable](repeating: zero, count: plan.initialAnchors)
                projected = anchors
            }
            state = try lstm(input, state: state)
            let h = state.h
            let tanhConstant = config.tanhConstant * step.tanhConstantScale
            switch step.decision {
            case .choice(let group, let count):
                let logits = squash(try matmul(h, groupSoftmax[group]), tanhConstant: tanhConstant)
                let (choice, logP, ent) = try pick(logits, count: count, forced: forced?[n], greedy: greedy, rng: &rng)
                values.append([choice])
                logProbabilities.append(logP)
                entropy += ent
                input = try gather(groupEmbeddings[group], ids: [Int32(choice)])
            case .index(let k, let distancePrior):
                var logits = squash(try attention(h, projected: Array(projected.prefix(k))), tanhConstant: tanhConstant)
                if distancePrior {
                    let prior = (0..<k).map { j in -Float((k - j) * (k - j)) / 6 }
                    logits = try addBias(logits, Variable(try Tensor(shape: [k], storage: prior)))
                }
                let (j, logP, ent) = try pick(logits, count: k, forced: forced?[n], greedy: greedy, rng: &rng)
                values.append([j])
                logProbabilities.append(logP)
                entropy += ent
                // The chosen anchor, damped by its distance (the authors' 1 / (0.1 + k − j)).
                input = scale(anchors[j], by: 1 / (0.1 + Float(k - j)))
            case .subset(let k):
                // Logit z_j of "take anchor j"; as two-class rows [0, z_j] the softmax of class 1 is σ(z_j).
                let z = squash(try attention(h, projected: Array(projected.prefix(k))), tanhConstant: tanhConstant)   // (1, k)
                let pairs = try reshape(try concat([Variable(Tensor(zeros: [k, 1])), try reshape(z, [k, 1])]), [k, 2])
                var bits: [Int] = []
                for j in 0..<k {
                    let p = 1 / (1 + Foundation.exp(-Double(z.value.storage[j])))
                    if let forced = forced?[n] {
                        try ensureArgument(forced.count == k && forced[j] >= 0 && forced[j] <= 1, "[controller] subset value \(forced) is not \(k) bits")
                        bits.append(forced[j])
                    } else {
                        bits.append(greedy ? (p > 0.5 ? 1 : 0) : (rng.nextDouble() < p ? 1 : 0))
                    }
                    if p > 0 && p < 1 { entropy -= p * Foundation.log(p) + (1 - p) * Foundation.log(1 - p) }
                }
                values.append(bits)
                logProbabilities.append(scale(try softmaxCrossEntropy(pairs, labels: bits.map(Int32.init), scale: 1), by: -1))
                skipPenalties.append(try klDivergenceToTarget(pairs, target: [1 - skipTarget, skipTarget]))
                let chosen = bits.enumerated().filter { $0.element == 1 }.map { anchors[$0.offset] }
                input = chosen.isEmpty ? zero : scale(try sum(chosen), by: 1 / Float(chosen.count))
            }
            if step.recordsAnchor {
                anchors.append(h)
                projected.append(try matmul(h, attentionAnchor))
            }
        }
        let penalty = skipPenalties.isEmpty ? nil : scale(try sum(skipPenalties), by: 1 / Float(skipPenalties.count))
        return Sample(values: values, logProbability: try sum(logProbabilities), entropy: entropy, skipPenalty: penalty)
    }

    /// tanhConstant · tanh(logits / temperature), or logits / temperature when the constant is 0.
    func squash(_ logits: Variable, tanhConstant: Float) -> Variable {
        let tempered = scale(logits, by: 1 / config.temperature)
        return tanhConstant > 0 ? scale(tanh(tempered), by: tanhConstant) : tempered
    }

    /// v · tanh(anchor_j · W1 + h · W2) for each anchor: (1, k).
    func attention(_ h: Variable, projected: [Variable]) throws -> Variable {
        let k = projected.count, c = config.hiddenSize
        let anchorRows = try reshape(try concat(projected), [k, c])                        // (k, C)
        let query = try reshape(try matmul(h, attentionQuery), [c])                        // (C)
        let scores = try matmul(tanh(try addBias(anchorRows, query)), attentionOut)        // (k, 1)
        return try reshape(scores, [1, k])
    }

    /// Draws (or takes) one option from logits (1, count): (option, log π(option) as a differentiable scalar, entropy).
    func pick(_ logits: Variable, count: Int, forced: [Int]?, greedy: Bool, rng: inout RandomSource) throws -> (Int, Variable, Double) {
        let row = logits.value.storage
        let m = row.max()!
        let weights = row.map { Foundation.exp(Double($0 - m)) }
        let total = weights.reduce(0, +)
        let probabilities = weights.map { $0 / total }
        var choice: Int
        if let forced {
            try ensureArgument(forced.count == 1 && forced[0] >= 0 && forced[0] < count, "[controller] value \(forced) is outside 0..<\(count)")
            choice = forced[0]
        } else if greedy {
            choice = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        } else {
            let u = rng.nextDouble()
            var cumulative = 0.0
            choice = count - 1
            for (i, p) in probabilities.enumerated() { cumulative += p; if u < cumulative { choice = i; break } }
        }
        let entropy = -probabilities.reduce(0.0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) }
        let logP = scale(try softmaxCrossEntropy(logits, labels: [Int32(choice)], scale: 1), by: -1)
        return (choice, logP, entropy)
    }
}

import Foundation
