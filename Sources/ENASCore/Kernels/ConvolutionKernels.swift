// Convolution kernels, NCHW. N = batch, C = input channels, O = output channels, (H, W) input size,
// (OH, OW) output size, P = OH·OW, K = kernel size, S = stride, Pad = zero padding on each side.
// Dense convolution runs one sample at a time (samples in parallel): a 1×1 stride-1 convolution is the GEMM
// W (O, C) · x[n] (C, H·W) straight into y[n]; any other shape is W · im2col(x[n]). Where GEMM packs that im2col
// matrix (its blocked path), the sample is copied once into a zero-padded buffer and each packed panel is written
// from it as the GEMM reaches it (in L1), so the C·K·K × P matrix is never stored; smaller products read an
// im2col matrix in a per-thread buffer. The backward reuses both: dW's right operand is im2col transposed, and dx
// at stride 1 is the convolution of the padded dy with the flipped filters.
// Depthwise convolution is direct (its arithmetic is too thin for GEMM): each plane is copied once into a
// zero-padded, stride-phase-split buffer, and every output row is K·K fused multiply-adds of SIMD vectors over
// the output width, with no bounds checks inside.

#if canImport(Glibc)
import Glibc
#endif

/// Geometry of one 2-D convolution or pooling window.
public struct ConvGeometry: Equatable, Sendable {
    public var batch, channels, height, width: Int
    public var kernel, stride, padding: Int
    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    public var outPlane: Int { outHeight * outWidth }
    public var plane: Int { height * width }
    /// Rows of the im2col matrix: C·K·K.
    public var depth: Int { channels * kernel * kernel }
    /// A 1×1 kernel at stride 1 without padding: the sample itself is its im2col matrix.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        (self.batch, self.channels, self.height, self.width) = (batch, channels, height, width)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
    }
}

// MARK: - Per-thread scratch

/// One buffer per thread, kept between calls (a fresh multi-megabyte allocation per call would be an mmap and
/// fresh page faults each time). Callers carve it up; it is valid until the same thread's next request.
private let convScratchKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()
private let convScratchHeader = 64

/// A 64-byte-aligned buffer of at least `floats` floats owned by the calling thread.
func convScratch(floats: Int) -> UnsafeMutablePointer<Float> {
    if let block = pthread_getspecific(convScratchKey), block.load(as: Int.self) >= floats {
        return (block + convScratchHeader).assumingMemoryBound(to: Float.self)
    }
    free(pthread_getspecific(convScratchKey))
    var block: UnsafeMutableRawPointer?
    let capacity = max(floats, 1 << 16)
    guard posix_memalign(&block, 64, convScratchHeader + capacity * 4) == 0, let block else {
        fatalError("[convolution] cannot allocate \(capacity * 4) bytes of scratch")
    }
    block.storeBytes(of: capacity, as: Int.self)
    pthread_setspecific(convScratchKey, block)
    return (block + convScratchHeader).assumingMemoryBound(to: Float.self)
}

/// Contiguous sample ranges: four per thread (threads claim them as they finish, so a core that starts late or runs
/// slower takes fewer), one with a single thread; fixed by (count, thread count) so per-chunk partial sums (weight
/// gradients) add up in the same order on every run.
func sampleChunks(_ count: Int) -> [Range<Int>] {
    let threads = Parallel.threadCount
    let chunks = max(1, min(threads == 1 ? 1 : 4 * threads, count))
    let per = (count + chunks - 1) / chunks
    return stride(from: 0, to: count, by: per).map { $0..<min(count, $0 + per) }
}

// MARK: - im2col / col2im (one sample)

/// cols (C·K·K, P) from one sample x (C, H, W); padding reads as zero.
public func im2col(_ g: ConvGeometry, sample x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
    let (k, ow) = (g.kernel, g.outWidth)
    for row in 0..<g.depth {
        let c = row / (k * k), ky = (row / k) % k, kx = row % k
        let plane = x + c * g.plane
        var out = cols + row * g.outPlane
        let (first, last) = validOutputRange(g, offset: kx, size: g.width, outSize: ow)
        for oy in 0..<g.outHeight {
            let iy = oy * g.stride - g.padding + ky
            if iy < 0 || iy >= g.height || last <= first { out.update(repeating: 0, count: ow); out += ow; continue }
            let src = plane + iy * g.width
            if first > 0 { out.update(repeating: 0, count: first) }
            if g.stride == 1 {
                (out + first).update(from: src + first - g.padding + kx, count: last - first)
            } else {
                for ox in first..<last { out[ox] = src[ox * g.stride - g.padding + kx] }
            }
            if last < ow { (out + last).update(repeating: 0, count: ow - last) }
            out += ow
        }
    }
}

/// Where im2col row (c, ky, kx) starts in a sample's padded, phase-split copy (C planes of `layout.count` floats):
/// plane c, row ky, run kx % S, float kx / S. Stepped row by row without divisions (a division per panel row cost
/// more than the row's copy).
struct Im2colTap {
    private let kernel, stride, planeCount, rowLength, phaseLength: Int
    private var kx, ky, phase, column, rowStart: Int
    /// Floats from the start of the padded copy.
    var offset: Int { rowStart + column }

    init(_ g: ConvGeometry, layout: PaddedPlane, row: Int) {
        (kernel, stride, planeCount) = (g.kernel, g.stride, layout.count)
        (rowLength, phaseLength) = (layout.rowLength, layout.phaseLength)
        kx = row % g.kernel
        ky = (row / g.kernel) % g.kernel
        phase = kx % g.stride
        column = phase * layout.phaseLength + kx / g.stride
        rowStart = row / (g.kernel * g.kernel) * layout.count + ky * layout.rowLength
    }

    /// To the next im2col row.
    @inline(__always) mutating func advance() {
        kx += 1
        if kx == kernel {
            kx = 0; phase = 0; column = 0
            ky += 1
            if ky == kernel { ky = 0; rowStart += planeCount - (kernel - 1) * rowLength } else { rowStart += rowLength }
        } else {
            phase += 1
            if phase == stride { phase = 0; column += 1 - (stride - 1) * phaseLength } else { column += phaseLength }
        }
    }
}

