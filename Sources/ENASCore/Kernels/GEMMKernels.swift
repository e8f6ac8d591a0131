// The one matrix product of ENASCore: C = alpha · op(A) · op(B) + beta · C, row-major Float32.
// op(A) is (M, K), op(B) is (K, N), C is (M, N). Every transpose combination goes through the same packed
// micro-kernel: transposition only changes how panels are packed.
//
// Blocking (BLIS-style): NC columns of B × KC depth are packed into NR-wide panels; MC rows of A × KC into
// MR-tall panels; an MR×NR register tile runs over KC and updates C directly: 8 × 32 (16 SIMD16 accumulators) where
// the target has AVX-512's 32 registers, 6 × 16 (12 SIMD8 accumulators) on AVX2's 16, where 8 × 32 spilled (61% of
// OpenBLAS's sgemm rate). Each element of C is one sequence of fused multiply-adds over p whatever the tile, so
// both tiles give the same bits.
// Products with fewer than MR rows (batch-1 controller steps) skip packing and read B in place, and so do products
// with op(B) untransposed, at most 128 rows and depth (the CNN's per-sample 1×1 convolutions, (O, C)·(C, H·W) with
// O, C = 20–80), where packing cost as much as the product and an 8-row tile wasted a third of a 20-row one.
// Work is split over the larger of M and N (W1's products have only 32 or 64 rows). The depth blocking depends
// only on K and the path (blocked, few-rows or narrow) only on the shape, so every element of C is summed in the same order
// whatever the thread count.

#if canImport(Glibc)
import Glibc
#endif

#if ENAS_AVX512
/// Rows of the register tile.
let gemmMR = 8
/// Columns of the register tile (two SIMD16 vectors).
let gemmNR = 32
/// Rows of A packed at once (8 × 32 tiles over a 128 × 384 block: 192 KiB, in L2).
let gemmMC = 128
#else
/// Rows of the register tile.
let gemmMR = 6
/// Columns of the register tile (two SIMD8 vectors).
let gemmNR = 16
/// Rows of A packed at once (a multiple of MR: 120 × 384 floats, 180 KiB, in L2).
let gemmMC = 120
#endif
/// Largest depth of one packed block; K is cut into equal blocks no deeper than this (256, 384 and 512 measured
/// within noise of each other here).
let gemmKC = 384
/// Columns of B packed at once.
let gemmNC = 2048
/// Multiply-adds each thread must get before a product is split: waking a pooled GCD thread costs 35–45 µs on
/// these VMs, about the time of 2^21 multiply-adds at AVX-512's rate, so a much smaller share runs slower on two
/// threads than on one (32 × 512 × 256 would; 32 × 512 × 512 gains). AVX2 multiplies ~3× slower, so its shares can
/// be 4× smaller: 2^20 took W1s at 2 threads from 994 to 1,191 tokens/s on an AVX2 EPYC (the recurrent cell's
/// 32 × 256 × 256 products split there).
#if ENAS_AVX512
let gemmMinimumWorkPerThread = 1 << 22
#else
let gemmMinimumWorkPerThread = 1 << 20
#endif

