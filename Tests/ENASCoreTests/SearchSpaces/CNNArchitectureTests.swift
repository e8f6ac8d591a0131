import ENASCore
import Foundation
import Testing

@Suite("Macro and micro CNN architectures: the published ones parse, round-trip and draw")
struct CNNArchitectureTests {
    static let macro24 = """
        0 3 0 0 1 0 2 0 0 1 2 0 0 0 0 3 1 1 0 1 0 2 0 0 0 0 0 1 2 0 1 1 0 1 1 1 1 0 1 1 1 0 1 0 1 0 0 0 0 0 0 0 0 0 0 \
        2 0 0 0 0 0 1 0 0 0 0 0 1 0 0 1 1 0 0 0 0 1 1 2 0 1 0 0 0 0 0 1 0 1 1 0 1 0 0 1 0 0 0 1 1 1 0 1 0 1 \
        0 1 1 0 1 0 1 0 0 0 0 0 1 0 0 2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1 2 0 1 0 0 0 1 0 0 1 1 1 1 0 0 1 0 \
        2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1 3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0 3 0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 1 \
        0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0 3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 1 0 0 \
        0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0 0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0
        """
    static let macro12 = "0 | 3 0 | 0 1 0 | 2 0 0 1 | 2 0 0 0 0 | 3 1 1 0 1 0 | 2 0 0 0 0 0 1 | 2 0 1 1 0 1 1 1 | 1 0 1 1 1 0 1 0 1 | 0 0 0 0 0 0 0 0 0 0 | 2 0 0 0 0 0 1 0 0 0 0 | 0 1 0 0 1 1 0 0 0 0 1 1"
    static let normal = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1"
    static let reduce = "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"

    @Test func publishedMacroArchitecturesParseAndRoundTrip() throws {
        let big = try MacroArchitecture.parse(Self.macro24)
        #expect(big.layers.count == 24)
        #expect(big.encoded.split(separator: " ").count == 24 * 25 / 2)
        #expect(try MacroArchitecture.parse(big.encoded) == big)
        let w3 = try MacroArchitecture.parse(Self.macro12)
        #expect(w3.layers.count == 12 && w3.layers[1].operation == .separable5x5 && w3.layers[2].skips == [true, false])
        #expect(w3.description.hasPrefix("L0:conv3x3 L1:sep_conv5x5 L2:conv3x3+[stem]"))
        #expect(try JSONDecoder().decode(MacroArchitecture.self, from: JSONEncoder().encode(w3)) == w3)
        #expect(w3.dot.contains("L1 -> L2;") && w3.dot.contains("stem -> L2 [style=dashed];"))
    }

    @Test func publishedMicroCellsParseAndRoundTrip() throws {
        let cells = try MicroArchitecture.parse(Self.normal + " " + Self.reduce)
        #expect(cells.normal.count == 5 && cells.reduce.count == 5)
        #expect(cells.normal[0] == .init(0, .averagePool3x3, 0, .separable3x3))
        #expect(cells.encoded == Self.normal + " " + Self.reduce)
        #expect(MicroArchitecture.looseEnds(cells.normal) == [0, 1, 2, 3, 4].filter { b in !cells.normal.contains { $0.inputs.contains(b + 2) } })
        #expect(try JSONDecoder().decode(MicroArchitecture.self, from: JSONEncoder().encode(cells)) == cells)
        let picture = try cells.dot(cell: "normal")
        #expect(picture.hasPrefix("digraph normal_cell {") && picture.contains("in0 -> b0 [label=\"avg_pool3x3\"];"))
        #expect(try cells.dot(cell: "reduce").contains("digraph reduce_cell"))
        #expect(cells.description.hasPrefix("normal: b0=avg_pool3x3(c[k-2])+sep_conv3x3(c[k-2])"))
    }

    @Test(arguments: ["0 1", "0 3 0 0 1", "6", "0 2 0 1", "0 3 2"])
    func badMacroStringsAreFormatErrors(_ text: String) {
        #expect(throws: ENASError.self) { try MacroArchitecture.parse(text) }
    }

    @Test(arguments: ["0 2 0 0", "0 2 0 0 0 2 0 9", "3 0 0 0 0 0 0 0", "0 5 0 0 0 0 0 0", "x 0 0 0 0 0 0 0"])
    func badMicroStringsAreFormatErrors(_ text: String) {
        #expect(throws: ENASError.self) { try MicroArchitecture.parse(text) }
    }
}