/// Output positions (row-major over OH × OW) cut where output rows end: run r is (its first position's index
/// within `positions`, that position's offset in a padded plane at tap (0, 0), its length). Returns the run count;
/// `runs` must hold positions.count / OW + 2.
@inline(__always)
func outputRowRuns(_ g: ConvGeometry, layout: PaddedPlane, positions: Range<Int>,
                   into runs: UnsafeMutableBufferPointer<(Int, Int, Int)>) -> Int {
    let ow = g.outWidth, length = positions.count
    var runCount = 0, q = 0, oy = positions.lowerBound / ow, ox = positions.lowerBound % ow
    while q < length {
        let count = min(ow - ox, length - q)
        runs[runCount] = (q, oy * g.stride * layout.rowLength + ox, count)
        runCount += 1
        q += count; ox = 0; oy += 1
    }
    return runCount
}

/// Rows × cols of one sample's im2col matrix written as a GEMM panel (`RightPanelWriter`), read from the sample's
/// padded, phase-split copy `padded` (C planes of `layout.count` floats): im2col row (c, ky, kx), output position
/// (oy, ox) is padded plane c, row oy·S + ky, run kx % S, float ox + kx / S — contiguous in ox for every stride,
/// and the padding is already there, so a panel row is one or a few straight copies.
func writeIm2colPanel(_ g: ConvGeometry, padded: UnsafePointer<Float>, layout: PaddedPlane, rows: Range<Int>,
                      cols: Range<Int>, panel: UnsafeMutablePointer<Float>) {
    let width = cols.count
    withUnsafeTemporaryAllocation(of: (Int, Int, Int).self, capacity: width / g.outWidth + 2) { runs in
        let runCount = outputRowRuns(g, layout: layout, positions: cols, into: runs)
        let wholeVector = runCount == 1 && width == gemmNR, offset0 = runs[0].1
        var tap = Im2colTap(g, layout: layout, row: rows.lowerBound)
        var dst = panel
        for _ in rows {
            let src = padded + tap.offset
            if wholeVector {
                copyRun(gemmNR, from: src + offset0, to: dst)
            } else {
                for r in 0..<runCount { copyRun(runs[r].2, from: src + runs[r].1, to: dst + runs[r].0) }
                if width < gemmNR { (dst + width).update(repeating: 0, count: gemmNR - width) }
            }
            dst += gemmNR
            tap.advance()
        }
    }
}

/// Positions × depth rows of one sample's transposed im2col matrix (the right operand of dW += dy · colsᵀ) as a GEMM
/// panel: the panel's NR im2col rows are gathered over `positions` into `rowsScratch` (NR × positions.count floats,
/// in L1) from the padded copy, then transposed into the panel by the GEMM's own packing.
func writeTransposedIm2colPanel(_ g: ConvGeometry, padded: UnsafePointer<Float>, layout: PaddedPlane,
                                positions: Range<Int>, depthRows: Range<Int>, rowsScratch: UnsafeMutablePointer<Float>,
                                panel: UnsafeMutablePointer<Float>) {
    let length = positions.count
    #if !ENAS_AVX512
    if depthRows.count == gemmNR {
        writeTransposedIm2colPanelInRegisters(g, padded: padded, layout: layout, positions: positions,
                                              depthRows: depthRows, panel: panel)
        return
    }
    #endif
    withUnsafeTemporaryAllocation(of: (Int, Int, Int).self, capacity: length / g.outWidth + 2) { runs in
        let runCount = outputRowRuns(g, layout: layout, positions: positions, into: runs)
        var tap = Im2colTap(g, layout: layout, row: depthRows.lowerBound)
        for j in 0..<gemmNR {
            let dst = rowsScratch + j * length
            guard j < depthRows.count else { dst.update(repeating: 0, count: length); continue }
            let src = padded + tap.offset
            for r in 0..<runCount { copyRun(runs[r].2, from: src + runs[r].1, to: dst + runs[r].0) }
            tap.advance()
        }
    }
    packB(transB: true, b: rowsScratch, ldb: length, rows: 0..<length, cols: 0..<gemmNR, into: panel)
}

#if !ENAS_AVX512
/// A full transposed panel (NR = 16 im2col rows) transposed in registers straight from the padded copy: each
/// output-row run's positions, 8 at a time, are read as 8-float vectors from the 16 taps' rows and transposed into
/// the panel's rows (the gather into `rowsScratch` before `packB` was a third of these panels' cost). Same floats.
private func writeTransposedIm2colPanelInRegisters(_ g: ConvGeometry, padded: UnsafePointer<Float>, layout: PaddedPlane,
                                                   positions: Range<Int>, depthRows: Range<Int>,
                                                   panel: UnsafeMutablePointer<Float>) {
    withUnsafeTemporaryAllocation(of: (Int, Int, Int).self, capacity: positions.count / g.outWidth + 2) { runs in
        let runCount = outputRowRuns(g, layout: layout, positions: positions, into: runs)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: gemmNR) { taps in
            var tap = Im2colTap(g, layout: layout, row: depthRows.lowerBound)
            for j in 0..<gemmNR { taps[j] = tap.offset; tap.advance() }
            let source = UnsafeRawPointer(padded)
            for r in 0..<runCount {
                let (first, offset, count) = runs[r]
                var x = 0
                while x + 8 <= count {
                    for half in 0..<2 {
                        @inline(__always) func row(_ i: Int) -> SIMD8<Float> {
                            source.loadUnaligned(fromByteOffset: (taps[half * 8 + i] + offset + x) * 4, as: SIMD8<Float>.self)
                        }
                        storeRows(transpose8x8((row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))),
                                  to: panel + (first + x) * gemmNR + half * 8, stride: gemmNR)
                    }
                    x += 8
                }
                while x < count {
                    for j in 0..<gemmNR { panel[(first + x) * gemmNR + j] = padded[taps[j] + offset + x] }
                    x += 1
                }
            }
        }
    }
}
#endif

/// `count` floats copied as 8-float vectors (the last one overlapping), for the short runs of image rows (8–32
/// floats) and panel rows (NR) the panel writers and padded copies move: memmove's call and size dispatch cost
/// more than the copy.
/// Source and destination must not overlap.
@inline(__always)
func copyRun(_ count: Int, from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>) {
    guard count >= 8 else { dst.update(from: src, count: count); return }
    let from = UnsafeRawPointer(src), to = UnsafeMutableRawPointer(dst)
    var byte = 0
    while byte + 32 <= count * 4 {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self), toByteOffset: byte, as: SIMD8<Float>.self)
        byte += 32
    }
    if byte < count * 4 {
        let last = (count - 8) * 4
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
    }
}