/// C = alpha · op(A) · op(B) + beta · C on raw row-major buffers. `beta == 0` ignores C's previous contents
/// (NaN-safe). Leading dimensions are in elements. Callers validate sizes; this is the kernel layer.
/// `packedB`, when given, is op(B) already packed (`PackedRightOperand` of the same B, transB, k and n): the blocked
/// path reads its panels instead of packing B again; the other paths read `b`. The result is bit-identical.
public func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, packedB: PackedRightOperand? = nil
) {
    guard m > 0, n > 0 else { return }
    if k == 0 || alpha == 0 {
        scaleMatrix(c, rows: m, cols: n, ld: ldc, beta: beta)
        return
    }
    if let packedB {
        precondition(packedB.transB == transB && packedB.k == k && packedB.n == n,
                     "[gemm] packed operand is \(packedB.k)×\(packedB.n) (transB \(packedB.transB)), the product needs \(k)×\(n) (transB \(transB))")
    }
    switch GEMMPath(transA: transA, transB: transB, m: m, n: n, k: k) {
    case .fewRows:
        gemmFewRows(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
        return
    case .narrowDots:
        gemmNarrowDots(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    case .narrow:
        gemmNarrow(transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    case .blocked:
        break
    }
    // Split the larger output dimension; each thread packs its own panels (the shared operand is re-packed,
    // which costs O(K·N) against O(M·N·K / threads) of arithmetic).
    let splitRows = m >= n
    let granule = splitRows ? gemmMR : gemmNR
    let extent = splitRows ? m : n
    let workPerItem = (splitRows ? n : m) * k
    let minimumPerThread = max(granule, (gemmMinimumWorkPerThread + workPerItem - 1) / workPerItem)
    let aBits = UInt(bitPattern: a), bBits = UInt(bitPattern: b), cBits = UInt(bitPattern: c)
    let packed = packedB.map { PrepackedPanels(base: UInt(bitPattern: $0.panels), panelsPerBlock: $0.panelCount, firstPanel: 0) }
    Parallel.forRanges(count: extent, granule: granule, minimumPerThread: minimumPerThread) { range in
        let a = UnsafePointer<Float>(bitPattern: aBits)!, b = UnsafePointer<Float>(bitPattern: bBits)!
        let c = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        if splitRows {
            let aStart = transA ? a + range.lowerBound : a + range.lowerBound * lda
            gemmSerial(transA: transA, transB: transB, m: range.count, n: n, k: k, alpha: alpha,
                       a: aStart, lda: lda, b: b, ldb: ldb, beta: beta, c: c + range.lowerBound * ldc, ldc: ldc,
                       prepacked: packed)
        } else {
            // Column ranges start on panel boundaries (the granule is NR).
            let bStart = transB ? b + range.lowerBound * ldb : b + range.lowerBound
            gemmSerial(transA: transA, transB: transB, m: m, n: range.count, k: k, alpha: alpha,
                       a: a, lda: lda, b: bStart, ldb: ldb, beta: beta, c: c + range.lowerBound, ldc: ldc,
                       prepacked: packed.map { PrepackedPanels(base: $0.base, panelsPerBlock: $0.panelsPerBlock,
                                                               firstPanel: range.lowerBound / gemmNR) })
        }
    }
}

/// Writes op(B)[rows, cols] as one packed panel: rows.count × NR floats, depth-major, zero past the last column
/// (what `packB` would write from a stored B).
public typealias RightPanelWriter = (_ rows: Range<Int>, _ cols: Range<Int>, _ panel: UnsafeMutablePointer<Float>) -> Void

/// C = alpha · A · B + beta · C, A (M, K) untransposed, for a B (K, N) that is never stored whole: `writePanel`
/// produces each NR-wide panel just before the micro-kernels read it, so it is made in L1 and read from there (a
/// convolution's im2col matrix, 3.7 MB for a 5 × 5 kernel over 36 channels at 32 × 32, was written out and read
/// back twice: by im2col and by packing). Runs on the calling thread (callers run it per sample, in parallel).
/// The same bits as `gemm`'s blocked path on the stored B.
/// `packedA`, when given, is A already packed by `PackedLeftOperand` (the same A for every sample of a convolution:
/// packing it per sample cost as much as an 8 × 8 layer's products need 1/64 of).
public func gemmWritingRightPanels(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                   beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                   packedA: PackedLeftOperand? = nil, writePanel: RightPanelWriter) {
    guard m > 0, n > 0 else { return }
    if k == 0 || alpha == 0 {
        scaleMatrix(c, rows: m, cols: n, ld: ldc, beta: beta)
        return
    }
    if let packedA {
        precondition(packedA.m == m && packedA.k == k,
                     "[gemm] packed operand is \(packedA.m)×\(packedA.k), the product needs \(m)×\(k)")
    }
    withoutActuallyEscaping(writePanel) { writer in
        gemmSerial(transA: false, transB: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: a, ldb: 0,
                   beta: beta, c: c, ldc: ldc, prepackedA: packedA.map { UnsafePointer($0.panels) }, panelWriter: writer)
    }
}

/// A left operand (M ≤ MC rows, untransposed) packed once into the MR-tall panels of every depth block, for
/// products that reuse it many times (a convolution's filters, one product per sample). Block pc's panels start
/// pc · roundUp(M, MR) floats in: the blocks' depths add up to pc at block pc.
public final class PackedLeftOperand: @unchecked Sendable {
    let m: Int, k: Int
    let panels: UnsafeMutablePointer<Float>

    /// nil when M > MC (the product packs A by row blocks itself).
    public init?(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int) {
        guard m > 0, k > 0, m <= gemmMC else { return nil }
        self.m = m
        self.k = k
        let rows = roundUp(m, gemmMR)
        panels = .allocate(capacity: rows * k)
        let kcStep = gemmDepthStep(k)
        for pc in stride(from: 0, to: k, by: kcStep) {
            packA(transA: false, a: a, lda: lda, rows: 0..<m, depth: pc..<min(k, pc + kcStep), into: panels + pc * rows)
        }
    }

    deinit { panels.deallocate() }
}

/// How `gemm` computes a product of these shapes (k, m, n > 0); only `.blocked` packs B.
enum GEMMPath {
    /// Fewer than MR rows: B read in place.
    case fewRows
    /// A · Bᵀ with M, N ≤ 128: dot products over contiguous rows (1×1 convolutions' weight gradients).
    case narrowDots
    /// op(A) · B with M, K ≤ 128: B read in place (the CNN's per-sample 1×1 convolutions).
    case narrow
    case blocked

    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        if m < gemmMR {
            self = .fewRows
        } else if !transA && transB && m <= gemmNarrowLimit && n <= gemmNarrowLimit && k >= 64 {
            self = .narrowDots
        } else if !transB && m <= gemmNarrowLimit && k <= gemmNarrowLimit && n >= 64 {
            self = .narrow
        } else {
            self = .blocked
        }
    }
}

/// Whether `gemm` packs B for these shapes (its blocked path): a caller that would pack a shared right operand
/// ahead (`PackedRightOperand`) asks first.
public func gemmPacksB(transA: Bool, transB: Bool, m: Int, n: Int, k: Int) -> Bool {
    m > 0 && n > 0 && k > 0 && GEMMPath(transA: transA, transB: transB, m: m, n: n, k: k) == .blocked
}

/// Equal depth blocks no deeper than KC (K = 512 → 2 × 256, not 384 + 128), so no block is left too thin to
/// amortize C updates. Shared by the blocked path and `PackedRightOperand`, whose panels must match it; public so
/// tests can spell out the blocked path's exact arithmetic.
@inline(__always) public func gemmDepthStep(_ k: Int) -> Int {
    let kBlocks = (k + gemmKC - 1) / gemmKC
    return (k + kBlocks - 1) / kBlocks
}

/// op(B) (K, N) packed once into the blocked path's NR-wide panels, depth block by depth block (block pc holds
/// `panelCount` panels of its depth × NR floats), for a right operand that many products read unchanged — a
/// recurrent cell's weights over a window's time steps, forward (W) and backward (Wᵀ). Packing is the same
/// `packB`, so products read exactly the floats they would have packed. The caller keeps B unchanged while it
/// uses the packed copy.
public final class PackedRightOperand {
    public let transB: Bool
    public let k: Int, n: Int
    /// Panels per depth block: ⌈N / NR⌉.
    let panelCount: Int
    let panels: UnsafeMutablePointer<Float>

    public init(transB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) {
        precondition(k > 0 && n > 0, "[gemm] a packed operand needs k, n > 0")
        self.transB = transB
        self.k = k
        self.n = n
        panelCount = (n + gemmNR - 1) / gemmNR
        panels = .allocate(capacity: panelCount * gemmNR * k)
        let step = gemmDepthStep(k)
        for pc in stride(from: 0, to: k, by: step) {
            packB(transB: transB, b: b, ldb: ldb, rows: pc..<min(k, pc + step), cols: 0..<n,
                  into: panels + pc * panelCount * gemmNR)
        }
    }

    deinit { panels.deallocate() }
}

/// Where one thread's share of a product finds its prepacked panels (addresses as bits: the closure is @Sendable).
private struct PrepackedPanels {
    let base: UInt
    let panelsPerBlock: Int
    /// The panel of the share's first column.
    let firstPanel: Int
}

/// C ← beta · C (beta == 0 writes zeros).
private func scaleMatrix(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, beta: Float) {
    for i in 0..<rows {
        let row = c + i * ld
        if beta == 0 { row.update(repeating: 0, count: cols) } else if beta != 1 { for j in 0..<cols { row[j] *= beta } }
    }
}

/// One thread's share: the full blocked algorithm on a sub-problem.
///
/// The loop nest, the packing routines and the micro-kernel are separate functions on purpose: inlined into one
/// body (gemm's, in a release build of ENASCore), they pushed it past the optimizer's inlining budget, and the SIMD
/// loads inside the packing loops stayed calls into the standard library (W1p's 64 × 2000 × 2000 ran at 62 instead
/// of 80 GFLOP/s). A call per panel or per tile costs nothing next to the work it does.
@inline(never)
private func gemmSerial(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, prepacked: PrepackedPanels? = nil,
    prepackedA: UnsafePointer<Float>? = nil, panelWriter: RightPanelWriter? = nil
) {
    let kcStep = gemmDepthStep(k)
    let prepackedBase = prepacked.map { UnsafePointer<Float>(bitPattern: $0.base)! }
    // With a single row block (W1's M = 32 or 64), each B panel is used by that block only: pack it just before
    // its kernels run, so they read it from L1 instead of from a multi-megabyte block that spilled to L3.
    // A panel writer always writes panel by panel (`b` is not a matrix then).
    let packBPanelByPanel = m <= gemmMC || panelWriter != nil
    let packedASize = roundUp(min(m, gemmMC), gemmMR) * kcStep
    let packedBSize = (packBPanelByPanel ? gemmNR : roundUp(min(n, gemmNC), gemmNR)) * kcStep
    let scratch = gemmScratch(floats: roundUp(packedASize, 16) + packedBSize + gemmMR * gemmNR)
    let packedA = scratch, packedB = scratch + roundUp(packedASize, 16), tile = packedB + packedBSize

    for jc in stride(from: 0, to: n, by: gemmNC) {
        let nc = min(gemmNC, n - jc)
        for pc in stride(from: 0, to: k, by: kcStep) {
            let kc = min(kcStep, k - pc)
            if !packBPanelByPanel && prepacked == nil {
                packB(transB: transB, b: b, ldb: ldb, rows: pc..<(pc + kc), cols: jc..<(jc + nc), into: packedB)
            }
            let blockBeta: Float = pc == 0 ? beta : 1
            for ic in stride(from: 0, to: m, by: gemmMC) {
                let mc = min(gemmMC, m - ic)
                // A prepacked operand has a single row block (M ≤ MC); its block pc starts pc · roundUp(M, MR) in.
                let aBlock = prepackedA.map { $0 + pc * roundUp(m, gemmMR) } ?? UnsafePointer(packedA)
                if prepackedA == nil {
                    packA(transA: transA, a: a, lda: lda, rows: ic..<(ic + mc), depth: pc..<(pc + kc), into: packedA)
                }
                for jr in stride(from: 0, to: nc, by: gemmNR) {
                    let nr = min(gemmNR, nc - jr)
                    var bPanel = UnsafePointer(packedB + jr * kc)
                    if let prepacked, let prepackedBase {
                        bPanel = prepackedBase + pc * prepacked.panelsPerBlock * gemmNR
                            + (prepacked.firstPanel + (jc + jr) / gemmNR) * kc * gemmNR
                    } else if let panelWriter {
                        panelWriter(pc..<(pc + kc), (jc + jr)..<(jc + jr + nr), packedB)
                        bPanel = UnsafePointer(packedB)
                    } else if packBPanelByPanel {
                        packB(transB: transB, b: b, ldb: ldb, rows: pc..<(pc + kc), cols: (jc + jr)..<(jc + jr + nr),
                              into: packedB)
                        bPanel = UnsafePointer(packedB)
                    }
                    for ir in stride(from: 0, to: mc, by: gemmMR) {
                        microKernel(kc: kc, a: aBlock + ir * kc, b: bPanel, rows: min(gemmMR, mc - ir), cols: nr,
                                    alpha: alpha, beta: blockBeta, c: c + (ic + ir) * ldc + jc + jr, ldc: ldc,
                                    tile: tile)
                    }
                }
            }
        }
    }
}

@inline(__always) func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }

// MARK: - Scratch

/// Each thread keeps its packing buffer between calls: allocating it per call costs a malloc (an mmap and fresh
/// page faults above glibc's mmap threshold) on each of the thousands of small products a W1 step makes.
/// At most about 3.3 MB per thread (MC × KC + NC × KC floats); freed when the thread exits.
private let gemmScratchKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

/// Header of a thread's scratch block: its capacity in floats; the floats start 64 bytes in (cache-line aligned).
private let gemmScratchHeader = 64

/// A 64-byte-aligned buffer of at least `floats` floats, owned by the calling thread (valid until its next call).
private func gemmScratch(floats: Int) -> UnsafeMutablePointer<Float> {
    if let block = pthread_getspecific(gemmScratchKey), block.load(as: Int.self) >= floats {
        return (block + gemmScratchHeader).assumingMemoryBound(to: Float.self)
    }
    free(pthread_getspecific(gemmScratchKey))
    var block: UnsafeMutableRawPointer?
    guard posix_memalign(&block, 64, gemmScratchHeader + floats * 4) == 0, let block else {
        fatalError("[gemm] cannot allocate \(floats * 4) bytes of packing buffer")
    }
    block.storeBytes(of: floats, as: Int.self)
    pthread_setspecific(gemmScratchKey, block)
    return (block + gemmScratchHeader).assumingMemoryBound(to: Float.self)
}

// MARK: - Packing

private typealias V = SIMD16<Float>

@inline(__always) private func zipLow(_ a: V, _ b: V) -> V {
    V(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}

@inline(__always) private func zipHigh(_ a: V, _ b: V) -> V {
    V(a[8], b[8], a[9], b[9], a[10], b[10], a[11], b[11], a[12], b[12], a[13], b[13], a[14], b[14], a[15], b[15])
}

/// Transposes an 8 × 16 block (rows `ld` floats apart) in registers: result q holds columns 2q and 2q+1, each
/// as 8 lanes (rows 0..<8). Three rounds of interleaving; LLVM lowers each zip to one vpermt2ps. With `rows` = 6
/// only 6 rows are read (rows 6 and 7 of the result repeat row 5).
@inline(__always)
private func transpose8x16(_ src: UnsafePointer<Float>, ld: Int, rows: Int = 8) -> (V, V, V, V, V, V, V, V) {
    let s = UnsafeRawPointer(src), stride = ld * 4
    var v0 = s.loadUnaligned(as: V.self), v1 = s.loadUnaligned(fromByteOffset: stride, as: V.self)
    var v2 = s.loadUnaligned(fromByteOffset: 2 * stride, as: V.self)
    var v3 = s.loadUnaligned(fromByteOffset: 3 * stride, as: V.self)
    var v4 = s.loadUnaligned(fromByteOffset: 4 * stride, as: V.self)
    var v5 = s.loadUnaligned(fromByteOffset: 5 * stride, as: V.self)
    var v6 = rows == 8 ? s.loadUnaligned(fromByteOffset: 6 * stride, as: V.self) : v5
    var v7 = rows == 8 ? s.loadUnaligned(fromByteOffset: 7 * stride, as: V.self) : v5
    for _ in 0..<3 {
        (v0, v1, v2, v3, v4, v5, v6, v7) = (zipLow(v0, v4), zipHigh(v0, v4), zipLow(v1, v5), zipHigh(v1, v5),
                                            zipLow(v2, v6), zipHigh(v2, v6), zipLow(v3, v7), zipHigh(v3, v7))
    }
    return (v0, v1, v2, v3, v4, v5, v6, v7)
}

#if !ENAS_AVX512
// V8 (SIMD8<Float>) is declared with the AVX2 micro-kernel below.
@inline(__always) private func zipLow(_ a: V8, _ b: V8) -> V8 { V8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]) }
@inline(__always) private func zipHigh(_ a: V8, _ b: V8) -> V8 { V8(a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7]) }

