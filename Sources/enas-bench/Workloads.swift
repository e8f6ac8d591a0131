// The workload rows of ../shared/BENCH.md: one full training step of a fixed network on synthetic data, as the
// authors' code computes it. bench/pytorch_reference.py builds the same networks in PyTorch.
import ENASCore
import Foundation

/// W1's fixed architecture (the authors' first-code 23-int form): loose ends 3, 4, 7, 9, 10, 11.
let w1Architecture = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"

struct RecurrentWorkload {
    let hidden: Int, batch: Int, parameters: Int, flopsPerStep: Double
}

let recurrentWorkloads: [String: RecurrentWorkload] = [
    "W1s": RecurrentWorkload(hidden: 256, batch: 32, parameters: 4_263_936, flopsPerStep: 28.65e9),
    "W1p": RecurrentWorkload(hidden: 1000, batch: 64, parameters: 36_000_000, flopsPerStep: 483.84e9),
]

func runTraining(_ id: String, minTime: Double, minSamples: Int) throws -> Result {
    if let w = recurrentWorkloads[id] { return try runRecurrent(id, w, minTime: minTime, minSamples: minSamples) }
    if id == "W4" { return try runController(minTime: minTime, minSamples: minSamples) }
    if imageWorkloadParameters[id] != nil { return try runImage(id, minTime: minTime, minSamples: minSamples) }
    throw ENASError.invalidArgument("unknown workload \(id)")
}

/// W1s / W1p: embedding → fixed 12-node cell over 35 steps → tied softmax; loss = summed CE / B; global-norm
/// clip 10; SGD 0.25; the hidden state carried (detached) across windows; no dropout, no norm guard.
func runRecurrent(_ id: String, _ w: RecurrentWorkload, minTime: Double, minSamples: Int) throws -> Result {
    let bptt = 35, vocabulary = 10_000
    let cell = try RecurrentCellArchitecture.parse(w1Architecture, encoding: .firstCode)
    guard cell.outputNodes == [3, 4, 7, 9, 10, 11] else { fatalError("[\(id)] loose ends \(cell.outputNodes)") }
    var config = RecurrentModelConfig(hiddenSize: w.hidden, nodeCount: 12)
    config.hiddenNormLimit = 0
    config.slownessWeight = 0
    var rng = RandomSource(seed: 1)
    let model = try RecurrentLanguageModel(config: config, vocabularySize: vocabulary, architecture: cell, rng: &rng)
    guard model.parameterCount == w.parameters else {
        fatalError("[\(id)] parameter count \(model.parameterCount), BENCH.md says \(w.parameters): not the same network")
    }
    // Random token ids: 16 windows of B × 35, read in turn (prepared outside the timed step).
    let windowCount = 16
    var dataRng = RandomSource(seed: 2)
    let tokens = (0..<(w.batch * (windowCount * bptt + 1))).map { _ in Int32(dataRng.int(below: vocabulary)) }
    let batches = try LanguageModelBatches(tokens: tokens, batchSize: w.batch)
    let windows = try (0..<windowCount).map { try batches.window(start: $0 * bptt, length: bptt) }
    let parameters = model.parameters
    let optimizer = SGD(learningRate: 0.25)
    var hidden = Tensor(zeros: [w.batch, w.hidden])
    var dropoutRng = RandomSource(seed: 3)
    var next = 0
    var lastLoss: Float = 0
    let (seconds, calls) = measure(minTime: minTime, minSamples: minSamples) {
        do {
            let result = try model.trainingPass(window: windows[next % windowCount], batchSize: w.batch, hidden: hidden,
                                                architecture: cell, rng: &dropoutRng, lossScale: 1 / Float(w.batch))
            _ = try clipGradientsByGlobalNorm(parameters, maxNorm: 10)
            optimizer.step(parameters)
            model.zeroGrad()
            hidden = result.finalHidden
            lastLoss = result.crossEntropy
            next += 1
        } catch { fatalError("[\(id)] step \(next): \(error)") }
    }
    let tokensPerStep = Double(w.batch * bptt)
    return Result(seconds: seconds, calls: calls, value: tokensPerStep / seconds, unit: "tokens/s", bandwidth: nil,
                  extra: ["step_ms": seconds * 1e3, "gflops": w.flopsPerStep / seconds / 1e9,
                          "params": model.parameterCount, "last_loss": Double(lastLoss)])
}

