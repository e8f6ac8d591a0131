import ENASCore
import ENASTestSupport
import Testing

/// `RecurrentLanguageModel`'s passes split into row blocks (one per thread) compute what one unsplit pass does: the
/// same loss, final state and gradients up to rounding, with every dropout and the slowness term on, and the random
/// stream advanced the same; evaluation likewise.
@Suite("Recurrent training and evaluation split by batch rows")
struct RecurrentRowBlockTests {
    struct Outcome {
        let crossEntropy: Float
        let finalHidden: [Float]
        let gradients: [[Float]]
        let nextDraw: Float
    }

    /// One pass over a 17-row batch (blocks of 8 and 9 rows on 2 threads) of a search model's child.
    func pass(threads: Int, lossScale: Float?, slowness: Float = 0.5) throws -> Outcome {
        var config = RecurrentModelConfig(hiddenSize: 12, nodeCount: 4)
        (config.embeddingDropout, config.inputDropout, config.cellInputDropout) = (0.1, 0.2, 0.15)
        (config.hiddenDropout, config.outputDropout, config.slownessWeight) = (0.25, 0.3, slowness)
        config.initScale = 0.3
        var rng = RandomSource(seed: 8)
        let model = try RecurrentLanguageModel(config: config, vocabularySize: 40, architecture: nil, rng: &rng)
        let cell = try RecurrentCellArchitecture.parse("0 1 1 2 0 3", encoding: .enasLM)
        let tokens = (0..<800).map { _ in Int32(rng.int(below: 40)) }
        let window = try LanguageModelBatches(tokens: tokens, batchSize: 17).window(start: 3, length: 9)
        let hidden = randomTensor([17, 12], rng: &rng, low: -0.5, high: 0.5)
        var dropoutRNG = RandomSource(seed: 9)
        let result = try Parallel.withThreadCount(threads) {
            try model.trainingPass(window: window, batchSize: 17, hidden: hidden, architecture: cell, rng: &dropoutRNG,
                                   lossScale: lossScale)
        }
        return Outcome(crossEntropy: result.crossEntropy, finalHidden: result.finalHidden.storage,
                       gradients: try model.parameters(for: cell).map { $0.grad!.storage }, nextDraw: dropoutRNG.nextFloat())
    }

    @Test(arguments: [nil, Float(1) / 17])
    func rowBlocksAddUpToTheWholeBatch(lossScale: Float?) throws {
        let whole = try pass(threads: 1, lossScale: lossScale), split = try pass(threads: 2, lossScale: lossScale)
        #expect(split.nextDraw == whole.nextDraw)
        #expect(abs(split.crossEntropy - whole.crossEntropy) <= 1e-5 * whole.crossEntropy)
        #expect(split.finalHidden == whole.finalHidden)   // rows never mix in the forward pass
        #expect(split.gradients.count == whole.gradients.count)
        for (s, w) in zip(split.gradients, whole.gradients) {
            let scale = w.map(abs).max()!
            #expect(scale > 0)
            #expect(zip(s, w).allSatisfy { abs($0 - $1) <= 2e-5 * scale })
        }
        #expect(split.gradients != whole.gradients, "the split path was not taken (identical rounding)")
    }

    /// Without the slowness term too (its share of the objective is the one scaled by the block's rows).
    @Test func rowBlocksAddUpWithoutSlowness() throws {
        let whole = try pass(threads: 1, lossScale: nil, slowness: 0), split = try pass(threads: 2, lossScale: nil, slowness: 0)
        for (s, w) in zip(split.gradients, whole.gradients) {
            let scale = w.map(abs).max()!
            #expect(zip(s, w).allSatisfy { abs($0 - $1) <= 2e-5 * scale })
        }
    }

    /// A non-finite loss in the split path throws a numeric error and adds no gradient.
    @Test func nonFiniteLossThrowsAndAddsNoGradient() throws {
        var rng = RandomSource(seed: 10)
        let cell = try RecurrentCellArchitecture.parse("0 1 1 2 0 3", encoding: .enasLM)
        let model = try RecurrentLanguageModel(config: .init(hiddenSize: 8, nodeCount: 4), vocabularySize: 30,
                                               architecture: cell, rng: &rng)
        model.embedding.table.value.storage[3] = .nan   // word 0's vector: every logit row reads it (tied softmax)
        let tokens = (0..<400).map { _ in Int32(rng.int(below: 30)) }
        let window = try LanguageModelBatches(tokens: tokens, batchSize: 16).window(start: 0, length: 5)
        #expect(throws: ENASError.self) {
            try Parallel.withThreadCount(2) {
                try model.trainingPass(window: window, batchSize: 16, hidden: Tensor(zeros: [16, 8]), architecture: cell, rng: &rng)
            }
        }
        #expect(model.parameters.allSatisfy { $0.grad == nil })
    }

    /// A whole split evaluated in blocks of 8 and 9 rows, each carrying its own state: the unsplit mean up to rounding.
    @Test func evaluationBlocksAddUpToTheWholeBatch() throws {
        var rng = RandomSource(seed: 11)
        var config = RecurrentModelConfig(hiddenSize: 12, nodeCount: 4)
        config.initScale = 0.3
        let cell = try RecurrentCellArchitecture.parse("0 1 1 2 0 3", encoding: .enasLM)
        let model = try RecurrentLanguageModel(config: config, vocabularySize: 40, architecture: cell, rng: &rng)
        let batches = try LanguageModelBatches(tokens: (0..<900).map { _ in Int32(rng.int(below: 40)) }, batchSize: 17)
        let whole = try Parallel.withThreadCount(1) { try model.evaluate(batches, architecture: cell, bptt: 7) }
        let split = try Parallel.withThreadCount(2) { try model.evaluate(batches, architecture: cell, bptt: 7) }
        #expect(whole > 3 && whole < 4.5)   // near ln 40 = 3.69 for an untrained model
        #expect(abs(split - whole) <= 1e-6 * whole)
        let capped = try Parallel.withThreadCount(2) { try model.evaluate(batches, architecture: cell, bptt: 7, maxWindows: 2) }
        #expect(capped != split)
    }
}