/// Transposes an 8 × 8 block (rows `ld` floats apart) in registers: result r is column r. AVX2 builds pack
/// transposed B panels with it: `transpose8x16`'s eight 16-lane vectors fill all sixteen AVX2 registers and spilled
/// (the transposed packing was 5.8% of a W3 step).
@inline(__always)
private func transpose8x8(_ src: UnsafePointer<Float>, ld: Int) -> (V8, V8, V8, V8, V8, V8, V8, V8) {
    let s = UnsafeRawPointer(src), stride = ld * 4
    return transpose8x8((s.loadUnaligned(as: V8.self), s.loadUnaligned(fromByteOffset: stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 2 * stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 3 * stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 4 * stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 5 * stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 6 * stride, as: V8.self),
                         s.loadUnaligned(fromByteOffset: 7 * stride, as: V8.self)))
}

/// Stores 8 vectors as the rows of an 8-column block, rows `stride` floats apart.
@inline(__always)
func storeRows(_ rows: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                        SIMD8<Float>, SIMD8<Float>), to dst: UnsafeMutablePointer<Float>, stride: Int) {
    let out = UnsafeMutableRawPointer(dst), step = stride * 4
    out.storeBytes(of: rows.0, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.1, toByteOffset: step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.2, toByteOffset: 2 * step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.3, toByteOffset: 3 * step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.4, toByteOffset: 4 * step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.5, toByteOffset: 5 * step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.6, toByteOffset: 6 * step, as: SIMD8<Float>.self)
    out.storeBytes(of: rows.7, toByteOffset: 7 * step, as: SIMD8<Float>.self)
}

/// The 8 × 8 block whose rows are `rows`, transposed: result r is column r.
@inline(__always)
func transpose8x8(_ rows: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                           SIMD8<Float>, SIMD8<Float>))
    -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    var (v0, v1, v2, v3, v4, v5, v6, v7) = rows
    for _ in 0..<3 {
        (v0, v1, v2, v3, v4, v5, v6, v7) = (zipLow(v0, v4), zipHigh(v0, v4), zipLow(v1, v5), zipHigh(v1, v5),
                                            zipLow(v2, v6), zipHigh(v2, v6), zipLow(v3, v7), zipHigh(v3, v7))
    }
    return (v0, v1, v2, v3, v4, v5, v6, v7)
}
#endif

