import ENASCore
import ENASTestSupport
import Testing

struct ConvCase: Sendable, CustomStringConvertible {
    let batch, channels, outChannels, height, width, kernel, stride, padding: Int
    var description: String { "N\(batch) C\(channels)→\(outChannels) \(height)x\(width) k\(kernel) s\(stride) p\(padding)" }
}

let convCases = [
    ConvCase(batch: 1, channels: 1, outChannels: 1, height: 1, width: 1, kernel: 1, stride: 1, padding: 0),
    ConvCase(batch: 2, channels: 3, outChannels: 5, height: 7, width: 9, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 3, channels: 4, outChannels: 7, height: 11, width: 6, kernel: 5, stride: 2, padding: 2),
    ConvCase(batch: 2, channels: 6, outChannels: 3, height: 8, width: 8, kernel: 1, stride: 2, padding: 0),
    ConvCase(batch: 1, channels: 2, outChannels: 33, height: 5, width: 13, kernel: 3, stride: 2, padding: 0),
    // Deep enough (C·K·K > 128) for GEMM's blocked path, where conv2dForward writes im2col panels itself:
    // output rows narrower than, straddling and filling a panel; stride 2; more output channels than a row block.
    ConvCase(batch: 2, channels: 20, outChannels: 9, height: 7, width: 9, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 3, channels: 8, outChannels: 7, height: 11, width: 10, kernel: 5, stride: 2, padding: 2),
    ConvCase(batch: 2, channels: 16, outChannels: 6, height: 20, width: 20, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 2, channels: 9, outChannels: 12, height: 16, width: 32, kernel: 5, stride: 1, padding: 2),
    ConvCase(batch: 1, channels: 15, outChannels: 130, height: 5, width: 6, kernel: 3, stride: 1, padding: 0),
    // Two depth blocks (C·K·K = 500 > 384) of the filters packed once for every sample, 13 rows (not a multiple of
    // the register tile's).
    ConvCase(batch: 3, channels: 20, outChannels: 13, height: 8, width: 8, kernel: 5, stride: 1, padding: 2),
]

@Suite("Convolution, pooling and batch-norm kernels against direct loops")
struct ConvolutionKernelsTests {
    @Test(arguments: convCases)
    func conv2dMatchesDirectConvolution(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 11)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let y = try conv2d(Variable(x), Variable(w), stride: c.stride, padding: c.padding)
        let expected = naiveConv2d(x, w, stride: c.stride, padding: c.padding)
        #expect(y.shape == expected.shape)
        #expect(maxAbsDifference(y.value.storage, expected.storage) < 1e-4)
    }

    /// The panels written from the padded sample hold exactly the floats im2col + packing would: same bits.
    @Test(arguments: convCases)
    func conv2dGivesTheBitsOfIm2colAndGEMM(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 15)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let y = try conv2d(Variable(x), Variable(w), stride: c.stride, padding: c.padding)
        let g = ConvGeometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width, kernel: c.kernel,
                             stride: c.stride, padding: c.padding)
        var expected = [Float](repeating: .nan, count: c.batch * c.outChannels * g.outPlane)
        var cols = [Float](repeating: .nan, count: g.depth * g.outPlane)
        expected.withUnsafeMutableBufferPointer { out in
            for n in 0..<c.batch {
                x.storage.withUnsafeBufferPointer { xs in
                    im2col(g, sample: xs.baseAddress! + n * c.channels * g.plane, cols: &cols)
                }
                gemm(transA: false, transB: false, m: c.outChannels, n: g.outPlane, k: g.depth, a: w.storage,
                     lda: g.depth, b: cols, ldb: g.outPlane, c: out.baseAddress! + n * c.outChannels * g.outPlane,
                     ldc: g.outPlane)
            }
        }
        #expect(y.value.storage == expected)
    }

    @Test(arguments: convCases)
    func depthwiseMatchesGroupedConvolution(_ c: ConvCase) throws {
        var rng = RandomSource(seed: 12)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.channels, 1, c.kernel, c.kernel], rng: &rng)
        let y = try depthwiseConv2d(Variable(x), Variable(w), stride: c.stride, padding: c.padding)
        let expected = naiveConv2d(x, w, stride: c.stride, padding: c.padding, groups: c.channels)
        #expect(y.shape == expected.shape)
        #expect(maxAbsDifference(y.value.storage, expected.storage) < 1e-5)
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (2, 2, 0), (3, 2, 0)])
    func poolingMatchesDefinition(_ p: (Int, Int, Int)) throws {
        var rng = RandomSource(seed: 13)
        let x = randomTensor([2, 3, 7, 10], rng: &rng)
        let maxed = try maxPool2d(Variable(x), kernel: p.0, stride: p.1, padding: p.2)
        let averaged = try avgPool2d(Variable(x), kernel: p.0, stride: p.1, padding: p.2)
        let expectedMax = naivePool(x, kernel: p.0, stride: p.1, padding: p.2, max: true)
        let expectedAvg = naivePool(x, kernel: p.0, stride: p.1, padding: p.2, max: false)
        #expect(maxed.shape == expectedMax.shape && averaged.shape == expectedAvg.shape)
        #expect(maxed.value.storage == expectedMax.storage)
        #expect(maxAbsDifference(averaged.value.storage, expectedAvg.storage) < 1e-6)
    }

    @Test(arguments: [[1, 1, 1, 1], [2, 3, 5, 7], [4, 33, 2, 3], [1, 5, 17, 1]])
    func batchNormMatchesDefinition(_ shape: [Int]) throws {
        var rng = RandomSource(seed: 14)
        let x = randomTensor(shape, rng: &rng)
        let gamma = randomTensor([shape[1]], rng: &rng), beta = randomTensor([shape[1]], rng: &rng)
        let (y, _, _) = try batchNorm(Variable(x), gamma: Variable(gamma), beta: Variable(beta), epsilon: 1e-3)
        let expected = naiveBatchNorm(x, gamma: gamma.storage, beta: beta.storage, epsilon: 1e-3)
        #expect(maxAbsDifference(y.value.storage, expected.storage) < 2e-4)
    }

    @Test func badShapesAreNamedErrors() throws {
        let x = Variable(Tensor(zeros: [1, 3, 5, 5])), w = Variable(Tensor(zeros: [4, 2, 3, 3]))
        #expect(throws: ENASError.shape("[conv2d] input has 3 channels, weight expects 2")) { try conv2d(x, w) }
        #expect(throws: ENASError.self) { try maxPool2d(Variable(Tensor(zeros: [1, 1, 2, 2])), kernel: 5, stride: 1, padding: 0) }
    }
}
