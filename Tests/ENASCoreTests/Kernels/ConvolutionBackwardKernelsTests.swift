import ENASCore
import ENASTestSupport
import Testing

// Reference checks of the convolution and pooling backward kernels against their definitions, on random
// non-zero upstream gradients and sizes that reach every code path: the 1×1 stride-1 GEMM path, im2col at
// strides 1 and 2, depthwise with 16-lane rows, 8-lane rows and vector tails (widths 37, 17, 8, 5), the stride-1
// correlation and the stride-2 scatter for depthwise dx.

/// dx, dw of y = conv(x, w) (groups = C for depthwise) for upstream gradient dy, by definition, in Double.
func naiveConv2dBackward(_ x: Tensor, _ w: Tensor, _ dy: Tensor, stride: Int, padding: Int, groups: Int = 1) -> (Tensor, Tensor) {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let (oh, ow) = (dy.shape[2], dy.shape[3])
    let cPerGroup = c / groups, oPerGroup = o / groups
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    for b in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
        let g = Double(dy.storage[((b * o + oc) * oh + oy) * ow + ox])
        let group = oc / oPerGroup
        for ci in 0..<cPerGroup { for ky in 0..<k { for kx in 0..<k {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
            let xi = ((b * c + group * cPerGroup + ci) * h + iy) * wd + ix, wi = ((oc * cPerGroup + ci) * k + ky) * k + kx
            dx[xi] += Double(w.storage[wi]) * g
            dw[wi] += Double(x.storage[xi]) * g
        } } }
    } } } }
    return (try! Tensor(shape: x.shape, storage: dx.map(Float.init)), try! Tensor(shape: w.shape, storage: dw.map(Float.init)))
}

/// Runs `op` on fresh variables for x and w and backpropagates `dy` (as the gradient of Σ y ⊙ dy).
func convGradients(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ op: (Variable, Variable) throws -> Variable) throws -> (Tensor, Tensor, Tensor) {
    let xv = Variable(x, requiresGrad: true), wv = Variable(w, requiresGrad: true)
    let y = try op(xv, wv)
    try sumAll(try multiply(y, mask: dy)).backward()
    return (y.value, xv.grad!, wv.grad!)
}

let backwardCases = convCases + [
    // dx as a convolution of dy padded by K − 1 − Pad = 3 (stride 1, deep enough for GEMM's blocked path).
    ConvCase(batch: 2, channels: 6, outChannels: 30, height: 9, width: 11, kernel: 5, stride: 1, padding: 1),
    ConvCase(batch: 3, channels: 5, outChannels: 4, height: 9, width: 37, kernel: 1, stride: 1, padding: 0),
    ConvCase(batch: 2, channels: 3, outChannels: 6, height: 11, width: 17, kernel: 5, stride: 1, padding: 2),
    ConvCase(batch: 2, channels: 4, outChannels: 3, height: 8, width: 8, kernel: 3, stride: 2, padding: 1),
    ConvCase(batch: 5, channels: 2, outChannels: 9, height: 6, width: 5, kernel: 3, stride: 1, padding: 0),
    ConvCase(batch: 2, channels: 3, outChannels: 2, height: 13, width: 35, kernel: 5, stride: 2, padding: 2),
    ConvCase(batch: 3, channels: 7, outChannels: 5, height: 32, width: 32, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 2, channels: 3, outChannels: 4, height: 7, width: 7, kernel: 1, stride: 2, padding: 0),
    // a pointwise conv on GEMM's narrow path (M, K ≤ 128, N = H·W ≥ 64 and not a multiple of 64)
    ConvCase(batch: 2, channels: 20, outChannels: 23, height: 8, width: 9, kernel: 1, stride: 1, padding: 0),
    // depthwise weight gradients: even kernels on the register path, 7×7 on the in-memory accumulators; stride 3
    // phase-splits into three runs, with padding not a multiple of the stride
    ConvCase(batch: 2, channels: 3, outChannels: 3, height: 9, width: 10, kernel: 2, stride: 2, padding: 1),
    ConvCase(batch: 2, channels: 2, outChannels: 2, height: 10, width: 19, kernel: 4, stride: 1, padding: 1),
    ConvCase(batch: 2, channels: 3, outChannels: 3, height: 15, width: 18, kernel: 7, stride: 1, padding: 3),
    ConvCase(batch: 2, channels: 2, outChannels: 2, height: 14, width: 29, kernel: 5, stride: 3, padding: 1),
]