/// dx (C, H, W) of one sample += col2im(dcols (C·K·K, P)).
public func col2imAccumulate(_ g: ConvGeometry, sample cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
    let (k, ow) = (g.kernel, g.outWidth)
    for row in 0..<g.depth {
        let c = row / (k * k), ky = (row / k) % k, kx = row % k
        let plane = dx + c * g.plane
        let (first, last) = validOutputRange(g, offset: kx, size: g.width, outSize: ow)
        guard last > first else { continue }
        for oy in 0..<g.outHeight {
            let iy = oy * g.stride - g.padding + ky
            if iy < 0 || iy >= g.height { continue }
            let src = cols + row * g.outPlane + oy * ow, dst = plane + iy * g.width
            if g.stride == 1 {
                axpy(last - first, alpha: 1, src + first, dst + first - g.padding + kx)
            } else {
                for ox in first..<last { dst[ox * g.stride - g.padding + kx] += src[ox] }
            }
        }
    }
}

// MARK: - Dense convolution

/// y (N, O, OH, OW) = x (N, C, H, W) ⋆ w (O, C, K, K); one GEMM per sample, samples in parallel.
/// Where GEMM would pack the im2col matrix (its blocked path), the panels are written straight from a padded copy
/// of the sample (`writeIm2colPanel`) and the matrix is never stored; the bits are the same.
/// Stride-1 same-padded 3×3 and 5×5 convolutions with ≥ 16 channels each way take Winograd's algorithm instead
/// (`WinogradConvolutionKernels.swift`; within rounding of the direct sum), and so do their gradients.
public func conv2dForward(_ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                          y: UnsafeMutablePointer<Float>) {
    if let plan = WinogradPlan(g, outChannels: outChannels) {
        winogradConvolution(plan, g, outChannels: outChannels, x: x, w: w, y: y, accumulate: false)
        return
    }
    let xBits = UInt(bitPattern: x), wBits = UInt(bitPattern: w), yBits = UInt(bitPattern: y)
    let writesPanels = !g.isPointwise && gemmPacksB(transA: false, transB: false, m: outChannels, n: g.outPlane, k: g.depth)
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    // The filters are every sample's left operand: packed once.
    let packedW = writesPanels ? PackedLeftOperand(m: outChannels, k: g.depth, a: w, lda: g.depth) : nil
    Parallel.forRanges(count: g.batch, chunksPerThread: g.batch) { samples in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, w = UnsafePointer<Float>(bitPattern: wBits)!
        let y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        let scratch = g.isPointwise ? nil : convScratch(floats: writesPanels ? g.channels * layout.count : g.depth * g.outPlane)
        for n in samples {
            let xn = x + n * g.channels * g.plane, yn = y + n * outChannels * g.outPlane
            if let padded = scratch, writesPanels {
                layout.fillPlanes(padded, from: xn, planes: g.channels, height: g.height, width: g.width, padding: g.padding)
                gemmWritingRightPanels(m: outChannels, n: g.outPlane, k: g.depth, a: w, lda: g.depth, c: yn,
                                       ldc: g.outPlane, packedA: packedW) { rows, cols, panel in
                    writeIm2colPanel(g, padded: padded, layout: layout, rows: rows, cols: cols, panel: panel)
                }
                continue
            }
            let b: UnsafePointer<Float>
            if let cols = scratch { im2col(g, sample: xn, cols: cols); b = UnsafePointer(cols) } else { b = xn }
            gemm(transA: false, transB: false, m: outChannels, n: g.outPlane, k: g.depth, a: w, lda: g.depth,
                 b: b, ldb: g.outPlane, c: yn, ldc: g.outPlane)
        }
    }
}

