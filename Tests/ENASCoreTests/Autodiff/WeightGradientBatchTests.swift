import ENASCore
import ENASTestSupport
import Testing

/// A weight read by many products of one scope gets its gradient summed in deep products (`WeightGradientBatch`):
/// the same gradient as per-product sums, up to rounding, and complete when `backward()` returns.
struct WeightGradientBatchTests {
    /// 12 products of 40 rows (480 > one 384-row depth block, so one batch is summed mid-pass and the rest at the
    /// end), chained like a recurrent window; the weight's gradient matches per-product sums, the input's is exact.
    func chain(packs: PackedWeightCache?, backwardPasses: Int) throws -> (weight: [Float], input: [Float]) {
        var rng = RandomSource(seed: 21)
        let w = Variable(randomTensor([48, 48], rng: &rng, low: -0.2, high: 0.2), requiresGrad: true)
        let x = Variable(randomTensor([40, 48], rng: &rng, low: -1, high: 1), requiresGrad: true)
        for _ in 0..<backwardPasses {
            var state = x
            for _ in 0..<12 { state = tanh(try matmul(state, w, packs: packs)) }
            try sumAll(state).backward()
        }
        return (w.grad!.storage, x.grad!.storage)
    }

    @Test(arguments: [1, 2])
    func batchedGradientMatchesPerProductSums(backwardPasses: Int) throws {
        let reference = try chain(packs: nil, backwardPasses: backwardPasses)
        let batched = try chain(packs: PackedWeightCache(), backwardPasses: backwardPasses)
        #expect(batched.input == reference.input)
        let scale = reference.weight.map(abs).max()!
        #expect(scale > 1e-3)
        #expect(zip(batched.weight, reference.weight).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
        #expect(batched.weight != reference.weight, "the batched path was not taken (same rounding as per-product sums)")
    }
}