/// Packs op(A)[rows, depth] into MR-tall panels: panel p holds depth × MR floats, zero-padded past the last row.
@inline(never)
private func packA(transA: Bool, a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, depth: Range<Int>,
                   into packed: UnsafeMutablePointer<Float>) {
    let kc = depth.count
    for panelStart in stride(from: 0, to: rows.count, by: gemmMR) {
        let mr = min(gemmMR, rows.count - panelStart)
        let dst = packed + panelStart * kc
        let firstRow = rows.lowerBound + panelStart
        if transA {
            // op(A)(i, p) = a[p * lda + i]: each depth step is MR contiguous floats.
            if mr == 8 && gemmMR == 8 {
                for p in 0..<kc {
                    let src = UnsafeRawPointer(a + (depth.lowerBound + p) * lda + firstRow)
                    UnsafeMutableRawPointer(dst + p * gemmMR).storeBytes(of: src.loadUnaligned(as: SIMD8<Float>.self),
                                                                         as: SIMD8<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let src = a + (depth.lowerBound + p) * lda + firstRow
                    let out = dst + p * gemmMR
                    for r in 0..<mr { out[r] = src[r] }
                    for r in mr..<gemmMR { out[r] = 0 }
                }
            }
        } else {
            // Rows are contiguous in depth: transpose 8 × 16 blocks in registers; the 8 results are exactly the
            // next 16 depth steps of the panel.
            var p = 0
            if mr == 8 && gemmMR == 8 {
                let src = a + firstRow * lda + depth.lowerBound
                while p + 16 <= kc {
                    let t = transpose8x16(src + p, ld: lda)
                    let out = UnsafeMutableRawPointer(dst + p * gemmMR)
                    out.storeBytes(of: t.0, toByteOffset: 0, as: V.self); out.storeBytes(of: t.1, toByteOffset: 64, as: V.self)
                    out.storeBytes(of: t.2, toByteOffset: 128, as: V.self); out.storeBytes(of: t.3, toByteOffset: 192, as: V.self)
                    out.storeBytes(of: t.4, toByteOffset: 256, as: V.self); out.storeBytes(of: t.5, toByteOffset: 320, as: V.self)
                    out.storeBytes(of: t.6, toByteOffset: 384, as: V.self); out.storeBytes(of: t.7, toByteOffset: 448, as: V.self)
                    p += 16
                }
            } else if mr == 6 && gemmMR == 6 {
                // The same transpose with rows 6 and 7 left over: each depth step's 8 lanes are stored whole, in
                // increasing address order, so the 2 extra lanes land on the next step's first 2 slots and are
                // overwritten by it. The last block stays short of kc so the scalar tail rewrites its overhang.
                let src = a + firstRow * lda + depth.lowerBound
                while p + 16 < kc {
                    let t = transpose8x16(src + p, ld: lda, rows: 6)
                    let out = UnsafeMutableRawPointer(dst + p * gemmMR)
                    func store(_ v: V, _ q: Int) {
                        out.storeBytes(of: v.lowHalf, toByteOffset: 2 * q * gemmMR * 4, as: SIMD8<Float>.self)
                        out.storeBytes(of: v.highHalf, toByteOffset: (2 * q + 1) * gemmMR * 4, as: SIMD8<Float>.self)
                    }
                    store(t.0, 0); store(t.1, 1); store(t.2, 2); store(t.3, 3)
                    store(t.4, 4); store(t.5, 5); store(t.6, 6); store(t.7, 7)
                    p += 16
                }
            }
            for r in 0..<gemmMR {
                if r < mr {
                    let src = a + (firstRow + r) * lda + depth.lowerBound
                    for q in p..<kc { dst[q * gemmMR + r] = src[q] }
                } else {
                    for q in p..<kc { dst[q * gemmMR + r] = 0 }
                }
            }
        }
    }
}

/// Packs op(B)[rows, cols] into NR-wide panels: panel q holds depth × NR floats, zero-padded past the last column.
/// Internal for panel writers that gather a small B first (`writeTransposedIm2colPanel`).
@inline(never)
func packB(transB: Bool, b: UnsafePointer<Float>, ldb: Int, rows: Range<Int>, cols: Range<Int>,
                   into packed: UnsafeMutablePointer<Float>) {
    let kc = rows.count
    for panelStart in stride(from: 0, to: cols.count, by: gemmNR) {
        let nr = min(gemmNR, cols.count - panelStart)
        let dst = packed + panelStart * kc
        let firstCol = cols.lowerBound + panelStart
        if transB {
            // op(B)(p, j) = b[j * ldb + p]: columns are contiguous in depth. Transpose 8 columns × 8 depth steps
            // in registers on AVX2; with AVX-512, 8 columns × 16 depth steps, result q filling 8 lanes of depth
            // steps 2q and 2q + 1.
            var p = 0
            #if !ENAS_AVX512
            if nr == gemmNR {
                while p + 8 <= kc {
                    for octet in stride(from: 0, to: gemmNR, by: 8) {
                        storeRows(transpose8x8(b + (firstCol + octet) * ldb + rows.lowerBound + p, ld: ldb),
                                  to: dst + p * gemmNR + octet, stride: gemmNR)
                    }
                    p += 8
                }
            }
            #else
            if nr == gemmNR {
                while p + 16 <= kc {
                    for octet in stride(from: 0, to: gemmNR, by: 8) {
                        let t = transpose8x16(b + (firstCol + octet) * ldb + rows.lowerBound + p, ld: ldb)
                        let out = UnsafeMutableRawPointer(dst + p * gemmNR + octet)
                        func store(_ v: V, _ q: Int) {
                            out.storeBytes(of: v.lowHalf, toByteOffset: 2 * q * gemmNR * 4, as: SIMD8<Float>.self)
                            out.storeBytes(of: v.highHalf, toByteOffset: (2 * q + 1) * gemmNR * 4, as: SIMD8<Float>.self)
                        }
                        store(t.0, 0); store(t.1, 1); store(t.2, 2); store(t.3, 3)
                        store(t.4, 4); store(t.5, 5); store(t.6, 6); store(t.7, 7)
                    }
                    p += 16
                }
            }
            #endif
            for j in 0..<gemmNR {
                if j < nr {
                    let src = b + (firstCol + j) * ldb + rows.lowerBound
                    for q in p..<kc { dst[q * gemmNR + j] = src[q] }
                } else {
                    for q in p..<kc { dst[q * gemmNR + j] = 0 }
                }
            }
        } else if nr == gemmNR {
            for p in 0..<kc {
                let src = UnsafeRawPointer(b + (rows.lowerBound + p) * ldb + firstCol)
                let out = UnsafeMutableRawPointer(dst + p * gemmNR)
                for offset in stride(from: 0, to: gemmNR * 4, by: 64) {
                    out.storeBytes(of: src.loadUnaligned(fromByteOffset: offset, as: V.self), toByteOffset: offset, as: V.self)
                }
            }
        } else {
            for p in 0..<kc {
                let src = b + (rows.lowerBound + p) * ldb + firstCol
                let out = dst + p * gemmNR
                for j in 0..<nr { out[j] = src[j] }
                for j in nr..<gemmNR { out[j] = 0 }
            }
        }
    }
}

// MARK: - Micro-kernel

/// One MR × NR tile: C[0..<rows, 0..<cols] = alpha · (packed A panel · packed B panel) + beta · C.
@inline(__always)
private func microKernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, rows: Int, cols: Int,
                         alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                         tile: UnsafeMutablePointer<Float>) {
#if ENAS_AVX512
    microKernel8x32(kc: kc, a: a, b: b, rows: rows, cols: cols, alpha: alpha, beta: beta, c: c, ldc: ldc, tile: tile)
#else
    microKernel6x16(kc: kc, a: a, b: b, rows: rows, cols: cols, alpha: alpha, beta: beta, c: c, ldc: ldc, tile: tile)
#endif
}