@Suite("CNN search spaces under the one controller")
struct CNNSearchSpaceTests {
    @Test func macroAndMicroSamplesAreValidAndRoundTrip() throws {
        let macro = try MacroSpace(layerCount: 12), micro = try MicroSpace(blockCount: 5)
        var config = ControllerConfig()
        config.hiddenSize = 32
        var rng = RandomSource(seed: 1)
        let macroController = try ControllerNetwork(plan: macro.plan, config: config, rng: &rng)
        let microController = try ControllerNetwork(plan: micro.plan, config: config, rng: &rng)
        for _ in 0..<10 {
            let a = try macro.architecture(from: macroController.sample(rng: &rng).values)
            #expect(a.layers.count == 12 && a.layers[5].skips.count == 5)
            #expect(try macro.architecture(from: macro.values(for: a)) == a)
            let m = try micro.architecture(from: microController.sample(rng: &rng).values)
            #expect(try micro.architecture(from: micro.values(for: m)) == m)
            #expect(try MicroArchitecture.parse(m.encoded) == m)
            #expect(try macro.randomArchitecture(rng: &rng).layers.count == 12)
            #expect(try micro.randomArchitecture(rng: &rng).reduce.count == 5)
        }
        // The published architectures are points of these spaces, and the policy can score them.
        let published = try MicroArchitecture.parse(CNNArchitectureTests.normal + " " + CNNArchitectureTests.reduce)
        let logP = try microController.sample(rng: &rng, forced: try micro.values(for: published)).logProbability.value.scalar
        #expect(logP < 0 && logP.isFinite)
        let w3 = try MacroArchitecture.parse(CNNArchitectureTests.macro12)
        #expect(try macroController.sample(rng: &rng, forced: try macro.values(for: w3)).logProbability.value.scalar.isFinite)
    }
}

extension CNNSearchSpaceTests {
    @Test func skipPenaltyPullsSkipDensityTowardTheTarget() throws {
        let macro = try MacroSpace(layerCount: 6)
        var config = ControllerConfig()
        config.hiddenSize = 16
        var rng = RandomSource(seed: 2)
        let controller = try ControllerNetwork(plan: macro.plan, config: config, rng: &rng)
        var reinforce = ReinforceConfig()
        reinforce.learningRate = 0.02
        reinforce.entropyWeight = 0
        reinforce.samplesPerStep = 4
        reinforce.skipTarget = 0.9
        reinforce.skipWeight = 5
        let trainer = try ReinforceTrainer(space: macro, controller: controller, config: reinforce, rng: rng)
        func density() throws -> Double {
            var probe = RandomSource(seed: 3)
            let skips = try (0..<100).flatMap { _ in try macro.architecture(from: controller.sample(rng: &probe).values).layers.flatMap(\.skips) }
            return Double(skips.filter { $0 }.count) / Double(skips.count)
        }
        let before = try density()
        for _ in 0..<40 { _ = try trainer.step { _ in 1 } }   // a constant reward: only the penalty moves θ
        let after = try density()
        #expect(before < 0.7 && after > before + 0.2, "skip density \(before) → \(after) toward ρ = 0.9")
    }
}

@Suite("Shared macro network (search mode)")
struct SharedMacroNetworkTests {
    @Test func benchmarkW3ChildParameterCountMatchesBENCHAndShapesHold() throws {
        var rng = RandomSource(seed: 5)
        let network = try SharedMacroNetwork(layerCount: 12, width: 36, inChannels: 3, classes: 10, rng: &rng)
        let w3 = try MacroArchitecture.parse(CNNArchitectureTests.macro12)
        #expect(try network.childParameterCount(w3) == 253_296)
        #expect(SharedMacroNetwork.reductionLayers(12) == [3, 7])
        let images = Variable(Tensor(shape: [2, 3, 32, 32]) { rng.normal() })
        let logits = try network.logits(images, architecture: w3, training: true)
        #expect(logits.shape == [2, 10])
        // One training step touches only the child's weights (a reduced copy no later layer reads gets none), and
        // every chosen branch learns.
        try softmaxCrossEntropy(logits, labels: [3, 7]).backward()
        let used = Set(try network.parameters(for: w3).map(\.name))
        for p in network.parameters where p.grad != nil { #expect(used.contains(p.name), "\(p.name)") }
        for p in network.parameters where p.name.hasPrefix("layer") && used.contains(p.name) { #expect(p.grad != nil, "\(p.name)") }
    }

    @Test func everyOperationRunsAndLearnsATinyTask() throws {
        var rng = RandomSource(seed: 6)
        let network = try SharedMacroNetwork(layerCount: 3, width: 8, inChannels: 1, classes: 2, rng: &rng)
        let space = try MacroSpace(layerCount: 3)
        // Class 1 images are bright on the left half, class 0 on the right.
        func batch() -> (Tensor, [Int32]) {
            var labels: [Int32] = []
            let t = Tensor(shape: [16, 1, 8, 8]) { 0 }
            var x = t
            for n in 0..<16 {
                let label = Int32(n % 2)
                labels.append(label)
                for y in 0..<8 { for c in 0..<8 { x.storage[(n * 8 + y) * 8 + c] = ((c < 4) == (label == 1) ? 1 : -1) + 0.3 * rng.normal() } }
            }
            return (x, labels)
        }
        let sgd = SGD(learningRate: 0.05, momentum: 0.9, nesterov: true)
        var accuracy = 0.0
        for step in 0..<200 {
            let architecture = try space.randomArchitecture(rng: &rng)
            let (x, labels) = batch()
            network.zeroGrad()
            let logits = try network.logits(Variable(x), architecture: architecture, training: true)
            try softmaxCrossEntropy(logits, labels: labels).backward()
            sgd.step(try network.parameters(for: architecture))
            if step >= 180 {
                let predicted = (0..<16).map { logits.value.storage[$0 * 2 + 1] > logits.value.storage[$0 * 2] ? Int32(1) : 0 }
                accuracy += Double(zip(predicted, labels).filter { $0 == $1 }.count) / 320
            }
        }
        #expect(accuracy > 0.8, "shared weights over random children: training accuracy \(accuracy)")
    }
}