/// dx += ∂L/∂x and dw += ∂L/∂w from dy (N, O, OH, OW). Samples in parallel chunks; each chunk sums its samples'
/// weight gradients in order into its own buffer, and the chunks are added in order (deterministic for a thread count).
/// The weight gradient dy[n] (O, P) · cols[n]ᵀ reads cols transposed. Where GEMM packs that operand (its blocked
/// path), the panels are written from a padded copy of the sample (`writeTransposedIm2colPanel`) and cols is never
/// stored; elsewhere cols's rows are padded with zeros to a multiple of 32, so every panel takes the GEMM's
/// register-transpose packing (a partial transposed panel packed one float at a time cost as much as the product
/// itself for W2's 20-channel pointwise convs).
/// dx at stride 1 is itself a convolution: dy padded by K − 1 − Pad, correlated with the flipped filters with their
/// channel axes swapped, through the same panel-writing GEMM as the forward pass (Wᵀ · dy then col2im wrote and
/// re-read a C·K·K × P matrix per sample: 7% of a W3 step in col2im alone). Larger strides keep Wᵀ · dy + col2im.
/// Stride-1 same-padded 3×3 and 5×5 convolutions with ≥ 16 channels each way (`WinogradPlan`) take Winograd's
/// transforms for both gradients instead (`winogradConvolution` of dy for dx, `winogradWeightGradient` for dw).
/// With `overwriteDX`, dx is written whole (dx = ∂L/∂x) and its previous contents are never read.
public func conv2dBackward(_ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                           dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                           overwriteDX: Bool = false) {
    let dwWinograd = dw == nil ? nil : WinogradPlan(g, outChannels: outChannels)
    let dwByIm2col = dwWinograd == nil ? dw : nil
    let chunks = sampleChunks(g.batch)
    let paddedDepth = roundUp(g.depth, 32)
    let partialCount = outChannels * paddedDepth
    // A 1×1 weight gradient small enough for GEMM's narrow dot path (A · Bᵀ, M, N ≤ 128, K ≥ 64) needs no padded copy.
    let readsSampleInPlace = g.isPointwise && outChannels <= gemmNarrowLimit && g.depth <= gemmNarrowLimit && g.outPlane >= 64
    let dotGroup = samplesPerDotGroup(m: outChannels, n: g.depth, k: g.outPlane)
    let dwWritesPanels = dwByIm2col != nil && !g.isPointwise
        && gemmPacksB(transA: false, transB: true, m: outChannels, n: paddedDepth, k: g.outPlane)
    // dx as the convolution of dy: input dy (O, OH, OW), output (C, H, W), filters (C, O, K, K).
    let dyGeometry = ConvGeometry(batch: g.batch, channels: outChannels, height: g.outHeight, width: g.outWidth,
                                  kernel: g.kernel, stride: 1, padding: g.kernel - 1 - g.padding)
    let dxWinograd = dx == nil || g.stride != 1 ? nil : WinogradPlan(dyGeometry, outChannels: g.channels)
    let dxByConvolution = dx != nil && dxWinograd == nil && !g.isPointwise && g.stride == 1
        && g.padding <= g.kernel - 1
        && gemmPacksB(transA: false, transB: false, m: g.channels, n: g.plane, k: dyGeometry.depth)
    let needsCols = (dwByIm2col != nil && !dwWritesPanels && !readsSampleInPlace)
        || (dx != nil && !g.isPointwise && !dxByConvolution && dxWinograd == nil)

    let partials = UnsafeMutablePointer<Float>.allocate(capacity: dwByIm2col == nil ? 1 : chunks.count * partialCount)
    defer { partials.deallocate() }
    if dwByIm2col != nil { partials.initialize(repeating: 0, count: chunks.count * partialCount) }
    let taps = g.kernel * g.kernel
    let flipped = UnsafeMutablePointer<Float>.allocate(capacity: dxByConvolution || dxWinograd != nil
                                                       ? g.channels * dyGeometry.depth : 1)
    defer { flipped.deallocate() }
    if dxByConvolution || dxWinograd != nil {
        for o in 0..<outChannels {
            for c in 0..<g.channels {
                let filter = w + (o * g.channels + c) * taps, out = flipped + c * dyGeometry.depth + o * taps
                for t in 0..<taps { out[t] = filter[taps - 1 - t] }
            }
        }
    }
    let packedFlipped = dxByConvolution
        ? PackedLeftOperand(m: g.channels, k: dyGeometry.depth, a: flipped, lda: dyGeometry.depth) : nil
    let bits = (UInt(bitPattern: x), UInt(bitPattern: w), UInt(bitPattern: dy), dx.map { UInt(bitPattern: $0) } ?? 0,
                dwByIm2col == nil ? 0 : UInt(bitPattern: partials), UInt(bitPattern: flipped))
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    let dyLayout = PaddedPlane(height: g.outHeight, width: g.outWidth, padding: dyGeometry.padding, stride: 1)
    let colsCount = needsCols ? paddedDepth * g.outPlane : 0
    let paddedCount = dwWritesPanels ? g.channels * layout.count : 0
    let rowsScratchCount = dwWritesPanels ? gemmNR * gemmDepthStep(g.outPlane) : 0
    let paddedDyCount = dxByConvolution ? outChannels * dyLayout.count : 0
    Parallel.forEach(chunks: chunks.count) { chunk in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, w = UnsafePointer<Float>(bitPattern: bits.1)!
        let dy = UnsafePointer<Float>(bitPattern: bits.2)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: bits.3), partial = UnsafeMutablePointer<Float>(bitPattern: bits.4)
        let flipped = UnsafePointer<Float>(bitPattern: bits.5)!
        let scratch = convScratch(floats: colsCount + paddedCount + rowsScratchCount + paddedDyCount)
        let cols = scratch, padded = cols + colsCount, rowsScratch = padded + paddedCount
        let paddedDy = rowsScratch + rowsScratchCount
        if needsCols { (cols + g.depth * g.outPlane).update(repeating: 0, count: (paddedDepth - g.depth) * g.outPlane) }
        for n in chunks[chunk] {
            let xn = x + n * g.channels * g.plane, dyn = dy + n * outChannels * g.outPlane
            if let partial, readsSampleInPlace, (n - chunks[chunk].lowerBound) % dotGroup == 0 {
                // dW (O, C) += Σ over this group of samples dy[s] (O, P) · x[s]ᵀ (P, C), read in place.
                gemmSummedOverSamples(m: outChannels, n: g.depth, k: g.outPlane,
                                      samples: min(dotGroup, chunks[chunk].upperBound - n), a: dyn, lda: g.outPlane,
                                      aSampleStride: outChannels * g.outPlane, b: xn, ldb: g.outPlane,
                                      bSampleStride: g.channels * g.plane, c: partial + chunk * partialCount, ldc: paddedDepth)
            }
            if let partial, dwWritesPanels {
                // dW (O, C·K·K) += dy[n] (O, P) · cols[n]ᵀ (P, C·K·K), cols[n]ᵀ's panels written as needed.
                layout.fillPlanes(padded, from: xn, planes: g.channels, height: g.height, width: g.width, padding: g.padding)
                gemmWritingRightPanels(m: outChannels, n: g.depth, k: g.outPlane, a: dyn, lda: g.outPlane, beta: 1,
                                       c: partial + chunk * partialCount, ldc: paddedDepth) { positions, depthRows, panel in
                    writeTransposedIm2colPanel(g, padded: padded, layout: layout, positions: positions,
                                               depthRows: depthRows, rowsScratch: rowsScratch, panel: panel)
                }
            } else if let partial, !readsSampleInPlace {
                // dW (O, C·K·K) += dy[n] (O, P) · cols[n]ᵀ (P, C·K·K), over the zero-padded rows of cols.
                if g.isPointwise { cols.update(from: xn, count: g.depth * g.outPlane) } else { im2col(g, sample: xn, cols: cols) }
                gemm(transA: false, transB: true, m: outChannels, n: paddedDepth, k: g.outPlane, a: dyn, lda: g.outPlane,
                     b: cols, ldb: g.outPlane, beta: 1, c: partial + chunk * partialCount, ldc: paddedDepth)
            }
            guard let dx, dxWinograd == nil else { continue }
            let dxn = dx + n * g.channels * g.plane
            if g.isPointwise {
                // dx[n] (C, P) = Wᵀ (C, O) · dy[n] (O, P).
                gemm(transA: true, transB: false, m: g.depth, n: g.outPlane, k: outChannels, a: w, lda: g.depth,
                     b: dyn, ldb: g.outPlane, beta: overwriteDX ? 0 : 1, c: dxn, ldc: g.outPlane)
            } else if dxByConvolution {
                // dx[n] (C, H·W) = flipped (C, O·K·K) · im2col(padded dy[n]) (O·K·K, H·W).
                dyLayout.fillPlanes(paddedDy, from: dyn, planes: outChannels, height: g.outHeight, width: g.outWidth,
                                    padding: dyGeometry.padding)
                gemmWritingRightPanels(m: g.channels, n: g.plane, k: dyGeometry.depth, a: flipped, lda: dyGeometry.depth,
                                       beta: overwriteDX ? 0 : 1, c: dxn, ldc: g.plane,
                                       packedA: packedFlipped) { rows, cols, panel in
                    writeIm2colPanel(dyGeometry, padded: paddedDy, layout: dyLayout, rows: rows, cols: cols, panel: panel)
                }
            } else {
                // dcols (C·K·K, P) = Wᵀ (C·K·K, O) · dy[n] (O, P), then scattered back onto dx[n].
                if overwriteDX { dxn.update(repeating: 0, count: g.channels * g.plane) }
                gemm(transA: true, transB: false, m: g.depth, n: g.outPlane, k: outChannels, a: w, lda: g.depth,
                     b: dyn, ldb: g.outPlane, c: cols, ldc: g.outPlane)
                col2imAccumulate(g, sample: cols, dx: dxn)
            }
        }
    }
    if let dx, let dxWinograd {
        winogradConvolution(dxWinograd, dyGeometry, outChannels: g.channels, x: dy, w: flipped, y: dx,
                            accumulate: !overwriteDX)
    }
    if let dw, let dwWinograd {
        winogradWeightGradient(dwWinograd, g, outChannels: outChannels, x: x, dy: dy, dw: dw)
    }
    if let dw = dwByIm2col {
        for chunk in 0..<chunks.count {
            for o in 0..<outChannels { axpy(g.depth, alpha: 1, partials + chunk * partialCount + o * paddedDepth, dw + o * g.depth) }
        }
    }
}