#if ENAS_AVX512
/// C[0..<rows, 0..<cols] = alpha · Σ_p a[p, 0..<8]ᵀ · b[p, 0..<32] + beta · C over kc packed depth steps
/// (beta == 0 never reads C). A full tile goes from registers straight to C; an edge tile goes through `tile`.
@inline(never)
private func microKernel8x32(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, rows: Int, cols: Int,
                             alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                             tile: UnsafeMutablePointer<Float>) {
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
    var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.load(as: V.self), b1 = pb.load(fromByteOffset: 64, as: V.self)
        var s = V(repeating: pa[0]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
        s = V(repeating: pa[1]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
        s = V(repeating: pa[2]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
        s = V(repeating: pa[3]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
        s = V(repeating: pa[4]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
        s = V(repeating: pa[5]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
        s = V(repeating: pa[6]); c60 = c60.addingProduct(s, b0); c61 = c61.addingProduct(s, b1)
        s = V(repeating: pa[7]); c70 = c70.addingProduct(s, b0); c71 = c71.addingProduct(s, b1)
        pa += gemmMR
        pb += gemmNR * 4
    }
    if rows == gemmMR && cols == gemmNR {
        updateRow(c, c00, c01, alpha: alpha, beta: beta); updateRow(c + ldc, c10, c11, alpha: alpha, beta: beta)
        updateRow(c + 2 * ldc, c20, c21, alpha: alpha, beta: beta); updateRow(c + 3 * ldc, c30, c31, alpha: alpha, beta: beta)
        updateRow(c + 4 * ldc, c40, c41, alpha: alpha, beta: beta); updateRow(c + 5 * ldc, c50, c51, alpha: alpha, beta: beta)
        updateRow(c + 6 * ldc, c60, c61, alpha: alpha, beta: beta); updateRow(c + 7 * ldc, c70, c71, alpha: alpha, beta: beta)
        return
    }
    let t = UnsafeMutableRawPointer(tile)
    t.storeBytes(of: c00, toByteOffset: 0, as: V.self); t.storeBytes(of: c01, toByteOffset: 64, as: V.self)
    t.storeBytes(of: c10, toByteOffset: 128, as: V.self); t.storeBytes(of: c11, toByteOffset: 192, as: V.self)
    t.storeBytes(of: c20, toByteOffset: 256, as: V.self); t.storeBytes(of: c21, toByteOffset: 320, as: V.self)
    t.storeBytes(of: c30, toByteOffset: 384, as: V.self); t.storeBytes(of: c31, toByteOffset: 448, as: V.self)
    t.storeBytes(of: c40, toByteOffset: 512, as: V.self); t.storeBytes(of: c41, toByteOffset: 576, as: V.self)
    t.storeBytes(of: c50, toByteOffset: 640, as: V.self); t.storeBytes(of: c51, toByteOffset: 704, as: V.self)
    t.storeBytes(of: c60, toByteOffset: 768, as: V.self); t.storeBytes(of: c61, toByteOffset: 832, as: V.self)
    t.storeBytes(of: c70, toByteOffset: 896, as: V.self); t.storeBytes(of: c71, toByteOffset: 960, as: V.self)
    updateEdge(tile: tile, rows: rows, cols: cols, alpha: alpha, beta: beta, c: c, ldc: ldc)
}
#else
private typealias V8 = SIMD8<Float>

/// C[0..<rows, 0..<cols] = alpha · Σ_p a[p, 0..<6]ᵀ · b[p, 0..<16] + beta · C over kc packed depth steps: 12 SIMD8
/// accumulators, 2 loads of B and 6 broadcasts of A per 12 multiply-adds (AVX2's 16 registers hold them all).
@inline(never)
private func microKernel6x16(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, rows: Int, cols: Int,
                             alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                             tile: UnsafeMutablePointer<Float>) {
    var c00 = V8(), c01 = V8(), c10 = V8(), c11 = V8(), c20 = V8(), c21 = V8()
    var c30 = V8(), c31 = V8(), c40 = V8(), c41 = V8(), c50 = V8(), c51 = V8()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let b0 = pb.loadUnaligned(as: V8.self), b1 = pb.loadUnaligned(fromByteOffset: 32, as: V8.self)
        var s = V8(repeating: pa[0]); c00 = c00.addingProduct(s, b0); c01 = c01.addingProduct(s, b1)
        s = V8(repeating: pa[1]); c10 = c10.addingProduct(s, b0); c11 = c11.addingProduct(s, b1)
        s = V8(repeating: pa[2]); c20 = c20.addingProduct(s, b0); c21 = c21.addingProduct(s, b1)
        s = V8(repeating: pa[3]); c30 = c30.addingProduct(s, b0); c31 = c31.addingProduct(s, b1)
        s = V8(repeating: pa[4]); c40 = c40.addingProduct(s, b0); c41 = c41.addingProduct(s, b1)
        s = V8(repeating: pa[5]); c50 = c50.addingProduct(s, b0); c51 = c51.addingProduct(s, b1)
        pa += gemmMR
        pb += gemmNR * 4
    }
    let r0 = V(lowHalf: c00, highHalf: c01), r1 = V(lowHalf: c10, highHalf: c11), r2 = V(lowHalf: c20, highHalf: c21)
    let r3 = V(lowHalf: c30, highHalf: c31), r4 = V(lowHalf: c40, highHalf: c41), r5 = V(lowHalf: c50, highHalf: c51)
    if rows == gemmMR && cols == gemmNR {
        updateRow16(c, r0, alpha: alpha, beta: beta); updateRow16(c + ldc, r1, alpha: alpha, beta: beta)
        updateRow16(c + 2 * ldc, r2, alpha: alpha, beta: beta); updateRow16(c + 3 * ldc, r3, alpha: alpha, beta: beta)
        updateRow16(c + 4 * ldc, r4, alpha: alpha, beta: beta); updateRow16(c + 5 * ldc, r5, alpha: alpha, beta: beta)
        return
    }
    let t = UnsafeMutableRawPointer(tile)
    t.storeBytes(of: r0, toByteOffset: 0, as: V.self); t.storeBytes(of: r1, toByteOffset: 64, as: V.self)
    t.storeBytes(of: r2, toByteOffset: 128, as: V.self); t.storeBytes(of: r3, toByteOffset: 192, as: V.self)
    t.storeBytes(of: r4, toByteOffset: 256, as: V.self); t.storeBytes(of: r5, toByteOffset: 320, as: V.self)
    updateEdge(tile: tile, rows: rows, cols: cols, alpha: alpha, beta: beta, c: c, ldc: ldc)
}
#endif

/// An edge tile's C[0..<rows, 0..<cols] = alpha · tile + beta · C, with the same fused arithmetic as `updateRow16`
/// (so an element's bits do not depend on whether it fell in a full tile).
@inline(__always)
private func updateEdge(tile: UnsafeMutablePointer<Float>, rows: Int, cols: Int, alpha: Float, beta: Float,
                        c: UnsafeMutablePointer<Float>, ldc: Int) {
    for r in 0..<rows {
        for j in 0..<cols {
            let value = alpha == 1 ? tile[r * gemmNR + j] : alpha * tile[r * gemmNR + j]
            c[r * ldc + j] = beta == 0 ? value : value.addingProduct(beta, c[r * ldc + j])
        }
    }
}

/// row[0..<32] = alpha · (lo, hi) + beta · row (beta == 0 never reads row).
@inline(__always)
private func updateRow(_ row: UnsafeMutablePointer<Float>, _ lo: V, _ hi: V, alpha: Float, beta: Float) {
    updateRow16(row, lo, alpha: alpha, beta: beta)
    updateRow16(row + 16, hi, alpha: alpha, beta: beta)
}

/// row[0..<16] = alpha · v + beta · row (beta == 0 never reads row).
@inline(__always)
private func updateRow16(_ row: UnsafeMutablePointer<Float>, _ v: V, alpha: Float, beta: Float) {
    let r = UnsafeMutableRawPointer(row)
    var v = v
    if alpha != 1 { v *= alpha }
    if beta != 0 { v = v.addingProduct(V(repeating: beta), r.loadUnaligned(as: V.self)) }
    r.storeBytes(of: v, as: V.self)
}
// MARK: - Few rows

/// Products with fewer than MR rows (the controller's batch-1 steps), where padding to an 8-row tile would waste
/// most of the arithmetic and packing B would cost as much as the product: B is read in place.
@inline(never)
private func gemmFewRows(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    // op(A)(i, p) = rows[i * rowStride + p * depthStride]. The dot-product kernel (op(B) transposed) loads
    // vectors along the depth, so a transposed A is first gathered into contiguous rows there.
    var rows = a, rowStride = transA ? 1 : lda, depthStride = transA ? lda : 1
    var gathered: UnsafeMutablePointer<Float>? = nil
    defer { gathered?.deallocate() }
    if transA && transB {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        for p in 0..<k { for i in 0..<m { buffer[i * k + p] = a[p * lda + i] } }
        gathered = buffer
        (rows, rowStride, depthStride) = (UnsafePointer(buffer), k, 1)
    }
    // Columns split over threads: each output element's arithmetic is the same whoever computes it.
    let rBits = UInt(bitPattern: rows), bBits = UInt(bitPattern: b), cBits = UInt(bitPattern: c)
    let minimumPerThread = max(64, (gemmMinimumWorkPerThread + m * k - 1) / (m * k))
    Parallel.forRanges(count: n, granule: 64, minimumPerThread: minimumPerThread) { columns in
        let rows = UnsafePointer<Float>(bitPattern: rBits)!, c = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        let b = UnsafePointer<Float>(bitPattern: bBits)! + (transB ? columns.lowerBound * ldb : columns.lowerBound)
        // Strips of 64 columns outside, rows inside: the strip of B stays in cache for every row.
        for strip in stride(from: 0, to: columns.count, by: 64) {
            let width = min(64, columns.count - strip)
            let bStrip = transB ? b + strip * ldb : b + strip
            for i in 0..<m {
                let x = rows + i * rowStride, out = c + i * ldc + columns.lowerBound + strip
                if transB {
                    fewRowsDots(k: k, n: width, x: x, b: bStrip, ldb: ldb, alpha: alpha, beta: beta, out: out)
                } else {
                    fewRowsAxpys(k: k, n: width, x: x, xStride: depthStride, b: bStrip, ldb: ldb, alpha: alpha,
                                 beta: beta, out: out)
                }
            }
        }
    }
}

// MARK: - Narrow products

/// Largest M and K of the narrow path (a 128-deep strip of 64 columns of B is 32 KiB: it stays in L1 while every
/// row block reads it).
let gemmNarrowLimit = 128

/// C = alpha · op(A) · B + beta · C for M, K ≤ 128 and N ≥ 64, B read in place: 64-column strips of B outside,
/// blocks of 4 rows inside, each a 4 × 64 register tile (16 SIMD16 accumulators: 4 loads of B and 4 broadcasts of A
/// feed 16 multiply-adds per depth step). Rows past a multiple of 4 and columns past a multiple of 64 take the
/// few-rows kernel. Columns split over threads; each element's sum runs over p in order whoever computes it.
@inline(never)
private func gemmNarrow(
    transA: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    // op(A)(i, p) = a[i * rowStride + p * depthStride].
    let rowStride = transA ? 1 : lda, depthStride = transA ? lda : 1
    let aBits = UInt(bitPattern: a), bBits = UInt(bitPattern: b), cBits = UInt(bitPattern: c)
    let minimumPerThread = max(64, (gemmMinimumWorkPerThread + m * k - 1) / (m * k))
    Parallel.forRanges(count: n, granule: 64, minimumPerThread: minimumPerThread) { columns in
        let a = UnsafePointer<Float>(bitPattern: aBits)!, c = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        let b = UnsafePointer<Float>(bitPattern: bBits)! + columns.lowerBound
        let fullRows = m / 4 * 4
        var strip = 0
        while strip < columns.count {
            let width = min(64, columns.count - strip)
            let bStrip = b + strip, cStrip = c + columns.lowerBound + strip
            var i = 0
            if width == 64 {
                while i < fullRows {
                    narrowTile(k: k, a: a + i * rowStride, rowStride: rowStride, depthStride: depthStride, b: bStrip, ldb: ldb,
                               alpha: alpha, beta: beta, c: cStrip + i * ldc, ldc: ldc)
                    i += 4
                }
            }
            while i < m {
                fewRowsAxpys(k: k, n: width, x: a + i * rowStride, xStride: depthStride, b: bStrip, ldb: ldb, alpha: alpha,
                             beta: beta, out: cStrip + i * ldc)
                i += 1
            }
            strip += 64
        }
    }
}

#if ENAS_AVX512
/// C[0..<4, 0..<64] = alpha · op(A)[0..<4, :] · B[:, 0..<64] + beta · C, accumulated in 16 registers over k.
@inline(__always)
private func narrowTile(k: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, b: UnsafePointer<Float>, ldb: Int,
                        alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    var c00 = V(), c01 = V(), c02 = V(), c03 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V()
    var c20 = V(), c21 = V(), c22 = V(), c23 = V(), c30 = V(), c31 = V(), c32 = V(), c33 = V()
    var row = UnsafeRawPointer(b)
    var x = a
    for _ in 0..<k {
        let b0 = row.loadUnaligned(as: V.self), b1 = row.loadUnaligned(fromByteOffset: 64, as: V.self)
        let b2 = row.loadUnaligned(fromByteOffset: 128, as: V.self), b3 = row.loadUnaligned(fromByteOffset: 192, as: V.self)
        let a0 = V(repeating: x[0]), a1 = V(repeating: x[rowStride])
        let a2 = V(repeating: x[2 * rowStride]), a3 = V(repeating: x[3 * rowStride])
        c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1); c02 = c02.addingProduct(a0, b2); c03 = c03.addingProduct(a0, b3)
        c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1); c12 = c12.addingProduct(a1, b2); c13 = c13.addingProduct(a1, b3)
        c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1); c22 = c22.addingProduct(a2, b2); c23 = c23.addingProduct(a2, b3)
        c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1); c32 = c32.addingProduct(a3, b2); c33 = c33.addingProduct(a3, b3)
        row += ldb * 4
        x += depthStride
    }
    updateRow(c, c00, c01, alpha: alpha, beta: beta); updateRow(c + 32, c02, c03, alpha: alpha, beta: beta)
    updateRow(c + ldc, c10, c11, alpha: alpha, beta: beta); updateRow(c + ldc + 32, c12, c13, alpha: alpha, beta: beta)
    updateRow(c + 2 * ldc, c20, c21, alpha: alpha, beta: beta); updateRow(c + 2 * ldc + 32, c22, c23, alpha: alpha, beta: beta)
    updateRow(c + 3 * ldc, c30, c31, alpha: alpha, beta: beta); updateRow(c + 3 * ldc + 32, c32, c33, alpha: alpha, beta: beta)
}
#else
/// C[0..<4, 0..<64] = alpha · op(A)[0..<4, :] · B[:, 0..<64] + beta · C as four 4 × 16 tiles: AVX2's 16 registers
/// hold 4 SIMD16 accumulators (8 registers) and a row of B, where the 4 × 64 tile's 16 spilled. Same sums, same bits.
@inline(__always)
private func narrowTile(k: Int, a: UnsafePointer<Float>, rowStride: Int, depthStride: Int, b: UnsafePointer<Float>, ldb: Int,
                        alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for quarter in stride(from: 0, to: 64, by: 16) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V()
        var row = UnsafeRawPointer(b + quarter)
        var x = a
        for _ in 0..<k {
            let bv = row.loadUnaligned(as: V.self)
            c0 = c0.addingProduct(V(repeating: x[0]), bv); c1 = c1.addingProduct(V(repeating: x[rowStride]), bv)
            c2 = c2.addingProduct(V(repeating: x[2 * rowStride]), bv); c3 = c3.addingProduct(V(repeating: x[3 * rowStride]), bv)
            row += ldb * 4
            x += depthStride
        }
        updateRow16(c + quarter, c0, alpha: alpha, beta: beta); updateRow16(c + ldc + quarter, c1, alpha: alpha, beta: beta)
        updateRow16(c + 2 * ldc + quarter, c2, alpha: alpha, beta: beta)
        updateRow16(c + 3 * ldc + quarter, c3, alpha: alpha, beta: beta)
    }
}
#endif

