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
            let result = try model.forward(window: windows[next % windowCount], batchSize: w.batch, hidden: hidden,
                                           architecture: cell, training: true, rng: &dropoutRng,
                                           lossScale: 1 / Float(w.batch))
            try result.objective.backward()
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
