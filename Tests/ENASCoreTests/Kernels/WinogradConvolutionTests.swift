import ENASCore
import ENASTestSupport
import Testing

/// Stride-1 same convolutions with ≥ 16 channels each way: partial tiles at the right and bottom edges, fewer tile
/// columns than a vector, exactly one vector, several vectors, several samples per transformed group.
let winogradCases = [
    ConvCase(batch: 3, channels: 16, outChannels: 17, height: 13, width: 15, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 5, channels: 20, outChannels: 24, height: 32, width: 32, kernel: 3, stride: 1, padding: 1),
    ConvCase(batch: 2, channels: 18, outChannels: 16, height: 9, width: 11, kernel: 5, stride: 1, padding: 2),
    ConvCase(batch: 2, channels: 16, outChannels: 19, height: 40, width: 35, kernel: 5, stride: 1, padding: 2),
]

/// Forward, input gradient and weight gradient all take Winograd's transforms on these cases.
@Suite("Winograd convolution against direct loops")
struct WinogradConvolutionTests {
    /// Winograd's transforms round differently from a direct sum: the tolerance is relative to the outputs' size.
    static func tolerance(_ expected: Tensor) -> Float { 2e-5 * max(1, expected.storage.map(abs).max() ?? 0) }

    @Test(arguments: winogradCases)
    func forwardAndGradientsMatchDefinition(_ c: ConvCase) throws {
        let g = ConvGeometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width,
                             kernel: c.kernel, stride: c.stride, padding: c.padding)
        let dyGeometry = ConvGeometry(batch: c.batch, channels: c.outChannels, height: c.height, width: c.width,
                                      kernel: c.kernel, stride: 1, padding: c.padding)
        #expect(convolutionTakesWinograd(g, outChannels: c.outChannels))
        #expect(convolutionTakesWinograd(dyGeometry, outChannels: c.channels))
        var rng = RandomSource(seed: 31)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let expectedY = naiveConv2d(x, w, stride: 1, padding: c.padding)
        let dy = randomTensor(expectedY.shape, rng: &rng)
        let (y, dx, dw) = try convGradients(x, w, dy) { try conv2d($0, $1, stride: 1, padding: c.padding) }
        let (expectedDx, expectedDw) = naiveConv2dBackward(x, w, dy, stride: 1, padding: c.padding)
        #expect(maxAbsDifference(y.storage, expectedY.storage) < Self.tolerance(expectedY))
        #expect(maxAbsDifference(dx.storage, expectedDx.storage) < Self.tolerance(expectedDx))
        #expect(maxAbsDifference(dw.storage, expectedDw.storage) < Self.tolerance(expectedDw))
    }

    /// conv2dBackward adds both gradients to what dx and dw hold (dx without `overwriteDX`).
    @Test func gradientsAccumulate() throws {
        let c = winogradCases[0]
        let g = ConvGeometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width,
                             kernel: c.kernel, stride: 1, padding: c.padding)
        var rng = RandomSource(seed: 32)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let dy = randomTensor([c.batch, c.outChannels, c.height, c.width], rng: &rng)
        let previousDx = randomTensor(x.shape, rng: &rng), previousDw = randomTensor(w.shape, rng: &rng)
        let (expectedDx, expectedDw) = naiveConv2dBackward(x, w, dy, stride: 1, padding: c.padding)
        var dx = previousDx.storage, dw = previousDw.storage
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                dy.storage.withUnsafeBufferPointer { dys in
                    dx.withUnsafeMutableBufferPointer { dxs in
                        dw.withUnsafeMutableBufferPointer { dws in
                            conv2dBackward(g, outChannels: c.outChannels, x: xs.baseAddress!, w: ws.baseAddress!,
                                           dy: dys.baseAddress!, dx: dxs.baseAddress!, dw: dws.baseAddress!)
                        }
                    }
                }
            }
        }
        let sumDx = zip(previousDx.storage, expectedDx.storage).map { $0 + $1 }
        let sumDw = zip(previousDw.storage, expectedDw.storage).map { $0 + $1 }
        #expect(maxAbsDifference(dx, sumDx) < Self.tolerance(expectedDx))
        #expect(maxAbsDifference(dw, sumDw) < Self.tolerance(expectedDw))
    }

    /// Each sample's output depends only on its own input: the same bits at one and at two threads.
    @Test func sameBitsAtEveryThreadCount() throws {
        let c = winogradCases[1]
        var rng = RandomSource(seed: 33)
        let x = randomTensor([c.batch, c.channels, c.height, c.width], rng: &rng)
        let w = randomTensor([c.outChannels, c.channels, c.kernel, c.kernel], rng: &rng)
        let dy = randomTensor([c.batch, c.outChannels, c.height, c.width], rng: &rng)
        let run = { (threads: Int) in
            try Parallel.withThreadCount(threads) {
                try convGradients(x, w, dy) { try conv2d($0, $1, stride: 1, padding: c.padding) }
            }
        }
        let (y1, dx1, _) = try run(1), (y2, dx2, _) = try run(2)
        #expect(y1.storage == y2.storage)
        #expect(dx1.storage == dx2.storage)
    }
}