/// C += Σ_{s < samples} A_s · B_sᵀ with A_s (M, K) = a + s · aSampleStride (rows lda apart) and B_s (N, K) likewise:
/// a 1×1 convolution's weight gradient over a group of samples. On the narrow dot path (M, N ≤ 128, K ≥ 64) each
/// dot product's SIMD16 sum runs over the whole group before its one lane sum (at 8 × 8 planes a dot is four
/// vectors, and a lane sum and store per sample cost as much as the products); elsewhere one product per sample.
public func gemmSummedOverSamples(m: Int, n: Int, k: Int, samples: Int, a: UnsafePointer<Float>, lda: Int, aSampleStride: Int,
                                  b: UnsafePointer<Float>, ldb: Int, bSampleStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0, k > 0, samples > 0 else { return }
    if GEMMPath(transA: false, transB: true, m: m, n: n, k: k) == .narrowDots {
        gemmNarrowDots(m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: c, ldc: ldc,
                       samples: samples, aSampleStride: aSampleStride, bSampleStride: bSampleStride)
        return
    }
    for s in 0..<samples {
        gemm(transA: false, transB: true, m: m, n: n, k: k, a: a + s * aSampleStride, lda: lda, b: b + s * bSampleStride,
             ldb: ldb, beta: 1, c: c, ldc: ldc)
    }
}