/// W4: sample one architecture of the recurrent space (12 nodes, node 0's activation sampled) with the LSTM-100
/// controller, reward 80 / ppl (ppl ~ U(60, 160)) + 1e-3 · entropy, baseline decay 0.99, Adam (1e-3, β (0, 0.999),
/// ε 1e-3).
func runController(minTime: Double, minSamples: Int) throws -> Result {
    let space = try RecurrentCellSpace(nodeCount: 12, samplesFirstActivation: true, output: .looseEnds)
    var rng = RandomSource(seed: 4)
    let controller = try ControllerNetwork(plan: space.plan, config: ControllerConfig(), rng: &rng)
    guard controller.parameterCount == 101_000 else {
        fatalError("[W4] parameter count \(controller.parameterCount), BENCH.md says 101,000: not the same network")
    }
    var config = ReinforceConfig()
    config.learningRate = 1e-3
    config.beta1 = 0
    config.beta2 = 0.999
    config.epsilon = 1e-3
    config.baselineDecay = 0.99
    config.entropyWeight = 1e-3
    config.samplesPerStep = 1
    let trainer = try ReinforceTrainer(space: space, controller: controller, config: config, rng: RandomSource(seed: 5))
    var rewardRng = RandomSource(seed: 6)
    let (seconds, calls) = measure(minTime: minTime, minSamples: minSamples) {
        do {
            _ = try trainer.step { _ in 80 / (60 + 100 * rewardRng.nextDouble()) }
        } catch { fatalError("[W4] \(error)") }
    }
    return Result(seconds: seconds, calls: calls, value: 1 / seconds, unit: "arch/s", bandwidth: nil,
                  extra: ["step_ms": seconds * 1e3, "params": controller.parameterCount])
}

// MARK: - CNN workloads (W2, W2f, W3)

/// The published micro cells (`cifar10_micro_final.sh`): normal, then reduction.
let microNormal = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1"
let microReduce = "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"
/// The first 12 layers of the published macro architecture (`|` only for reading).
let macroArchitecture12 = "0 | 3 0 | 0 1 0 | 2 0 0 1 | 2 0 0 0 0 | 3 1 1 0 1 0 | 2 0 0 0 0 0 1 | 2 0 1 1 0 1 1 1 | "
    + "1 0 1 1 1 0 1 0 1 | 0 0 0 0 0 0 0 0 0 0 | 2 0 0 0 0 0 1 0 0 0 0 | 0 1 0 0 1 1 0 0 0 0 1 1"

/// A CNN child ready to step: its logits in training mode and the parameters the step updates.
struct ImageChild {
    let parameters: [Variable]
    let logits: (Variable) throws -> Variable
}

let imageWorkloadParameters = ["W2": 529_300, "W2f": 608_540, "W3": 253_296]

/// W2 (shared micro, search mode), W2f (fixed micro, retrain mode), W3 (shared macro, search mode); each built with
/// seed 1 for the weights. The parameter list is the child's (for W2/W3, the sampled child's slice of ω).
func makeImageChild(_ id: String) throws -> ImageChild {
    var rng = RandomSource(seed: 1)
    switch id {
    case "W2":
        let architecture = try MicroArchitecture.parse(microNormal + " " + microReduce)
        let network = try SharedMicroNetwork(layerCount: 6, width: 20, blockCount: 5, inChannels: 3, classes: 10, rng: &rng)
        return ImageChild(parameters: try network.parameters(for: architecture)) {
            try network.logits($0, architecture: architecture, training: true)
        }
    case "W2f":
        let architecture = try MicroArchitecture.parse(microNormal + " " + microReduce)
        let network = try MicroNetwork(architecture: architecture, layerCount: 6, width: 20, inChannels: 3, imageSize: (32, 32),
                                       classes: 10, rng: &rng)
        return ImageChild(parameters: network.parameters) { try network.logits($0, training: true) }
    case "W3":
        let architecture = try MacroArchitecture.parse(macroArchitecture12)
        let network = try SharedMacroNetwork(layerCount: 12, width: 36, inChannels: 3, classes: 10, rng: &rng)
        return ImageChild(parameters: try network.parameters(for: architecture)) {
            try network.logits($0, architecture: architecture, training: true)
        }
    default: throw ENASError.invalidArgument("unknown CNN workload \(id)")
    }
}

/// One SGD step (lr 0.05, Nesterov 0.9, weight decay 2e-4) of a CNN child on a batch of 32 standard-normal
/// 3×32×32 images with random labels (4 batches, read in turn; prepared outside the timed step).
func runImage(_ id: String, minTime: Double, minSamples: Int) throws -> Result {
    let batch = 32, batchCount = 4
    let child = try makeImageChild(id)
    let count = child.parameters.reduce(0) { $0 + $1.value.count }
    guard count == imageWorkloadParameters[id] else {
        fatalError("[\(id)] parameter count \(count), BENCH.md says \(imageWorkloadParameters[id]!): not the same network")
    }
    var dataRng = RandomSource(seed: 2)
    let images = (0..<batchCount).map { _ in Tensor(shape: [batch, 3, 32, 32]) { dataRng.normal() } }
    let labels = (0..<batchCount).map { _ in (0..<batch).map { _ in Int32(dataRng.int(below: 10)) } }
    let optimizer = SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 2e-4)
    var next = 0
    var lastLoss: Float = 0
    let (seconds, calls) = measure(minTime: minTime, minSamples: minSamples) {
        do {
            let k = next % batchCount
            let loss = try softmaxCrossEntropy(try child.logits(Variable(images[k])), labels: labels[k])
            try loss.backward()
            optimizer.step(child.parameters)
            for p in child.parameters { p.zeroGrad() }
            lastLoss = loss.value.scalar
            next += 1
        } catch { fatalError("[\(id)] step \(next): \(error)") }
    }
    return Result(seconds: seconds, calls: calls, value: Double(batch) / seconds, unit: "images/s", bandwidth: nil,
                  extra: ["step_ms": seconds * 1e3, "params": count, "last_loss": Double(lastLoss)])
}