@Suite("Convolution backward kernels against their definitions")
struct ConvolutionBackwardKernelsTests {
    @Test(arguments: backwardCases)
    func conv2dGradientsMatchDefinition(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 21)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let expectedY = naiveConv2d(x, w, stride: c.stride, padding: c.padding)
        let dy = randomTensor(expectedY.shape, rng: &rng)
        let (y, dx, dw) = try convGradients(x, w, dy) { try conv2d($0, $1, stride: c.stride, padding: c.padding) }
        let (expectedDx, expectedDw) = naiveConv2dBackward(x, w, dy, stride: c.stride, padding: c.padding)
        #expect(maxAbsDifference(y.storage, expectedY.storage) < 1e-4)
        #expect(maxAbsDifference(dx.storage, expectedDx.storage) < 1e-4)
        #expect(maxAbsDifference(dw.storage, expectedDw.storage) < 2e-3)
    }

    /// At one thread the weight gradient is Σ_n dy[n] · cols[n]ᵀ summed sample by sample: the transposed im2col
    /// panels written from the padded sample give exactly the bits of im2col + GEMM.
    @Test(arguments: backwardCases)
    func conv2dWeightGradientGivesTheBitsOfIm2colAndGEMM(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 24)
        let g = ConvGeometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width, kernel: c.kernel,
                             stride: c.stride, padding: c.padding)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng).storage
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng).storage
        let dy = randomTensor([c.batch, c.outChannels, g.outHeight, g.outWidth], rng: &rng).storage
        var dw = [Float](repeating: 0, count: w.count), expected = dw
        Parallel.withThreadCount(1) { conv2dBackward(g, outChannels: c.outChannels, x: x, w: w, dy: dy, dx: nil, dw: &dw) }
        var cols = [Float](repeating: .nan, count: g.depth * g.outPlane)
        x.withUnsafeBufferPointer { xs in
            dy.withUnsafeBufferPointer { dys in
                for n in 0..<c.batch {
                    im2col(g, sample: xs.baseAddress! + n * c.channels * g.plane, cols: &cols)
                    gemm(transA: false, transB: true, m: c.outChannels, n: g.depth, k: g.outPlane,
                         a: dys.baseAddress! + n * c.outChannels * g.outPlane, lda: g.outPlane, b: cols, ldb: g.outPlane,
                         beta: 1, c: &expected, ldc: g.depth)
                }
            }
        }
        if gemmPacksB(transA: false, transB: true, m: c.outChannels, n: g.depth, k: g.outPlane) {
            #expect(dw == expected)
        } else {
            // GEMM's narrow paths may sum a product in another order than conv2dBackward's padded one.
            #expect(maxAbsDifference(dw, expected) < 1e-3)
        }
    }

    @Test(arguments: backwardCases)
    func depthwiseGradientsMatchDefinition(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 22)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.channels, 1, c.kernel, c.kernel], rng: &rng)
        let expectedY = naiveConv2d(x, w, stride: c.stride, padding: c.padding, groups: c.channels)
        let dy = randomTensor(expectedY.shape, rng: &rng)
        let (y, dx, dw) = try convGradients(x, w, dy) { try depthwiseConv2d($0, $1, stride: c.stride, padding: c.padding) }
        let (expectedDx, expectedDw) = naiveConv2dBackward(x, w, dy, stride: c.stride, padding: c.padding, groups: c.channels)
        #expect(maxAbsDifference(y.storage, expectedY.storage) < 1e-5)
        #expect(maxAbsDifference(dx.storage, expectedDx.storage) < 1e-5)
        #expect(maxAbsDifference(dw.storage, expectedDw.storage) < 1e-3)
    }

    @Test func gradientsAccumulateIntoExistingGradients() throws {
        // A second backward through the same graph adds the same amount again (kernels accumulate, not overwrite).
        var rng = RandomSource(seed: 23)
        let x = Variable(randomTensor([2, 3, 9, 20], rng: &rng), requiresGrad: true)
        let w = Variable(randomTensor([3, 1, 3, 3], rng: &rng), requiresGrad: true)
        let p = Variable(randomTensor([4, 3, 1, 1], rng: &rng), requiresGrad: true)
        let loss = sumAll(try conv2d(try depthwiseConv2d(x, w, stride: 1, padding: 1), p))
        try loss.backward()
        let (gx, gw, gp) = (x.grad!, w.grad!, p.grad!)
        try loss.backward()
        #expect(maxAbsDifference(x.grad!.storage, gx.storage.map { 2 * $0 }) < 1e-4)
        #expect(maxAbsDifference(w.grad!.storage, gw.storage.map { 2 * $0 }) < 1e-3)
        #expect(maxAbsDifference(p.grad!.storage, gp.storage.map { 2 * $0 }) < 1e-3)
    }

    @Test func overwrittenThenAccumulatedGradientsOfEveryPath() throws {
        // The first op to send x a gradient writes a fresh (uninitialized) buffer, the later ones add into it; the second
        // backward adds everything again. Covers dx of strided depthwise (scatter), dense 3×3 (col2im), 1×1, batch
        // norm and ReLU, each as the writer (first in backward order) and as an adder.
        var rng = RandomSource(seed: 25)
        let x = Variable(randomTensor([2, 4, 11, 10], rng: &rng), requiresGrad: true)
        let w = Variable(randomTensor([4, 1, 3, 3], rng: &rng), requiresGrad: true)
        let d = Variable(randomTensor([3, 4, 3, 3], rng: &rng), requiresGrad: true)
        let p = Variable(randomTensor([5, 4, 1, 1], rng: &rng), requiresGrad: true)
        let gamma = Variable(randomTensor([4], rng: &rng), requiresGrad: true)
        let beta = Variable(randomTensor([4], rng: &rng), requiresGrad: true)
        let outputs: [(Variable) throws -> Variable] = [
            { try depthwiseConv2d($0, w, stride: 2, padding: 1) }, { try conv2d($0, d, stride: 1, padding: 1) },
            { try conv2d($0, p) }, { try batchNorm($0, gamma: gamma, beta: beta).output }, { relu($0) },
            { try depthwiseConv2d($0, w, stride: 1, padding: 1, rectifyingInput: true) },
            { try depthwiseConv2d($0, w, stride: 2, padding: 1, rectifyingInput: true) },
            { try separableConv2d($0, depthwise: w, pointwise: p, stride: 1, padding: 1, rectifyingInput: true) },
        ]
        for order in [[0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0], [5, 1, 7, 3, 0, 6, 4, 2]] {
            for v in [x, w, d, p, gamma, beta] { v.zeroGrad() }
            var terms: [Variable] = []
            for i in order {
                let y = try outputs[i](x)
                terms.append(sumAll(try multiply(y, mask: randomTensor(y.shape, rng: &rng))))
            }
            let loss = try sum(terms)
            try loss.backward()
            let (gx, gw, gd) = (x.grad!, w.grad!, d.grad!)
            try loss.backward()
            #expect(maxAbsDifference(x.grad!.storage, gx.storage.map { 2 * $0 }) < 1e-4, "order \(order)")
            #expect(maxAbsDifference(w.grad!.storage, gw.storage.map { 2 * $0 }) < 1e-3, "order \(order)")
            #expect(maxAbsDifference(d.grad!.storage, gd.storage.map { 2 * $0 }) < 1e-3, "order \(order)")
        }
    }

    /// The fused separable convolution gives depthwise-then-pointwise's values: the same bits with one thread
    /// (the same arithmetic per sample, one chunk of weight-gradient partials; the pointwise weight gradient within
    /// rounding where conv2d takes another GEMM path), within rounding with three (the
    /// weight gradients summed in per-chunk partials), and the same bits on every run at a thread count. Covers the
    /// stride-1 correlation and the stride-2 scatter, the fused ReLU, an 8-lane width with tails (13) and a pointwise
    /// product wide enough for GEMM's narrow paths (16 × 16 planes), with x's gradient written fresh.
    @Test(arguments: [(3, 1, false, 13), (5, 1, true, 16), (3, 2, true, 13), (5, 2, false, 16)])
    func separableMatchesDepthwiseThenPointwise(kernel: Int, stride: Int, rectifying: Bool, size: Int) throws {
        var rng = RandomSource(seed: UInt64(100 + kernel * 10 + stride))
        let x = randomTensor([5, 6, size, size], rng: &rng)
        let dw = randomTensor([6, 1, kernel, kernel], rng: &rng), pw = randomTensor([7, 6, 1, 1], rng: &rng)
        func run(fused: Bool, threads: Int) throws -> [[Float]] {
            try Parallel.withThreadCount(threads) {
                let (xv, dwv, pwv) = (Variable(x, requiresGrad: true), Variable(dw, requiresGrad: true),
                                      Variable(pw, requiresGrad: true))
                let y = fused
                    ? try separableConv2d(xv, depthwise: dwv, pointwise: pwv, stride: stride, padding: kernel / 2,
                                          rectifyingInput: rectifying)
                    : try conv2d(try depthwiseConv2d(xv, dwv, stride: stride, padding: kernel / 2,
                                                     rectifyingInput: rectifying), pwv)
                var readoutRNG = RandomSource(seed: 9)
                try sumAll(try multiply(y, mask: randomTensor(y.shape, rng: &readoutRNG))).backward()
                return [y.value.storage, xv.grad!.storage, dwv.grad!.storage, pwv.grad!.storage]
            }
        }
        let composed = try run(fused: false, threads: 1), single = try run(fused: true, threads: 1)
        #expect(single[0..<3] == composed[0..<3])
        // conv2d sums a pointwise weight gradient over small planes (under 64 positions) through a padded copy.
        #expect(maxAbsDifference(single[3], composed[3]) < 1e-4)
        let threaded = try run(fused: true, threads: 3)
        #expect(try run(fused: true, threads: 3) == threaded)
        for (got, expected) in zip(threaded, composed) { #expect(maxAbsDifference(got, expected) < 1e-4) }
    }

    /// relu fused into the depthwise convolution gives the same bits as relu then depthwise, forward and backward
    /// (the scatter path at stride 2, the correlation path at stride 1), with x's gradient written fresh.
    @Test(arguments: [(3, 1), (5, 1), (3, 2), (5, 2), (3, 3)])
    func rectifyingDepthwiseMatchesReLUThenDepthwise(kernel: Int, stride: Int) throws {
        var rng = RandomSource(seed: UInt64(kernel * 10 + stride))
        let x = randomTensor([2, 3, 9, 11], rng: &rng), w = randomTensor([3, 1, kernel, kernel], rng: &rng)
        func run(fused: Bool) throws -> [[Float]] {
            let (xv, wv) = (Variable(x, requiresGrad: true), Variable(w, requiresGrad: true))
            let y = fused ? try depthwiseConv2d(xv, wv, stride: stride, padding: kernel / 2, rectifyingInput: true)
                          : try depthwiseConv2d(relu(xv), wv, stride: stride, padding: kernel / 2)
            var readoutRNG = RandomSource(seed: 9)
            try sumAll(try multiply(y, mask: randomTensor(y.shape, rng: &readoutRNG))).backward()
            return [y.value.storage, xv.grad!.storage, wv.grad!.storage]
        }
        let (fused, composed) = (try run(fused: true), try run(fused: false))
        #expect(fused[0] == composed[0])
        #expect(fused[1] == composed[1])
        #expect(fused[2] == composed[2])
        #expect(fused[1].contains(0) && fused[1].contains { $0 != 0 })   // the mask did something
    }

    @Test func resultsAreIdenticalAcrossRunsAtAThreadCount() throws {
        var rng = RandomSource(seed: 24)
        let x = randomTensor([8, 6, 16, 16], rng: &rng), w = randomTensor([5, 6, 3, 3], rng: &rng)
        let dy = randomTensor([8, 5, 16, 16], rng: &rng)
        let first = try convGradients(x, w, dy) { try conv2d($0, $1, stride: 1, padding: 1) }
        let second = try convGradients(x, w, dy) { try conv2d($0, $1, stride: 1, padding: 1) }
        #expect(first.0.storage == second.0.storage && first.1.storage == second.1.storage && first.2.storage == second.2.storage)
    }
}