/// How many samples' (M, K) and (N, K) blocks `gemmSummedOverSamples` should take at once: as many as fit in
/// 192 KiB (the rows are re-read once per block of columns, from L2), at least one.
func samplesPerDotGroup(m: Int, n: Int, k: Int) -> Int {
    max(1, (192 << 10) / max(1, (m + n) * k * 4))
}

/// C = alpha · A · Bᵀ + beta · C for M, N ≤ 128 and K ≥ 64 (a 1×1 convolution's weight gradient, dy (O, P) · x (C, P)ᵀ):
/// every element a dot product of two contiguous rows, in 4 × 4 blocks of 16 SIMD16 accumulators (8 loads feed 16
/// multiply-adds), lane sums and the depth tail added in a fixed order. Rows split over threads in blocks of 4;
/// each element's arithmetic is the same whoever computes it.
/// With `samples` > 1, C = alpha · Σ_s A_s · B_sᵀ + beta · C over sample blocks A_s = a + s · aSampleStride (and B_s
/// likewise): each SIMD16 sum runs over every sample's rows before its lane sum (`gemmSummedOverSamples`).
@inline(never)
private func gemmNarrowDots(
    m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, samples: Int = 1, aSampleStride: Int = 0, bSampleStride: Int = 0
) {
    let aBits = UInt(bitPattern: a), bBits = UInt(bitPattern: b), cBits = UInt(bitPattern: c)
    let minimumPerThread = max(4, (gemmMinimumWorkPerThread + n * k * samples - 1) / (n * k * samples))
    // Byte steps from one sample's rows to the next's.
    let aSampleBytes = aSampleStride * 4, bSampleBytes = bSampleStride * 4
    Parallel.forRanges(count: m, granule: 4, minimumPerThread: minimumPerThread) { rows in
        let a = UnsafePointer<Float>(bitPattern: aBits)!, b = UnsafePointer<Float>(bitPattern: bBits)!
        let c = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        @inline(__always) func store(_ i: Int, _ j: Int, _ acc: V) {
            var total = horizontalSum(acc)
            for s in 0..<samples {
                let aRow = a + s * aSampleStride + i * lda, bRow = b + s * bSampleStride + j * ldb
                var p = k / 16 * 16
                while p < k { total = total.addingProduct(aRow[p], bRow[p]); p += 1 }
            }
            let out = c + i * ldc + j
            out.pointee = beta == 0 ? alpha * total : alpha * total + beta * out.pointee
        }
        let depth = k / 16 * 16
        var i = rows.lowerBound
        while i < rows.upperBound {
            let rowCount = min(4, rows.upperBound - i)
            var j = 0
            if rowCount == 4 {
                while j + 4 <= n {
#if ENAS_AVX512
                    var acc = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V())
                    let sa = lda * 4, sb = ldb * 4
                    for s in 0..<samples {
                        let ra = UnsafeRawPointer(a + i * lda) + s * aSampleBytes, rb = UnsafeRawPointer(b + j * ldb) + s * bSampleBytes
                        var offset = 0
                        while offset < depth * 4 {
                            let a0 = ra.loadUnaligned(fromByteOffset: offset, as: V.self)
                            let a1 = ra.loadUnaligned(fromByteOffset: offset + sa, as: V.self)
                            let a2 = ra.loadUnaligned(fromByteOffset: offset + 2 * sa, as: V.self)
                            let a3 = ra.loadUnaligned(fromByteOffset: offset + 3 * sa, as: V.self)
                            let b0 = rb.loadUnaligned(fromByteOffset: offset, as: V.self)
                            let b1 = rb.loadUnaligned(fromByteOffset: offset + sb, as: V.self)
                            let b2 = rb.loadUnaligned(fromByteOffset: offset + 2 * sb, as: V.self)
                            let b3 = rb.loadUnaligned(fromByteOffset: offset + 3 * sb, as: V.self)
                            acc.0 = acc.0.addingProduct(a0, b0); acc.1 = acc.1.addingProduct(a0, b1)
                            acc.2 = acc.2.addingProduct(a0, b2); acc.3 = acc.3.addingProduct(a0, b3)
                            acc.4 = acc.4.addingProduct(a1, b0); acc.5 = acc.5.addingProduct(a1, b1)
                            acc.6 = acc.6.addingProduct(a1, b2); acc.7 = acc.7.addingProduct(a1, b3)
                            acc.8 = acc.8.addingProduct(a2, b0); acc.9 = acc.9.addingProduct(a2, b1)
                            acc.10 = acc.10.addingProduct(a2, b2); acc.11 = acc.11.addingProduct(a2, b3)
                            acc.12 = acc.12.addingProduct(a3, b0); acc.13 = acc.13.addingProduct(a3, b1)
                            acc.14 = acc.14.addingProduct(a3, b2); acc.15 = acc.15.addingProduct(a3, b3)
                            offset += 64
                        }
                    }
                    store(i, j, acc.0); store(i, j + 1, acc.1); store(i, j + 2, acc.2); store(i, j + 3, acc.3)
                    store(i + 1, j, acc.4); store(i + 1, j + 1, acc.5); store(i + 1, j + 2, acc.6); store(i + 1, j + 3, acc.7)
                    store(i + 2, j, acc.8); store(i + 2, j + 1, acc.9); store(i + 2, j + 2, acc.10); store(i + 2, j + 3, acc.11)
                    store(i + 3, j, acc.12); store(i + 3, j + 1, acc.13); store(i + 3, j + 2, acc.14); store(i + 3, j + 3, acc.15)
#else
                    // AVX2's 16 registers hold a 2 × 2 block of accumulators and its 4 loads, not 4 × 4: the same
                    // 16-lane sums in four passes over the rows (which stay in L1), same bits.
                    for di in stride(from: 0, to: 4, by: 2) {
                        for dj in stride(from: 0, to: 4, by: 2) {
                            var s00 = V(), s01 = V(), s10 = V(), s11 = V()
                            let sa = lda * 4, sb = ldb * 4
                            for s in 0..<samples {
                                let ra = UnsafeRawPointer(a + (i + di) * lda) + s * aSampleBytes
                                let rb = UnsafeRawPointer(b + (j + dj) * ldb) + s * bSampleBytes
                                var offset = 0
                                while offset < depth * 4 {
                                    let a0 = ra.loadUnaligned(fromByteOffset: offset, as: V.self)
                                    let a1 = ra.loadUnaligned(fromByteOffset: offset + sa, as: V.self)
                                    let b0 = rb.loadUnaligned(fromByteOffset: offset, as: V.self)
                                    let b1 = rb.loadUnaligned(fromByteOffset: offset + sb, as: V.self)
                                    s00 = s00.addingProduct(a0, b0); s01 = s01.addingProduct(a0, b1)
                                    s10 = s10.addingProduct(a1, b0); s11 = s11.addingProduct(a1, b1)
                                    offset += 64
                                }
                            }
                            store(i + di, j + dj, s00); store(i + di, j + dj + 1, s01)
                            store(i + di + 1, j + dj, s10); store(i + di + 1, j + dj + 1, s11)
                        }
                    }
#endif
                    j += 4
                }
            }
            // Rows past a block of 4, and columns past a multiple of 4: one dot product at a time, same lane layout.
            for r in i..<(i + rowCount) {
                for col in (rowCount == 4 ? j : 0)..<n {
                    var acc = V()
                    for s in 0..<samples {
                        let ra = UnsafeRawPointer(a + r * lda) + s * aSampleBytes
                        let rb = UnsafeRawPointer(b + col * ldb) + s * bSampleBytes
                        var offset = 0
                        while offset < depth * 4 {
                            acc = acc.addingProduct(ra.loadUnaligned(fromByteOffset: offset, as: V.self),
                                                    rb.loadUnaligned(fromByteOffset: offset, as: V.self))
                            offset += 64
                        }
                    }
                    store(r, col, acc)
                }
            }
            i += 4
        }
    }
}