// MARK: - Depthwise convolution

/// A plane copied into a zero-padded buffer whose rows are split by column phase modulo the stride: padded row r
/// holds S runs of `phaseLength` floats, run q holding padded columns q, q + S, q + 2S, … So output column ox of
/// tap kx reads run kx % S at ox + kx / S: contiguous for every stride. Each run ends in ≥ 16 zeros of slack, so
/// full-vector reads past the last output column stay inside the buffer.
struct PaddedPlane {
    let rows: Int, stride: Int, phaseLength: Int
    var rowLength: Int { stride * phaseLength }
    var count: Int { rows * rowLength }

    init(height: Int, width: Int, padding: Int, stride: Int) {
        rows = height + 2 * padding
        self.stride = stride
        phaseLength = roundUp((width + 2 * padding + stride - 1) / stride + 16, 16)
    }

    /// Writes the padded (with `value`; zero by default), phase-split copy of `src` (height × width) into `buffer`;
    /// `rectified` copies relu(src) instead (a ReLU fused into the convolution that reads it).
    @inline(__always)
    func fill(_ buffer: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, height: Int, width: Int, padding: Int,
              value: Float = 0, rectified: Bool = false) {
        // One fill of the whole buffer: zeroing only the border took two short memset calls per row, slower.
        buffer.update(repeating: value, count: count)
        for y in 0..<height {
            let row = buffer + (y + padding) * rowLength, input = src + y * width
            if stride == 1 {
                if rectified {
                    mapElements(width, input, row + padding) { Activation.relu.forward($0) }
                } else {
                    copyRun(width, from: input, to: row + padding)
                }
            } else {
                forEachPhase(width: width, padding: padding) { run, x0, start in
                    var x = x0, i = run + start
                    if rectified {
                        while x < width { row[i] = input[x] < 0 ? 0 : input[x]; x += stride; i += 1 }
                    } else {
                        while x < width { row[i] = input[x]; x += stride; i += 1 }
                    }
                }
            }
        }
    }

    /// `planes` consecutive planes of `src` (height × width each) into consecutive padded buffers of `count` floats.
    @inline(__always)
    func fillPlanes(_ buffer: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>, planes: Int, height: Int,
                    width: Int, padding: Int) {
        for c in 0..<planes {
            fill(buffer + c * count, from: src + c * height * width, height: height, width: width, padding: padding)
        }
    }

    /// Calls body(run, x0, i0) for each column phase q: input columns x0, x0 + S, … (those with
    /// (x + padding) % S == q) sit at floats i0, i0 + 1, … of run q, which starts `run` floats into the padded row.
    /// (A division per column made these copies cost as much as the stride-2 convolutions themselves.)
    @inline(__always)
    func forEachPhase(width: Int, padding: Int, _ body: (_ run: Int, _ x0: Int, _ i0: Int) -> Void) {
        for q in 0..<stride {
            let x0 = ((q - padding) % stride + stride) % stride
            if x0 < width { body(q * phaseLength, x0, (x0 + padding) / stride) }
        }
    }

    /// Adds the interior of a phase-split buffer (the inverse of `fill`'s placement) into `dst` (height × width).
    @inline(__always)
    func addInterior(of buffer: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, height: Int, width: Int, padding: Int) {
        for y in 0..<height {
            let row = buffer + (y + padding) * rowLength, out = dst + y * width
            if stride == 1 {
                axpy(width, alpha: 1, row + padding, out)
            } else {
                forEachPhase(width: width, padding: padding) { run, x0, start in
                    var x = x0, i = run + start
                    while x < width { out[x] += row[i]; x += stride; i += 1 }
                }
            }
        }
    }
}