/// dx of max (first maximum in window order wins) or average (padding excluded) pooling for upstream dy, by definition.
func naivePoolBackward(_ x: Tensor, _ dy: Tensor, kernel: Int, stride: Int, padding: Int, max useMax: Bool) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (dy.shape[2], dy.shape[3])
    var dx = Tensor(zeros: x.shape)
    for p in 0..<(n * c) { for oy in 0..<oh { for ox in 0..<ow {
        var inside: [Int] = []
        for ky in 0..<kernel { for kx in 0..<kernel {
            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
            if iy >= 0, iy < h, ix >= 0, ix < w { inside.append((p * h + iy) * w + ix) }
        } }
        let g = dy.storage[(p * oh + oy) * ow + ox]
        if useMax {
            var best = inside[0]
            for i in inside where x.storage[i] > x.storage[best] { best = i }
            dx.storage[best] += g
        } else {
            for i in inside { dx.storage[i] += g / Float(inside.count) }
        }
    } } }
    return dx
}

struct PoolCase: Sendable, CustomStringConvertible {
    let shape: [Int], kernel, stride, padding: Int
    var description: String { "\(shape) k\(kernel) s\(stride) p\(padding)" }
}

let poolCases = [
    PoolCase(shape: [2, 3, 9, 37], kernel: 3, stride: 1, padding: 1),
    PoolCase(shape: [2, 2, 17, 17], kernel: 3, stride: 2, padding: 1),
    PoolCase(shape: [3, 2, 8, 8], kernel: 3, stride: 1, padding: 1),
    PoolCase(shape: [2, 3, 7, 5], kernel: 1, stride: 2, padding: 0),
    PoolCase(shape: [1, 4, 12, 33], kernel: 2, stride: 2, padding: 0),
    PoolCase(shape: [2, 2, 6, 20], kernel: 5, stride: 1, padding: 2),
]

