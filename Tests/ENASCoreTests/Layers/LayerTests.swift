import ENASCore
import ENASTestSupport
import Testing

@Suite("Layers: output shapes, parameter counts, modes")
struct LayerTests {
    @Test func outputShapesAndParameterCounts() throws {
        var rng = RandomSource(seed: 1)
        let x = Variable(randomTensor([2, 3, 9, 9], rng: &rng))
        let conv = Conv2D("conv", inChannels: 3, outChannels: 8, kernel: 5, rng: &rng)
        #expect(try conv(x).shape == [2, 8, 9, 9])
        #expect(conv.parameterCount == 8 * 3 * 25)
        let strided = Conv2D("strided", inChannels: 3, outChannels: 4, kernel: 3, stride: 2, rng: &rng)
        #expect(try strided(x).shape == [2, 4, 5, 5])
        let separable = SeparableConv2D("sep", inChannels: 3, outChannels: 6, kernel: 3, rng: &rng)
        #expect(try separable(x).shape == [2, 6, 9, 9])
        #expect(separable.parameterCount == 3 * 9 + 6 * 3)
        #expect(try Pool2D(.max)(x).shape == [2, 3, 9, 9])
        #expect(try Pool2D(.average, stride: 2)(x).shape == [2, 3, 5, 5])
        let bn = BatchNorm2D("bn", channels: 3, rng: &rng)
        #expect(try bn(x, training: true).shape == [2, 3, 9, 9])
        #expect(bn.parameterCount == 6)
        let linear = Linear("fc", inputs: 7, outputs: 4, rng: &rng)
        #expect(try linear(Variable(randomTensor([5, 7], rng: &rng))).shape == [5, 4])
        #expect(linear.parameterCount == 7 * 4 + 4)
        let embedding = Embedding("embedding", vocabulary: 11, width: 6, rng: &rng)
        let words = try embedding([1, 4, 10])
        #expect(words.shape == [3, 6])
        #expect(try embedding.logits(words).shape == [3, 11])
        let lstm = LSTMCell("lstm", inputSize: 6, hiddenSize: 5, rng: &rng)
        let (h, c) = try lstm(words, state: lstm.zeroState(batch: 3))
        #expect(h.shape == [3, 5] && c.shape == [3, 5])
        #expect(lstm.parameterCount == 11 * 20 + 20)
    }

    @Test func factorizedReductionHalvesTheGridAndSeesTheSkippedPixels() throws {
        var rng = RandomSource(seed: 4)
        let reduce = try FactorizedReduction("reduce", inChannels: 3, outChannels: 7, rng: &rng)
        #expect(try reduce(Variable(randomTensor([2, 3, 8, 8], rng: &rng)), training: true).shape == [2, 7, 4, 4])
        #expect(try reduce(Variable(randomTensor([2, 3, 7, 9], rng: &rng)), training: true).shape == [2, 7, 4, 5])
        #expect(reduce.parameterCount == 3 * 3 + 3 * 4 + 2 * 7)
        let shifted = try shiftUpLeft(Variable(try Tensor(shape: [1, 1, 2, 3], storage: [1, 2, 3, 4, 5, 6])))
        #expect(shifted.value.storage == [5, 6, 0, 0, 0, 0])
        // Layer gradients through the whole reduction (both paths, BN) by finite differences on its inputs.
        let failures = try gradientCheck(inputs: [randomTensor([2, 3, 4, 4], rng: &rng)]) { v in try reduce(v[0], training: true) }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
    }

    // The last shape is large enough for its planes to be split over two threads.
    @Test(arguments: [[1, 1, 1, 1], [2, 3, 7, 9], [1, 2, 8, 8], [2, 1, 1, 5], [1, 2, 6, 1], [4, 40, 32, 33]])
    func subsample2MatchesPoolingTheShiftedCopy(_ shape: [Int]) throws {
        try Parallel.withThreadCount(2) { try subsample2MatchesPooling(shape) }
    }

    func subsample2MatchesPooling(_ shape: [Int]) throws {
        // Reference: the composition the factorized reduction used before the fused op, values and input gradients.
        var rng = RandomSource(seed: 9)
        let input = randomTensor(shape, rng: &rng)
        for shifted in [false, true] {
            let x = Variable(input, requiresGrad: true), xr = Variable(input, requiresGrad: true)
            let y = try subsample2(x, shifted: shifted)
            let reference = try avgPool2d(shifted ? try shiftUpLeft(xr) : xr, kernel: 1, stride: 2, padding: 0)
            #expect(y.shape == reference.shape && y.value.storage == reference.value.storage, "\(shape) shifted \(shifted)")
            let mask = randomTensor(y.shape, rng: &rng)
            try sumAll(try multiply(y, mask: mask)).backward()
            try sumAll(try multiply(reference, mask: mask)).backward()
            #expect(x.grad!.storage == xr.grad!.storage, "\(shape) shifted \(shifted)")
        }
    }

    @Test func batchNormUpdatesRunningStatisticsAndEvaluatesWithThem() throws {
        var rng = RandomSource(seed: 2)
        let bn = BatchNorm2D("bn", channels: 2, momentum: 0.5, rng: &rng)
        var x = randomTensor([4, 2, 3, 3], rng: &rng)
        for i in 0..<x.count where (i / 9) % 2 == 1 { x.storage[i] += 3 }
        _ = try bn(Variable(x), training: true)
        #expect(bn.runningMean.storage[1] > 1.2)
        let eval = try bn(Variable(x), training: false)
        #expect(!eval.requiresGrad)
        #expect(eval.shape == x.shape)
    }

    @Test func dropoutKeepsExpectationAndIsIdentityInEvaluation() throws {
        var rng = RandomSource(seed: 3)
        let mask = Dropout.mask([10_000], rate: 0.3, rng: &rng)
        let mean = mask.storage.reduce(0, +) / Float(mask.count)
        #expect(abs(mean - 1) < 0.05)
        #expect(Set(mask.storage).count == 2)
        let x = Variable(randomTensor([3, 4], rng: &rng))
        #expect(try Dropout.apply(x, rate: 0.5, training: false, rng: &rng) === x)
        let rows = Dropout.rowMask(rows: 50, width: 4, rate: 0.5, rng: &rng)
        for r in 0..<50 { #expect(Set(rows.storage[(r * 4)..<(r * 4 + 4)]).count == 1) }
    }
}