/// out (OH, OW) = (or +=) the K×K correlation of a padded, phase-split plane with `taps` (K·K, row-major),
/// vectorized over the output width with `V` lanes. Four output rows run together: four independent accumulator
/// chains (one chain of K·K dependent multiply-adds would wait on the FMA latency) sharing each tap's broadcast.
@inline(__always)
func correlatePlane<V: SIMD>(_ vector: V.Type, _ padded: UnsafePointer<Float>, _ layout: PaddedPlane, kernel: Int,
                             taps: UnsafePointer<Float>, outHeight: Int, outWidth: Int, out: UnsafeMutablePointer<Float>,
                             accumulate: Bool) where V.Scalar == Float {
    let lanes = V.scalarCount, s = layout.stride
    let raw = UnsafeRawPointer(padded)
    let rowStep = s * layout.rowLength * 4
    @inline(__always) func store(_ acc: V, _ oy: Int, _ ox: Int) {
        let dst = out + oy * outWidth + ox
        if ox + lanes <= outWidth {
            let rawDst = UnsafeMutableRawPointer(dst)
            rawDst.storeBytes(of: accumulate ? acc + rawDst.loadUnaligned(as: V.self) : acc, as: V.self)
        } else {
            for j in 0..<(outWidth - ox) { dst[j] = accumulate ? dst[j] + acc[j] : acc[j] }
        }
    }
    // Each tap's byte offset from a window's corner, worked out once per plane: the inner loop is then one add, one
    // broadcast and four multiply-adds per tap (stepping the stride phase there cost a compare and branch and
    // overflow-checked arithmetic per tap, as many instructions as the multiply-adds).
    let tapCount = kernel * kernel
    withUnsafeTemporaryAllocation(of: Int.self, capacity: tapCount) { offsets in
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                offsets[ky * kernel + kx] = (ky * layout.rowLength + (kx % s) * layout.phaseLength + kx / s) * 4
            }
        }
        var ox = 0
        while ox < outWidth {
            var oy = 0
            while oy + 4 <= outHeight {
                let corner = (oy * s * layout.rowLength + ox) * 4
                var acc0 = V(), acc1 = V(), acc2 = V(), acc3 = V()
                for t in 0..<tapCount {
                    let byte = corner &+ offsets[t]
                    let w = V(repeating: taps[t])
                    acc0 = acc0.addingProduct(w, raw.loadUnaligned(fromByteOffset: byte, as: V.self))
                    acc1 = acc1.addingProduct(w, raw.loadUnaligned(fromByteOffset: byte &+ rowStep, as: V.self))
                    acc2 = acc2.addingProduct(w, raw.loadUnaligned(fromByteOffset: byte &+ 2 &* rowStep, as: V.self))
                    acc3 = acc3.addingProduct(w, raw.loadUnaligned(fromByteOffset: byte &+ 3 &* rowStep, as: V.self))
                }
                store(acc0, oy, ox); store(acc1, oy + 1, ox); store(acc2, oy + 2, ox); store(acc3, oy + 3, ox)
                oy += 4
            }
            while oy < outHeight {
                let corner = (oy * s * layout.rowLength + ox) * 4
                var acc = V()
                for t in 0..<tapCount {
                    acc = acc.addingProduct(V(repeating: taps[t]),
                                            raw.loadUnaligned(fromByteOffset: corner &+ offsets[t], as: V.self))
                }
                store(acc, oy, ox)
                oy += 1
            }
            ox += lanes
        }
    }
}

/// Runs `correlatePlane` with 16 lanes, or 8 when the output is at most 8 wide.
@inline(__always)
func correlatePlane(_ padded: UnsafePointer<Float>, _ layout: PaddedPlane, kernel: Int, taps: UnsafePointer<Float>,
                    outHeight: Int, outWidth: Int, out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    if outWidth <= 8 {
        correlatePlane(SIMD8<Float>.self, padded, layout, kernel: kernel, taps: taps, outHeight: outHeight,
                       outWidth: outWidth, out: out, accumulate: accumulate)
    } else {
        correlatePlane(SIMD16<Float>.self, padded, layout, kernel: kernel, taps: taps, outHeight: outHeight,
                       outWidth: outWidth, out: out, accumulate: accumulate)
    }
}

/// Depthwise convolution: y (N, C, OH, OW) = x (N, C, H, W) ⋆ w (C, 1, K, K), one filter per channel.
/// `rectifyingInput`: y = relu(x) ⋆ w, the ReLU applied while the padded copy is made (no ReLU tensor).
public func depthwiseConvForward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                 y: UnsafeMutablePointer<Float>, rectifyingInput: Bool = false) {
    let xBits = UInt(bitPattern: x), wBits = UInt(bitPattern: w), yBits = UInt(bitPattern: y)
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    Parallel.forRanges(count: g.batch * g.channels, chunksPerThread: 4) { planes in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, w = UnsafePointer<Float>(bitPattern: wBits)!
        let y = UnsafeMutablePointer<Float>(bitPattern: yBits)!
        let padded = convScratch(floats: layout.count)
        for p in planes {
            layout.fill(padded, from: x + p * g.plane, height: g.height, width: g.width, padding: g.padding,
                        rectified: rectifyingInput)
            correlatePlane(padded, layout, kernel: g.kernel, taps: w + (p % g.channels) * g.kernel * g.kernel,
                           outHeight: g.outHeight, outWidth: g.outWidth, out: y + p * g.outPlane, accumulate: false)
        }
    }
}

