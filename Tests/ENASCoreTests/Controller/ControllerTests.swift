import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Controller: policy over decisions, REINFORCE")
struct ControllerTests {
    func makeController(nodes: Int = 12, samplesFirst: Bool = true, hidden: Int = 100, seed: UInt64 = 1) throws -> (RecurrentCellSpace, ControllerNetwork) {
        let space = try RecurrentCellSpace(nodeCount: nodes, samplesFirstActivation: samplesFirst, output: .looseEnds)
        var config = ControllerConfig()
        config.hiddenSize = hidden
        var rng = RandomSource(seed: seed)
        return (space, try ControllerNetwork(plan: space.plan, config: config, rng: &rng))
    }

    @Test func benchmarkW4ParameterCountMatchesBENCH() throws {
        let (_, controller) = try makeController()
        #expect(controller.parameterCount == 101_000)
    }

    @Test func samplesAreValidArchitecturesAndReplayGivesTheSameLogProbability() throws {
        let (space, controller) = try makeController(nodes: 6)
        var rng = RandomSource(seed: 2)
        for _ in 0..<20 {
            let sample = try controller.sample(rng: &rng)
            let architecture = try space.architecture(from: sample.values)
            #expect(architecture.nodeCount == 6)
            #expect(try space.values(for: architecture) == sample.values)
            let replay = try controller.sample(rng: &rng, forced: sample.values)
            #expect(replay.logProbability.value.scalar == sample.logProbability.value.scalar)
            #expect(sample.entropy > 0 && sample.logProbability.value.scalar < 0)
        }
        var a = RandomSource(seed: 9), b = RandomSource(seed: 9)
        #expect(try controller.sample(rng: &a, greedy: true).values == controller.sample(rng: &b, greedy: true).values)
        #expect(throws: ENASError.self) { try controller.sample(rng: &a, forced: [[0]]) }
    }

    @Test func logProbabilityGradientMatchesFiniteDifferences() throws {
        let (_, controller) = try makeController(nodes: 4, samplesFirst: true, hidden: 6, seed: 3)
        var rng = RandomSource(seed: 4)
        let values = try controller.sample(rng: &rng).values
        controller.zeroGrad()
        try controller.sample(rng: &rng, forced: values).logProbability.backward()
        func logP() throws -> Double {
            Double(try withoutGradients { try controller.sample(rng: &rng, forced: values) }.logProbability.value.scalar)
        }
        let used = controller.parameters.filter { $0.grad != nil }
        #expect(used.count == controller.parameters.count)
        let failures = try parameterGradientCheck(used, stride: 7, loss: logP)
        #expect(failures.isEmpty, "\(failures.prefix(4))")
    }

    /// Fraction of ReLU among the node activations of `count` architectures.
    func reluShare(_ architectures: [RecurrentCellArchitecture]) -> Double {
        let nodes = architectures.flatMap(\.nodes)
        return Double(nodes.filter { $0.activation == .relu }.count) / Double(nodes.count)
    }

    @Test func reinforceLearnsASyntheticRewardAndRandomDoesNot() throws {
        let (space, controller) = try makeController(nodes: 5, samplesFirst: false, hidden: 32, seed: 5)
        var config = ReinforceConfig()
        config.learningRate = 0.01
        config.entropyWeight = 0
        config.samplesPerStep = 5
        let trainer = try ReinforceTrainer(space: space, controller: controller, config: config, rng: RandomSource(seed: 6))
        var probe = RandomSource(seed: 7)
        let before = reluShare(try (0..<200).map { _ in try space.architecture(from: controller.sample(rng: &probe).values) })
        for _ in 0..<60 {
            _ = try trainer.step { architecture in Double(architecture.nodes.filter { $0.activation == .relu }.count) / 4 }
        }
        let after = reluShare(try (0..<200).map { _ in try space.architecture(from: controller.sample(rng: &probe).values) })
        #expect(before < 0.4, "ReLU share before training \(before)")
        #expect(after > 0.7, "ReLU share after training \(after)")
        var uniform = RandomSource(seed: 8)
        let random = reluShare(try (0..<400).map { _ in try space.randomArchitecture(rng: &uniform) })
        #expect(abs(random - 0.25) < 0.05, "the random strategy's ReLU share \(random)")
    }
}
