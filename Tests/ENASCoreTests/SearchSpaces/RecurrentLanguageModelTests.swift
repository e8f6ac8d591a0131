import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Recurrent language model over the shared cell", .serialized)
struct RecurrentLanguageModelTests {
    static let w1Cell = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"

    @Test func benchmarkW1ParameterCountsMatchBENCH() throws {
        let cell = try RecurrentCellArchitecture.parse(Self.w1Cell, encoding: .firstCode)
        var rng = RandomSource(seed: 1)
        let small = try RecurrentLanguageModel(config: .init(hiddenSize: 256, nodeCount: 12), vocabularySize: 10_000, architecture: cell, rng: &rng)
        #expect(small.parameterCount == 4_263_936)
        #expect(try small.childParameterCount(cell) == 4_263_936)
        let search = try RecurrentLanguageModel(config: .init(hiddenSize: 8, nodeCount: 4), vocabularySize: 100, architecture: nil, rng: &rng)
        // ω: embedding + W0 + (1 + 2 + 3) previous choices × 4 activations matrices of 8 × 16.
        #expect(search.parameterCount == 100 * 8 + 16 * 16 + 6 * 4 * 8 * 16)
        let child = try RecurrentCellArchitecture.parse("0 1 1 2 0 3", encoding: .enasLM)
        #expect(try search.childParameterCount(child) == 100 * 8 + 16 * 16 + 3 * 8 * 16)
        #expect(throws: ENASError.self) { try small.parameters(for: child) }
    }

    @Test func cellGradientsMatchFiniteDifferences() throws {
        let cell = try RecurrentCellArchitecture.parse("0 0 0 1 1 2 1 0 3", encoding: .firstCode)
        var rng = RandomSource(seed: 2)
        let weights = try SharedRecurrentCell(hiddenSize: 3, nodeCount: 5, architecture: cell, initScale: 0.5, rng: &rng)
        let x = randomTensor([2, 3], rng: &rng), h = randomTensor([2, 3], rng: &rng)
        var maskRNG = RandomSource(seed: 5)
        let layerMask = Dropout.mask([2, 3], rate: 0.3, rng: &maskRNG)
        // Inputs and state through the generic checker.
        let failures = try gradientCheck(inputs: [x, h]) { v in
            try weights.step(x: v[0], hidden: v[1], architecture: cell, layerMask: layerMask)
        }
        #expect(failures.isEmpty, "\(failures.prefix(4))")
        // Weights: perturb each parameter in place against its accumulated gradient.
        let readout = randomTensor([2, 3], rng: &rng)
        func loss() throws -> Double {
            let out = try withoutGradients { try weights.step(x: Variable(x), hidden: Variable(h), architecture: cell, layerMask: layerMask) }
            return zip(out.value.storage, readout.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let params = try weights.parameters(for: cell)
        #expect(params.count == 5)
        weights.zeroGrad()   // the input check above back-propagated into the weights too
        try sumAll(multiply(try weights.step(x: Variable(x), hidden: Variable(h), architecture: cell, layerMask: layerMask), mask: readout)).backward()
        let weightFailures = try parameterGradientCheck(params, stride: 5, relativeTolerance: 2e-2, loss: loss)
        #expect(weightFailures.isEmpty, "\(weightFailures.prefix(4))")
    }

    /// Two time steps reading the window's packed weights give the same bits, forward and in the inputs' gradients,
    /// as unpacked products (H = 130 and 9 rows: the products take the packing path); the weights' gradients, summed
    /// over both steps in one product, agree up to rounding.
    @Test func packedWeightsGiveTheSameResults() throws {
        let cell = try RecurrentCellArchitecture.parse("0 0 0 1 1 2 1 0 3", encoding: .firstCode)
        var rng = RandomSource(seed: 4)
        let weights = try SharedRecurrentCell(hiddenSize: 130, nodeCount: 5, architecture: cell, initScale: 0.1, rng: &rng)
        #expect(gemmPacksB(transA: false, transB: false, m: 9, n: 260, k: 130))
        #expect(gemmPacksB(transA: false, transB: true, m: 9, n: 130, k: 260))
        let x = randomTensor([9, 130], rng: &rng), h = randomTensor([9, 130], rng: &rng), readout = randomTensor([9, 130], rng: &rng)
        func run(_ packs: PackedWeightCache?) throws -> [[Float]] {
            weights.zeroGrad()
            let (xv, hv) = (Variable(x, requiresGrad: true), Variable(h, requiresGrad: true))
            var state = hv
            for _ in 0..<2 { state = try weights.step(x: xv, hidden: state, architecture: cell, layerMask: nil, packs: packs) }
            try sumAll(multiply(state, mask: readout)).backward()
            return [state.value.storage, xv.grad!.storage, hv.grad!.storage] + (try weights.parameters(for: cell)).map { $0.grad!.storage }
        }
        let (unpacked, packed) = (try run(nil), try run(PackedWeightCache()))
        #expect(packed[..<3] == unpacked[..<3])
        for (p, u) in zip(packed[3...], unpacked[3...]) {
            let scale = u.map(abs).max()!
            #expect(zip(p, u).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
        }
    }

    /// Identity nodes chained over a window with large weights: without the per-step norm guard the state grows
    /// geometrically within the window (to inf, then a NaN loss); with it every step's state stays at the limit.
    @Test func hiddenNormGuardHoldsEveryStepOfAWindow() throws {
        let cell = try RecurrentCellArchitecture.parse("0 3 1 3 2 3 3 3", encoding: .enasLM)    // an identity chain
        var config = RecurrentModelConfig(hiddenSize: 16, nodeCount: 5)
        config.initScale = 2
        let tokens = (0..<400).map { Int32(($0 * 7919) % 50) }
        let window = try LanguageModelBatches(tokens: tokens, batchSize: 4).window(start: 0, length: 60)
        func run(limit: Float) throws -> RecurrentLanguageModel.WindowResult {
            config.hiddenNormLimit = limit
            var rng = RandomSource(seed: 3)
            let model = try RecurrentLanguageModel(config: config, vocabularySize: 50, architecture: cell, rng: &rng)
            return try model.forward(window: window, batchSize: 4, hidden: Tensor(zeros: [4, 16]), architecture: cell,
                                     training: false, rng: &rng)
        }
        #expect(throws: ENASError.self) { try run(limit: 0) }
        let guarded = try run(limit: 25)
        #expect(guarded.crossEntropy.isFinite)
        for r in 0..<4 {
            let norm = (0..<16).reduce(Float(0)) { $0 + guarded.finalHidden.storage[r * 16 + $1] * guarded.finalHidden.storage[r * 16 + $1] }.squareRoot()
            #expect(norm <= 25 * 1.0001, "row \(r) has norm \(norm)")
        }
    }
}