/// Backward of depthwise convolution: dx += ∂L/∂x and dw += ∂L/∂w from dy (N, C, OH, OW).
/// Parallel over channels (each owns its filter's gradient and its input planes); samples in order.
/// Stride-1 same-padded 3×3 and 5×5 convolutions with ≥ 16 channels each way (`WinogradPlan`) take Winograd's
/// transforms for both gradients instead (`winogradConvolution` of dy for dx, `winogradWeightGradient` for dw).
/// With `overwriteDX`, dx is written whole (dx = ∂L/∂x) and its previous contents are never read.
/// `rectifyingInput`: the backward of y = relu(x) ⋆ w (dw from relu(x); dx masked where x ≤ 0).
public func depthwiseConvBackward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                  dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                  overwriteDX: Bool = false, rectifyingInput: Bool = false) {
    let xBits = UInt(bitPattern: x), wBits = UInt(bitPattern: w), dyBits = UInt(bitPattern: dy)
    let dxBits = dx.map { UInt(bitPattern: $0) } ?? 0, dwBits = dw.map { UInt(bitPattern: $0) } ?? 0
    let plan = DepthwiseBackwardPlan(g, rectifyingInput: rectifyingInput)
    let taps = plan.taps
    Parallel.forRanges(count: g.channels, chunksPerThread: 4) { channels in
        let x = UnsafePointer<Float>(bitPattern: xBits)!, w = UnsafePointer<Float>(bitPattern: wBits)!
        let dy = UnsafePointer<Float>(bitPattern: dyBits)!
        let dx = UnsafeMutablePointer<Float>(bitPattern: dxBits), dw = UnsafeMutablePointer<Float>(bitPattern: dwBits)
        let scratch = convScratch(floats: plan.scratchCount + 2 * roundUp(taps, 16))
        let flipped = scratch + plan.scratchCount, wGrad = flipped + roundUp(taps, 16)
        for c in channels {
            let filter = w + c * taps
            for t in 0..<taps { flipped[t] = filter[taps - 1 - t] }
            wGrad.update(repeating: 0, count: taps)
            for n in 0..<g.batch {
                let p = n * g.channels + c
                plan.backwardPlane(x: x + p * g.plane, filter: filter, flipped: flipped, dy: dy + p * g.outPlane,
                                   dx: dx.map { $0 + p * g.plane }, grad: dw == nil ? nil : wGrad, overwriteDX: overwriteDX,
                                   scratch: scratch)
            }
            if let dw { for t in 0..<taps { dw[c * taps + t] += wGrad[t] } }
        }
    }
}

/// The depthwise backward of one (sample, channel) plane, shared by `depthwiseConvBackward` (channels outside,
/// samples inside) and the separable convolution's (samples outside, channels inside).
/// grad[ky, kx] += Σ dy[oy, ox] · xpad[oy·S + ky, ox·S + kx]. At stride 1, dx is the correlation of dy padded by
/// K − 1 − Pad with the flipped filter (the forward kernel again); at larger strides dy is scattered into a
/// phase-split padded buffer.
struct DepthwiseBackwardPlan {
    let g: ConvGeometry
    let rectifyingInput: Bool
    let taps: Int
    let layout: PaddedPlane, dyLayout: PaddedPlane
    /// dy rows padded to whole vectors with zeros, so weight-gradient dot products need no tails.
    let dyRow: Int
    let transposedPadding: Int
    /// Stride 1 with Pad ≤ K − 1: dx by correlation; else by scattering into `layout`.
    let byCorrelation: Bool
    /// Floats of scratch `backwardPlane` carves up (a multiple of 16, so what follows stays 64-byte aligned).
    let scratchCount: Int

    init(_ g: ConvGeometry, rectifyingInput: Bool) {
        self.g = g
        self.rectifyingInput = rectifyingInput
        taps = g.kernel * g.kernel
        layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
        dyRow = roundUp(g.outWidth, 16)
        transposedPadding = g.kernel - 1 - g.padding
        byCorrelation = g.stride == 1 && transposedPadding >= 0
        dyLayout = PaddedPlane(height: g.outHeight, width: g.outWidth, padding: max(0, transposedPadding), stride: 1)
        // padded input, work (dy padded or scattered), dy rows, 16·K·K weight-gradient accumulators, and with a
        // rectified input the plane's dx before the mask.
        scratchCount = layout.count + max(layout.count, dyLayout.count) + g.outHeight * dyRow + 16 * taps
            + (rectifyingInput ? roundUp(g.plane, 16) : 0)
    }

    /// dx (one plane; written whole with `overwriteDX`, else added to) and grad (K·K, added to) from dy (one plane),
    /// x (the layer input's plane), the plane's filter and its flip. Either output may be nil.
    @inline(__always)
    func backwardPlane(x: UnsafePointer<Float>, filter: UnsafePointer<Float>, flipped: UnsafePointer<Float>,
                       dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, grad: UnsafeMutablePointer<Float>?,
                       overwriteDX: Bool, scratch: UnsafeMutablePointer<Float>) {
        let padded = scratch, work = scratch + layout.count
        let dyPadded = work + max(layout.count, dyLayout.count), accumulators = dyPadded + g.outHeight * dyRow
        let unmasked = accumulators + 16 * taps
        if grad != nil || !byCorrelation {
            for oy in 0..<g.outHeight {
                let row = dyPadded + oy * dyRow
                copyRun(g.outWidth, from: dy + oy * g.outWidth, to: row)
                if dyRow > g.outWidth { (row + g.outWidth).update(repeating: 0, count: dyRow - g.outWidth) }
            }
        }
        if let grad {
            layout.fill(padded, from: x, height: g.height, width: g.width, padding: g.padding, rectified: rectifyingInput)
            depthwiseWeightGradient(padded, layout, dy: dyPadded, dyRow: dyRow, outHeight: g.outHeight, kernel: g.kernel,
                                    accumulators: accumulators, into: grad)
        }
        guard let dx else { return }
        let dxPlane = rectifyingInput ? unmasked : dx
        let overwrite = overwriteDX || rectifyingInput
        if byCorrelation {
            dyLayout.fill(work, from: dy, height: g.outHeight, width: g.outWidth, padding: transposedPadding)
            correlatePlane(work, dyLayout, kernel: g.kernel, taps: flipped, outHeight: g.height, outWidth: g.width,
                           out: dxPlane, accumulate: !overwrite)
        } else {
            if overwrite { dxPlane.update(repeating: 0, count: g.plane) }
            work.update(repeating: 0, count: layout.count)
            scatterTransposed(dy: dyPadded, dyRow: dyRow, outHeight: g.outHeight, filter: filter, kernel: g.kernel,
                              into: work, layout)
            layout.addInterior(of: work, into: dxPlane, height: g.height, width: g.width, padding: g.padding)
        }
        if rectifyingInput {
            // relu's backward, as `Activation.relu.backward` (zero where the input was ≤ 0).
            if overwriteDX {
                zipElements(g.plane, UnsafePointer(unmasked), x, dx) { d, x in d.replacing(with: 0, where: x .<= 0) }
            } else {
                zip3Elements(g.plane, UnsafePointer(unmasked), x, UnsafePointer(dx), dx) { d, x, acc in
                    acc + d.replacing(with: 0, where: x .<= 0)
                }
            }
        }
    }
}