/// out[j] = alpha · Σ_p x[p · xStride] · b[p, j] + beta · out[j]: 64-column strips of B rows, accumulated in
/// registers.
@inline(__always)
private func fewRowsAxpys(k: Int, n: Int, x: UnsafePointer<Float>, xStride: Int, b: UnsafePointer<Float>, ldb: Int,
                          alpha: Float, beta: Float, out: UnsafeMutablePointer<Float>) {
    var j = 0
    while j + 64 <= n {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var row = UnsafeRawPointer(b + j)
        for p in 0..<k {
            let xp = V(repeating: x[p * xStride])
            s0 = s0.addingProduct(xp, row.loadUnaligned(as: V.self))
            s1 = s1.addingProduct(xp, row.loadUnaligned(fromByteOffset: 64, as: V.self))
            s2 = s2.addingProduct(xp, row.loadUnaligned(fromByteOffset: 128, as: V.self))
            s3 = s3.addingProduct(xp, row.loadUnaligned(fromByteOffset: 192, as: V.self))
            row += ldb * 4
        }
        updateRow(out + j, s0, s1, alpha: alpha, beta: beta)
        updateRow(out + j + 32, s2, s3, alpha: alpha, beta: beta)
        j += 64
    }
    while j + 16 <= n {
        var s0 = V()
        var row = UnsafeRawPointer(b + j)
        for p in 0..<k {
            s0 = s0.addingProduct(V(repeating: x[p * xStride]), row.loadUnaligned(as: V.self))
            row += ldb * 4
        }
        if alpha != 1 { s0 *= alpha }
        let o = UnsafeMutableRawPointer(out + j)
        if beta != 0 { s0 = s0.addingProduct(V(repeating: beta), o.loadUnaligned(as: V.self)) }
        o.storeBytes(of: s0, as: V.self)
        j += 16
    }
    while j < n {
        var sum: Float = 0
        for p in 0..<k { sum = sum.addingProduct(x[p * xStride], b[p * ldb + j]) }
        out[j] = beta == 0 ? alpha * sum : alpha * sum + beta * out[j]
        j += 1
    }
}

/// out[j] = alpha · x · b[j, :] + beta · out[j]: dot products with four rows of B at a time.
@inline(__always)
private func fewRowsDots(k: Int, n: Int, x: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
                         alpha: Float, beta: Float, out: UnsafeMutablePointer<Float>) {
    let xs = UnsafeRawPointer(x)
    var j = 0
    while j < n {
        let count = min(4, n - j)
        // Rows past the end repeat the last one; their sums are discarded.
        let r0 = UnsafeRawPointer(b + j * ldb), r1 = UnsafeRawPointer(b + min(j + 1, n - 1) * ldb)
        let r2 = UnsafeRawPointer(b + min(j + 2, n - 1) * ldb), r3 = UnsafeRawPointer(b + min(j + 3, n - 1) * ldb)
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var p = 0
        while p + 16 <= k {
            let xv = xs.loadUnaligned(fromByteOffset: p * 4, as: V.self)
            s0 = s0.addingProduct(xv, r0.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            s1 = s1.addingProduct(xv, r1.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            s2 = s2.addingProduct(xv, r2.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            s3 = s3.addingProduct(xv, r3.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            p += 16
        }
        var sums = (horizontalSum(s0), horizontalSum(s1), horizontalSum(s2), horizontalSum(s3))
        while p < k {
            let xp = x[p]
            sums.0 = sums.0.addingProduct(xp, r0.load(fromByteOffset: p * 4, as: Float.self))
            sums.1 = sums.1.addingProduct(xp, r1.load(fromByteOffset: p * 4, as: Float.self))
            sums.2 = sums.2.addingProduct(xp, r2.load(fromByteOffset: p * 4, as: Float.self))
            sums.3 = sums.3.addingProduct(xp, r3.load(fromByteOffset: p * 4, as: Float.self))
            p += 1
        }
        for q in 0..<count {
            let value = alpha * (q == 0 ? sums.0 : q == 1 ? sums.1 : q == 2 ? sums.2 : sums.3)
            out[j + q] = beta == 0 ? value : value + beta * out[j + q]
        }
        j += 4
    }
}