@Suite("Pooling backward kernels against their definitions")
struct PoolingBackwardKernelsTests {
    @Test(arguments: poolCases)
    func poolingForwardAndBackwardMatchDefinition(_ c: PoolCase) throws {
        var rng = RandomSource(seed: 25)
        // Distinct values (a random permutation of a grid) so max pooling has no ties.
        let count = c.shape.reduce(1, *)
        var values = (0..<count).map { Float($0) / Float(count) - 0.5 }
        values.shuffle(using: &rng)
        let x = try Tensor(shape: c.shape, storage: values)
        for useMax in [true, false] {
            let expectedY = naivePool(x, kernel: c.kernel, stride: c.stride, padding: c.padding, max: useMax)
            let dy = randomTensor(expectedY.shape, rng: &rng)
            let xv = Variable(x, requiresGrad: true)
            let y = useMax ? try maxPool2d(xv, kernel: c.kernel, stride: c.stride, padding: c.padding)
                : try avgPool2d(xv, kernel: c.kernel, stride: c.stride, padding: c.padding)
            try sumAll(try multiply(y, mask: dy)).backward()
            let expectedDx = naivePoolBackward(x, dy, kernel: c.kernel, stride: c.stride, padding: c.padding, max: useMax)
            #expect(y.shape == expectedY.shape)
            #expect(maxAbsDifference(y.value.storage, expectedY.storage) < 1e-6, "max \(useMax)")
            #expect(maxAbsDifference(xv.grad!.storage, expectedDx.storage) < 1e-5, "max \(useMax)")
        }
    }
}