/// work[oy·S + ky, ox·S + kx] += filter[ky, kx] · dy[oy, ox] over a phase-split padded plane: the transposed
/// strided convolution. dy rows are `dyRow` floats, zero past the output width, so whole 16-lane vectors are added
/// (a run's slack absorbs the lanes past its last column; they add zeros).
@inline(never)
func scatterTransposed(dy: UnsafePointer<Float>, dyRow: Int, outHeight: Int, filter: UnsafePointer<Float>, kernel: Int,
                       into work: UnsafeMutablePointer<Float>, _ layout: PaddedPlane) {
    let s = layout.stride
    let rawDy = UnsafeRawPointer(dy), rawWork = UnsafeMutableRawPointer(work)
    for oy in 0..<outHeight {
        for ox in stride(from: 0, to: dyRow, by: 16) {
            let d = rawDy.loadUnaligned(fromByteOffset: (oy * dyRow + ox) * 4, as: FloatVector.self)
            for ky in 0..<kernel {
                let row = (oy * s + ky) * layout.rowLength + ox
                for kx in 0..<kernel {
                    let byte = (row + (kx % s) * layout.phaseLength + kx / s) * 4
                    let sum = rawWork.loadUnaligned(fromByteOffset: byte, as: FloatVector.self)
                        .addingProduct(FloatVector(repeating: filter[ky * kernel + kx]), d)
                    rawWork.storeBytes(of: sum, toByteOffset: byte, as: FloatVector.self)
                }
            }
        }
    }
}

/// grad[ky·K + kx] += Σ_oy,ox dy[oy, ox] · padded[oy·S + ky, ox·S + kx] for one plane. dy rows are `dyRow` floats
/// (whole vectors, zero past the output width). Kernels up to 5 wide run one pass per filter row with the row's
/// taps summed in registers; wider ones multiply each dy vector into all K·K taps' accumulators in `accumulators`
/// (16·K·K floats of scratch). Either way no tap's sum waits on its own previous multiply-add for long.
@inline(never)
func depthwiseWeightGradient(_ padded: UnsafePointer<Float>, _ layout: PaddedPlane, dy: UnsafePointer<Float>, dyRow: Int,
                             outHeight: Int, kernel: Int, accumulators: UnsafeMutablePointer<Float>,
                             into grad: UnsafeMutablePointer<Float>) {
    let taps = kernel * kernel, s = layout.stride, rowLength = layout.rowLength, phaseLength = layout.phaseLength
    if kernel <= 5 {
        // Tap kx of a row reads run kx % S at offset kx / S; taps past the kernel read column 0 and are dropped.
        @inline(__always) func column(_ kx: Int) -> Int { kx < kernel ? (kx % s) * phaseLength + kx / s : 0 }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4)
        let raw = UnsafeRawPointer(padded), rawDy = UnsafeRawPointer(dy)
        // `wide` is a constant at each call below, so the 3-tap loop carries no dead multiply-adds.
        @inline(__always) func rowPass(_ ky: Int, wide: Bool) {
            var a0 = FloatVector(), a1 = FloatVector(), a2 = FloatVector(), a3 = FloatVector(), a4 = FloatVector()
            for oy in 0..<outHeight {
                let row = (oy * s + ky) * rowLength
                for ox in stride(from: 0, to: dyRow, by: 16) {
                    let d = rawDy.loadUnaligned(fromByteOffset: (oy * dyRow + ox) * 4, as: FloatVector.self)
                    @inline(__always) func tap(_ c: Int) -> FloatVector {
                        raw.loadUnaligned(fromByteOffset: (row + c + ox) * 4, as: FloatVector.self)
                    }
                    a0 = a0.addingProduct(d, tap(c0))
                    a1 = a1.addingProduct(d, tap(c1))
                    a2 = a2.addingProduct(d, tap(c2))
                    if wide {
                        a3 = a3.addingProduct(d, tap(c3))
                        a4 = a4.addingProduct(d, tap(c4))
                    }
                }
            }
            let out = grad + ky * kernel
            out[0] += horizontalSum(a0)
            if kernel > 1 { out[1] += horizontalSum(a1) }
            if kernel > 2 { out[2] += horizontalSum(a2) }
            if kernel > 3 { out[3] += horizontalSum(a3) }
            if kernel > 4 { out[4] += horizontalSum(a4) }
        }
        for ky in 0..<kernel {
            if kernel <= 3 { rowPass(ky, wide: false) } else { rowPass(ky, wide: true) }
        }
        return
    }
    accumulators.update(repeating: 0, count: 16 * taps)
    let raw = UnsafeRawPointer(padded), rawAcc = UnsafeMutableRawPointer(accumulators), rawDy = UnsafeRawPointer(dy)
    for oy in 0..<outHeight {
        for ox in stride(from: 0, to: dyRow, by: 16) {
            let d = rawDy.loadUnaligned(fromByteOffset: (oy * dyRow + ox) * 4, as: FloatVector.self)
            var tap = 0
            for ky in 0..<kernel {
                let row = (oy * s + ky) * rowLength + ox
                var column = 0, phase = 0
                for _ in 0..<kernel {
                    let v = raw.loadUnaligned(fromByteOffset: (row + column) * 4, as: FloatVector.self)
                    phase += 1
                    if phase == s { phase = 0; column += 1 - (s - 1) * phaseLength } else { column += phaseLength }
                    let acc = rawAcc.load(fromByteOffset: tap * 64, as: FloatVector.self)
                    rawAcc.storeBytes(of: acc.addingProduct(d, v), toByteOffset: tap * 64, as: FloatVector.self)
                    tap += 1
                }
            }
        }
    }
    for t in 0..<taps { grad[t] += horizontalSum(rawAcc.load(fromByteOffset: t * 64, as: FloatVector.self)) }
}

/// The output columns ox whose input column ox·S − Pad + offset lies inside [0, size).
@inline(__always)
func validOutputRange(_ g: ConvGeometry, offset: Int, size: Int, outSize: Int) -> (Int, Int) {
    // ox·S ≥ Pad − offset  and  ox·S ≤ size − 1 + Pad − offset
    let low = g.padding - offset
    let first = low <= 0 ? 0 : (low + g.stride - 1) / g.stride
    let high = size - 1 + g.padding - offset
    let last = high < 0 ? 0 : min(outSize, high / g.stride + 1)
    return (min(first, outSize), max(min(first, outSize), last))
}
