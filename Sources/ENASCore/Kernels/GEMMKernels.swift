// The one matrix product of ENASCore: C = alpha · op(A) · op(B) + beta · C, row-major Float32.
// op(A) is (M, K), op(B) is (K, N), C is (M, N). Every transpose combination goes through the same packed
// micro-kernel: transposition only changes how panels are packed.
//
// Blocking (BLIS-style): NC columns of B × KC depth are packed into NR-wide panels; MC rows of A × KC into
// MR-tall panels; an MR×NR register tile (8 × 32 = 16 SIMD16 accumulators) runs over KC.
// Work is split over the larger of M and N (W1's products have only 32 or 64 rows).

/// Rows of the register tile.
let gemmMR = 8
/// Columns of the register tile (two SIMD16 vectors).
let gemmNR = 32
/// Depth of one packed block.
let gemmKC = 384
/// Rows of A packed at once.
let gemmMC = 128
/// Columns of B packed at once.
let gemmNC = 2048

/// C = alpha · op(A) · op(B) + beta · C on raw row-major buffers. `beta == 0` ignores C's previous contents
/// (NaN-safe). Leading dimensions are in elements. Callers validate sizes; this is the kernel layer.
public func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 || alpha == 0 {
        scaleMatrix(c, rows: m, cols: n, ld: ldc, beta: beta)
        return
    }
    let flops = m * n * k
    // Split the larger output dimension; each thread packs its own panels (the shared operand is re-packed,
    // which costs O(K·N) against O(M·N·K / threads) of arithmetic).
    let splitRows = m >= n
    let granule = splitRows ? gemmMR : gemmNR
    let extent = splitRows ? m : n
    let minimumPerThread = max(granule, (1 << 18) / max(1, flops / extent))
    let aBits = UInt(bitPattern: a), bBits = UInt(bitPattern: b), cBits = UInt(bitPattern: c)
    Parallel.forRanges(count: extent, granule: granule, minimumPerThread: minimumPerThread) { range in
        let a = UnsafePointer<Float>(bitPattern: aBits)!, b = UnsafePointer<Float>(bitPattern: bBits)!
        let c = UnsafeMutablePointer<Float>(bitPattern: cBits)!
        if splitRows {
            let aStart = transA ? a + range.lowerBound : a + range.lowerBound * lda
            gemmSerial(transA: transA, transB: transB, m: range.count, n: n, k: k, alpha: alpha,
                       a: aStart, lda: lda, b: b, ldb: ldb, beta: beta, c: c + range.lowerBound * ldc, ldc: ldc)
        } else {
            let bStart = transB ? b + range.lowerBound * ldb : b + range.lowerBound
            gemmSerial(transA: transA, transB: transB, m: m, n: range.count, k: k, alpha: alpha,
                       a: a, lda: lda, b: bStart, ldb: ldb, beta: beta, c: c + range.lowerBound, ldc: ldc)
        }
    }
}

/// C ← beta · C (beta == 0 writes zeros).
private func scaleMatrix(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, beta: Float) {
    for i in 0..<rows {
        let row = c + i * ld
        if beta == 0 { row.update(repeating: 0, count: cols) } else if beta != 1 { for j in 0..<cols { row[j] *= beta } }
    }
}

/// One thread's share: the full blocked algorithm on a sub-problem.
private func gemmSerial(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let kcMax = min(k, gemmKC)
    let packedA = UnsafeMutableRawPointer.allocate(
        byteCount: roundUp(min(m, gemmMC), gemmMR) * kcMax * 4, alignment: 64).assumingMemoryBound(to: Float.self)
    let packedB = UnsafeMutableRawPointer.allocate(
        byteCount: roundUp(min(n, gemmNC), gemmNR) * kcMax * 4, alignment: 64).assumingMemoryBound(to: Float.self)
    defer { packedA.deallocate(); packedB.deallocate() }
    let tile = UnsafeMutableRawPointer.allocate(byteCount: gemmMR * gemmNR * 4, alignment: 64)
        .assumingMemoryBound(to: Float.self)
    defer { tile.deallocate() }

    for jc in stride(from: 0, to: n, by: gemmNC) {
        let nc = min(gemmNC, n - jc)
        for pc in stride(from: 0, to: k, by: gemmKC) {
            let kc = min(gemmKC, k - pc)
            packB(transB: transB, b: b, ldb: ldb, rows: pc..<(pc + kc), cols: jc..<(jc + nc), into: packedB)
            let blockBeta: Float = pc == 0 ? beta : 1
            for ic in stride(from: 0, to: m, by: gemmMC) {
                let mc = min(gemmMC, m - ic)
                packA(transA: transA, a: a, lda: lda, rows: ic..<(ic + mc), depth: pc..<(pc + kc), into: packedA)
                for jr in stride(from: 0, to: nc, by: gemmNR) {
                    let nr = min(gemmNR, nc - jr)
                    let bPanel = packedB + jr * kc
                    for ir in stride(from: 0, to: mc, by: gemmMR) {
                        let mr = min(gemmMR, mc - ir)
                        microKernel8x32(kc: kc, a: packedA + ir * kc, b: bPanel, tile: tile)
                        storeTile(tile, rows: mr, cols: nr, alpha: alpha, beta: blockBeta,
                                  c: c + (ic + ir) * ldc + jc + jr, ldc: ldc)
                    }
                }
            }
        }
    }
}

@inline(__always) func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }

/// Packs op(A)[rows, depth] into MR-tall panels: panel p holds depth × MR floats, zero-padded past the last row.
@inline(__always)
private func packA(transA: Bool, a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, depth: Range<Int>,
                   into packed: UnsafeMutablePointer<Float>) {
    let kc = depth.count
    for panelStart in stride(from: 0, to: rows.count, by: gemmMR) {
        let mr = min(gemmMR, rows.count - panelStart)
        let dst = packed + panelStart * kc
        let firstRow = rows.lowerBound + panelStart
        if transA {
            // op(A)(i, p) = a[p * lda + i]: each depth step reads MR contiguous floats.
            for p in 0..<kc {
                let src = a + (depth.lowerBound + p) * lda + firstRow
                let out = dst + p * gemmMR
                for r in 0..<mr { out[r] = src[r] }
                for r in mr..<gemmMR { out[r] = 0 }
            }
        } else {
            for r in 0..<mr {
                let src = a + (firstRow + r) * lda + depth.lowerBound
                for p in 0..<kc { dst[p * gemmMR + r] = src[p] }
            }
            if mr < gemmMR { for p in 0..<kc { for r in mr..<gemmMR { dst[p * gemmMR + r] = 0 } } }
        }
    }
}

/// Packs op(B)[rows, cols] into NR-wide panels: panel q holds depth × NR floats, zero-padded past the last column.
@inline(__always)
private func packB(transB: Bool, b: UnsafePointer<Float>, ldb: Int, rows: Range<Int>, cols: Range<Int>,
                   into packed: UnsafeMutablePointer<Float>) {
    let kc = rows.count
    for panelStart in stride(from: 0, to: cols.count, by: gemmNR) {
        let nr = min(gemmNR, cols.count - panelStart)
        let dst = packed + panelStart * kc
        let firstCol = cols.lowerBound + panelStart
        if transB {
            // op(B)(p, j) = b[j * ldb + p]
            for j in 0..<nr {
                let src = b + (firstCol + j) * ldb + rows.lowerBound
                for p in 0..<kc { dst[p * gemmNR + j] = src[p] }
            }
            if nr < gemmNR { for p in 0..<kc { for j in nr..<gemmNR { dst[p * gemmNR + j] = 0 } } }
        } else if nr == gemmNR {
            for p in 0..<kc {
                let src = UnsafeRawPointer(b + (rows.lowerBound + p) * ldb + firstCol)
                let out = UnsafeMutableRawPointer(dst + p * gemmNR)
                out.storeBytes(of: src.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                (out + 64).storeBytes(of: (src + 64).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
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

/// tile (8 × 32, row-major) = Σ_p a[p, 0..<8]ᵀ · b[p, 0..<32] over kc packed depth steps.
@inline(__always)
private func microKernel8x32(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             tile: UnsafeMutablePointer<Float>) {
    typealias V = SIMD16<Float>
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
    let t = UnsafeMutableRawPointer(tile)
    t.storeBytes(of: c00, toByteOffset: 0, as: V.self); t.storeBytes(of: c01, toByteOffset: 64, as: V.self)
    t.storeBytes(of: c10, toByteOffset: 128, as: V.self); t.storeBytes(of: c11, toByteOffset: 192, as: V.self)
    t.storeBytes(of: c20, toByteOffset: 256, as: V.self); t.storeBytes(of: c21, toByteOffset: 320, as: V.self)
    t.storeBytes(of: c30, toByteOffset: 384, as: V.self); t.storeBytes(of: c31, toByteOffset: 448, as: V.self)
    t.storeBytes(of: c40, toByteOffset: 512, as: V.self); t.storeBytes(of: c41, toByteOffset: 576, as: V.self)
    t.storeBytes(of: c50, toByteOffset: 640, as: V.self); t.storeBytes(of: c51, toByteOffset: 704, as: V.self)
    t.storeBytes(of: c60, toByteOffset: 768, as: V.self); t.storeBytes(of: c61, toByteOffset: 832, as: V.self)
    t.storeBytes(of: c70, toByteOffset: 896, as: V.self); t.storeBytes(of: c71, toByteOffset: 960, as: V.self)
}

/// C[0..<rows, 0..<cols] = alpha · tile + beta · C (beta == 0 never reads C).
@inline(__always)
private func storeTile(_ tile: UnsafeMutablePointer<Float>, rows: Int, cols: Int, alpha: Float, beta: Float,
                       c: UnsafeMutablePointer<Float>, ldc: Int) {
    typealias V = SIMD16<Float>
    if cols == gemmNR {
        let va = V(repeating: alpha), vb = V(repeating: beta)
        for r in 0..<rows {
            let src = UnsafeRawPointer(tile + r * gemmNR)
            let dst = UnsafeMutableRawPointer(c + r * ldc)
            for half in 0..<2 {
                let offset = half * 64
                var value = src.load(fromByteOffset: offset, as: V.self) * va
                if beta != 0 { value = value.addingProduct(vb, dst.loadUnaligned(fromByteOffset: offset, as: V.self)) }
                dst.storeBytes(of: value, toByteOffset: offset, as: V.self)
            }
        }
    } else {
        for r in 0..<rows {
            for j in 0..<cols {
                let value = alpha * tile[r * gemmNR + j]
                c[r * ldc + j] = beta == 0 ? value : value + beta * c[r * ldc + j]
            }
        }
    }
}
