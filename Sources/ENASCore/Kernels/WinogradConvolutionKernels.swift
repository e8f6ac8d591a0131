// Winograd convolution for stride-1 "same" 3×3 and 5×5 convolutions: F(4×4, 3×3) and F(2×2, 5×5).
//
// Both use 6×6 input tiles and the same interpolation points (0, ±1, ±2, ∞), so they share the input transform Bᵀ
// and differ only in the filter transform G and the output transform Aᵀ (Lavin & Gray 2015, "Fast Algorithms for
// Convolutional Neural Networks"). Per 6×6 tile, a 3×3 convolution takes 36 multiply-adds per channel pair for
// 16 outputs instead of 144, a 5×5 one 36 for 4 instead of 100; the 36 products are 36 GEMMs over channels.
// The input gradient is such a convolution of dy (flipped filters, channel axes swapped); the weight gradient sums
// the products' gradients times the transformed inputs over tiles (36 GEMMs again) and transforms back by G.
// The cost is transforms (memory-bound) and rounding: the results differ from direct convolution by a few
// units in the last place of the largest terms, so only convolutions with enough channels to pay for the
// transforms take this path (`WinogradPlan`), and the bit-exact im2col path keeps every other.

/// Whether `conv2dForward` and `conv2dBackward` take Winograd's algorithm for this geometry (the input gradient
/// checks the same for dy's geometry, with the channel counts swapped).
public func convolutionTakesWinograd(_ g: ConvGeometry, outChannels: Int) -> Bool {
    WinogradPlan(g, outChannels: outChannels) != nil
}

/// The tiling of one stride-1 same-padded convolution, or nil where Winograd does not apply or would not pay.
struct WinogradPlan {
    /// Output tile side m: 4 for 3×3 filters, 2 for 5×5.
    let outputTile: Int
    let kernel: Int
    let tileRows: Int, tileColumns: Int
    /// The zero-padded copy of one input plane: rows and row length (room for whole-vector reads past the last tile).
    let paddedRows: Int, paddedRowLength: Int
    /// Samples transformed together, so each of the 36 products has at least ~256 columns.
    let samplesPerGroup: Int

    var tiles: Int { tileRows * tileColumns }
    static let inputTile = 6
    static let products = 36

    /// Channel counts below 16 leave the 36 products too small to beat im2col + GEMM; so do planes of fewer than
    /// 16 tiles (3×3 convolutions under 13 × 13).
    init?(_ g: ConvGeometry, outChannels: Int) {
        guard g.stride == 1, g.kernel == 3 || g.kernel == 5, g.padding == (g.kernel - 1) / 2,
              g.channels >= 16, outChannels >= 16 else { return nil }
        kernel = g.kernel
        outputTile = WinogradPlan.inputTile - g.kernel + 1
        tileRows = (g.height + outputTile - 1) / outputTile
        tileColumns = (g.width + outputTile - 1) / outputTile
        guard tileRows * tileColumns >= 16 else { return nil }
        paddedRows = tileRows * outputTile + kernel - 1
        // A group of 8 tiles starting at column j0·m reads 8·m floats from column j0·m + u (u < 6).
        paddedRowLength = roundUp(roundUp(tileColumns, 8) * outputTile + WinogradPlan.inputTile, 16)
        let wanted = max(1, 256 / (tileRows * tileColumns))
        samplesPerGroup = max(1, min(wanted, g.batch / (2 * Parallel.threadCount)))
    }

    /// Filters (O, C, r, r) → U (36, O, C): U[l·6 + k][o][c] = (G g[o][c] Gᵀ)[l][k].
    func transformFilters(_ w: UnsafePointer<Float>, outChannels: Int, channels: Int, into u: UnsafeMutablePointer<Float>) {
        let r = kernel, g = WinogradPlan.filterTransform(kernel: r)
        let pairs = outChannels * channels
        var partial = [Double](repeating: 0, count: 6 * r)
        for pair in 0..<pairs {
            let filter = w + pair * r * r
            for l in 0..<6 {
                for kx in 0..<r {
                    var sum = 0.0
                    for ky in 0..<r { sum += g[l * r + ky] * Double(filter[ky * r + kx]) }
                    partial[l * r + kx] = sum
                }
            }
            for l in 0..<6 {
                for k in 0..<6 {
                    var sum = 0.0
                    for kx in 0..<r { sum += partial[l * r + kx] * g[k * r + kx] }
                    u[(l * 6 + k) * pairs + pair] = Float(sum)
                }
            }
        }
    }

    /// G (6 × r): row i is (1, p, p², …)·fᵢ at the points 0, 1, −1, 2, −2 with Bᵀ's normalisation fᵢ, and the
    /// point at infinity picks the last tap.
    static func filterTransform(kernel r: Int) -> [Double] {
        let points: [Double] = [0, 1, -1, 2, -2], scale: [Double] = [1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24]
        var g = [Double](repeating: 0, count: 6 * r)
        for i in 0..<5 {
            var power = 1.0
            for k in 0..<r { g[i * r + k] = scale[i] * power; power *= points[i] }
        }
        g[5 * r + r - 1] = 1
        return g
    }
}

private typealias Lanes = SIMD8<Float>

/// Bᵀ d for d = (d0 … d5): the input transform along one axis.
@inline(__always)
private func inputTransform(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes, _ d4: Lanes, _ d5: Lanes)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
    let a = d4 - 4 * d2, b = d3 - 4 * d1, c = d4 - d2, e = 2 * (d3 - d1)
    return (4 * d0 - 5 * d2 + d4, a + b, a - b, c + e, c - e, 4 * d1 - 5 * d3 + d5)
}

/// Aᵀ t for t = (t0 … t5): the output transform along one axis, m = 4 (all four) or m = 2 (the first two, the
/// second with the point at infinity's term).
@inline(__always)
private func outputTransform(_ t0: Lanes, _ t1: Lanes, _ t2: Lanes, _ t3: Lanes, _ t4: Lanes, _ t5: Lanes,
                             outputTile: Int) -> (Lanes, Lanes, Lanes, Lanes) {
    let sum12 = t1 + t2, diff12 = t1 - t2, sum34 = t3 + t4, diff34 = t3 - t4
    if outputTile == 2 { return (t0 + sum12 + sum34, diff12 + 2 * diff34 + t5, .zero, .zero) }
    return (t0 + sum12 + sum34, diff12 + 2 * diff34, sum12 + 4 * sum34, diff12 + 8 * diff34 + t5)
}

/// Lanes j of a row: x[j·m] for j < 8 (m = 2 or 4), read as one 8·m-float window.
@inline(__always)
private func everyMth(_ p: UnsafePointer<Float>, _ m: Int) -> Lanes {
    let raw = UnsafeRawPointer(p)
    if m == 2 { return raw.loadUnaligned(as: SIMD16<Float>.self).evenHalf }
    return raw.loadUnaligned(as: SIMD32<Float>.self).evenHalf.evenHalf
}

/// y (N, O, H, W) = (or +=) the same-padded stride-1 convolution of x (N, C, H, W) with filters w (O, C, r, r),
/// by Winograd's algorithm on the tiling of `plan`. Sample groups run in parallel; each sample's result depends only
/// on its own input, so the bits are the same at every thread count.
func winogradConvolution(_ plan: WinogradPlan, _ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>,
                         w: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let products = WinogradPlan.products
    let transformed = UnsafeMutablePointer<Float>.allocate(capacity: products * outChannels * g.channels)
    defer { transformed.deallocate() }
    plan.transformFilters(w, outChannels: outChannels, channels: g.channels, into: transformed)

    let groups = (g.batch + plan.samplesPerGroup - 1) / plan.samplesPerGroup
    let columns = plan.samplesPerGroup * plan.tiles
    let (paddedCount, rowTransformCount, inputCount) = plan.inputScratch(channels: g.channels)
    let outputCount = products * outChannels * columns + 8
    let bits = (UInt(bitPattern: x), UInt(bitPattern: transformed), UInt(bitPattern: y))
    Parallel.forEach(chunks: groups) { group in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, u = UnsafePointer<Float>(bitPattern: bits.1)!
        let y = UnsafeMutablePointer<Float>(bitPattern: bits.2)!
        let scratch = convScratch(floats: paddedCount + rowTransformCount + inputCount + outputCount)
        let padded = scratch, rowTransform = padded + paddedCount
        let v = rowTransform + rowTransformCount, products36 = v + inputCount
        let first = group * plan.samplesPerGroup, count = min(plan.samplesPerGroup, g.batch - first)
        let n = count * plan.tiles
        // The padding border stays zero: only the interior is rewritten per plane.
        padded.update(repeating: 0, count: paddedCount)
        plan.transformInputs(g, x: x, samples: first..<first + count, padded: padded, rowTransform: rowTransform,
                             v: v, columns: columns)
        for p in 0..<products {
            gemm(transA: false, transB: false, m: outChannels, n: n, k: g.channels,
                 a: u + p * outChannels * g.channels, lda: g.channels, b: v + p * g.channels * columns, ldb: columns,
                 c: products36 + p * outChannels * columns, ldc: columns)
        }
        for s in 0..<count {
            for o in 0..<outChannels {
                winogradTransformOutput(plan, g, products: products36 + o * columns + s * plan.tiles,
                                        productStride: outChannels * columns,
                                        plane: y + ((first + s) * outChannels + o) * g.plane, accumulate: accumulate)
            }
        }
    }
}

extension WinogradPlan {
    /// Scratch floats for one sample group's padded plane, row transforms and transformed inputs (36, C, columns).
    func inputScratch(channels: Int) -> (padded: Int, rowTransform: Int, inputs: Int) {
        (paddedRows * paddedRowLength, 6 * paddedRows * roundUp(tileColumns, 8),
         WinogradPlan.products * channels * samplesPerGroup * tiles)
    }

    /// The samples' input planes → v (36, C, columns): sample s's tiles at columns (s − first)·tiles ..<.
    func transformInputs(_ g: ConvGeometry, x: UnsafePointer<Float>, samples: Range<Int>,
                         padded: UnsafeMutablePointer<Float>, rowTransform: UnsafeMutablePointer<Float>,
                         v: UnsafeMutablePointer<Float>, columns: Int) {
        for sample in samples {
            for c in 0..<g.channels {
                winogradTransformInput(self, g, plane: x + (sample * g.channels + c) * g.plane, padded: padded,
                                       rowTransform: rowTransform,
                                       v: v + c * columns + (sample - samples.lowerBound) * tiles,
                                       productStride: g.channels * columns)
            }
        }
    }
}

/// dw (O, C, r, r) += ∂L/∂w of the same convolution, from x (N, C, H, W) and dy (N, O, H, W). Per tile, the
/// products' gradient A·dY·Aᵀ (dY zero outside the plane) times the input's transform Bᵀ·d·B, summed over tiles
/// and samples by 36 GEMMs into dU (36, O, C); then dw += Gᵀ·dU·G. Sample groups run in fixed chunks, each summing
/// into its own dU in order and the chunks added in order: deterministic for a thread count.
func winogradWeightGradient(_ plan: WinogradPlan, _ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>,
                            dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>) {
    let products = WinogradPlan.products, pairs = outChannels * g.channels
    let groups = (g.batch + plan.samplesPerGroup - 1) / plan.samplesPerGroup
    // Runs of groups, claimed by threads as they finish: the same split as the im2col path's sample chunks.
    let groupChunks = sampleChunks(groups), chunks = groupChunks.count
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks * products * pairs)
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: chunks * products * pairs)
    let columns = plan.samplesPerGroup * plan.tiles
    let (paddedCount, rowTransformCount, inputCount) = plan.inputScratch(channels: g.channels)
    let gradientCount = products * outChannels * columns
    let bits = (UInt(bitPattern: x), UInt(bitPattern: dy), UInt(bitPattern: partials))
    Parallel.forEach(chunks: chunks) { chunk in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, dy = UnsafePointer<Float>(bitPattern: bits.1)!
        let partial = UnsafeMutablePointer<Float>(bitPattern: bits.2)! + chunk * products * pairs
        let scratch = convScratch(floats: paddedCount + rowTransformCount + inputCount + gradientCount)
        let padded = scratch, rowTransform = padded + paddedCount
        let v = rowTransform + rowTransformCount, gradients = v + inputCount
        padded.update(repeating: 0, count: paddedCount)
        for group in groupChunks[chunk] {
            let first = group * plan.samplesPerGroup, count = min(plan.samplesPerGroup, g.batch - first)
            plan.transformInputs(g, x: x, samples: first..<first + count, padded: padded, rowTransform: rowTransform,
                                 v: v, columns: columns)
            for s in 0..<count {
                for o in 0..<outChannels {
                    winogradTransformOutputGradient(plan, g, plane: dy + ((first + s) * outChannels + o) * g.plane,
                                                    gradients: gradients + o * columns + s * plan.tiles,
                                                    productStride: outChannels * columns)
                }
            }
            for p in 0..<products {
                gemm(transA: false, transB: true, m: outChannels, n: g.channels, k: count * plan.tiles,
                     a: gradients + p * outChannels * columns, lda: columns, b: v + p * g.channels * columns,
                     ldb: columns, beta: 1, c: partial + p * pairs, ldc: g.channels)
            }
        }
    }
    for chunk in 1..<chunks {
        for p in 0..<products { axpy(pairs, alpha: 1, partials + (chunk * products + p) * pairs, partials + p * pairs) }
    }
    plan.accumulateFilterGradient(partials, outChannels: outChannels, channels: g.channels, into: dw)
}

extension WinogradPlan {
    /// dw (O, C, r, r) += Gᵀ·dU·G for dU (36, O, C).
    func accumulateFilterGradient(_ du: UnsafePointer<Float>, outChannels: Int, channels: Int,
                                  into dw: UnsafeMutablePointer<Float>) {
        let r = kernel, g = WinogradPlan.filterTransform(kernel: r), pairs = outChannels * channels
        var partial = [Double](repeating: 0, count: 6 * r)
        for pair in 0..<pairs {
            // partial[l][kx] = Σ_k dU[l][k]·G[k][kx], then dw[ky][kx] += Σ_l G[l][ky]·partial[l][kx].
            for l in 0..<6 {
                for kx in 0..<r {
                    var sum = 0.0
                    for k in 0..<6 { sum += Double(du[(l * 6 + k) * pairs + pair]) * g[k * r + kx] }
                    partial[l * r + kx] = sum
                }
            }
            let filter = dw + pair * r * r
            for ky in 0..<r {
                for kx in 0..<r {
                    var sum = 0.0
                    for l in 0..<6 { sum += g[l * r + ky] * partial[l * r + kx] }
                    filter[ky * r + kx] += Float(sum)
                }
            }
        }
    }
}

/// A·z for z = (z0 … z(m−1)): the output transform's transpose along one axis (m values → 6).
@inline(__always)
private func outputGradientTransform(_ z0: Lanes, _ z1: Lanes, _ z2: Lanes, _ z3: Lanes, outputTile: Int)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
    if outputTile == 2 { return (z0, z0 + z1, z0 - z1, z0 + 2 * z1, z0 - 2 * z1, z1) }
    let even = z0 + z2, odd = z1 + z3, evenScaled = z0 + 4 * z2, oddScaled = 2 * z1 + 8 * z3
    return (z0, even + odd, even - odd, evenScaled + oddScaled, evenScaled - oddScaled, z3)
}

/// The 6 horizontal transforms of one dy row over 8 tiles: lanes j hold row[j·m + b] for b < m (zero past
/// `validColumns`), transformed by A.
@inline(__always)
private func rowGradientTransform(_ row: UnsafePointer<Float>?, validColumns: Int, outputTile m: Int)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
    guard let row else { return (.zero, .zero, .zero, .zero, .zero, .zero) }
    if m == 2 {
        let window: SIMD16<Float> = loadRow(row, validColumns)
        return outputGradientTransform(window.evenHalf, window.oddHalf, .zero, .zero, outputTile: 2)
    }
    let window: SIMD32<Float> = loadRow(row, validColumns)
    let even = window.evenHalf, odd = window.oddHalf
    return outputGradientTransform(even.evenHalf, odd.evenHalf, even.oddHalf, odd.oddHalf, outputTile: 4)
}

/// One dy plane → its 36 product-gradient rows: gradients[(l·6 + k)·productStride + tile] = (A·dY·Aᵀ)[l][k].
private func winogradTransformOutputGradient(_ plan: WinogradPlan, _ g: ConvGeometry, plane: UnsafePointer<Float>,
                                             gradients: UnsafeMutablePointer<Float>, productStride: Int) {
    let m = plan.outputTile
    for i in 0..<plan.tileRows {
        let validRows = min(m, g.height - i * m)
        for j0 in stride(from: 0, to: plan.tileColumns, by: 8) {
            let lanes = min(8, plan.tileColumns - j0), validColumns = min(8 * m, g.width - j0 * m)
            let rowStart = { (a: Int) -> UnsafePointer<Float>? in
                a < validRows ? plane + (i * m + a) * g.width + j0 * m : nil
            }
            let h0 = rowGradientTransform(rowStart(0), validColumns: validColumns, outputTile: m)
            let h1 = rowGradientTransform(rowStart(1), validColumns: validColumns, outputTile: m)
            let h2 = m == 4 ? rowGradientTransform(rowStart(2), validColumns: validColumns, outputTile: m) : h0
            let h3 = m == 4 ? rowGradientTransform(rowStart(3), validColumns: validColumns, outputTile: m) : h0
            let out = gradients + i * plan.tileColumns + j0
            // Vertical transform of column k of the four rows' transforms.
            @inline(__always) func emit(_ k: Int, _ z0: Lanes, _ z1: Lanes, _ z2: Lanes, _ z3: Lanes) {
                let t = outputGradientTransform(z0, z1, z2, z3, outputTile: m)
                storeSixRows(t, lanes, out + k * productStride, rowStride: 6 * productStride)
            }
            emit(0, h0.0, h1.0, h2.0, h3.0)
            emit(1, h0.1, h1.1, h2.1, h3.1)
            emit(2, h0.2, h1.2, h2.2, h3.2)
            emit(3, h0.3, h1.3, h2.3, h3.3)
            emit(4, h0.4, h1.4, h2.4, h3.4)
            emit(5, h0.5, h1.5, h2.5, h3.5)
        }
    }
}

@inline(__always)
private func loadRow<V: SIMD>(_ p: UnsafePointer<Float>, _ count: Int) -> V where V.Scalar == Float {
    if count >= V.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    var value = V()
    for lane in 0..<count { value[lane] = p[lane] }
    return value
}

/// One input plane → its 36 transformed tile rows: v[(l·6 + k)·productStride + tile] = (Bᵀ d B)[l][k] for each
/// tile's 6×6 window d. Horizontal transforms of every padded row first (8 tiles per vector), then vertical ones.
private func winogradTransformInput(_ plan: WinogradPlan, _ g: ConvGeometry, plane: UnsafePointer<Float>,
                                    padded: UnsafeMutablePointer<Float>, rowTransform: UnsafeMutablePointer<Float>,
                                    v: UnsafeMutablePointer<Float>, productStride: Int) {
    let m = plan.outputTile, rowLength = plan.paddedRowLength, pad = g.padding
    for r in 0..<g.height {
        (padded + (r + pad) * rowLength + pad).update(from: plane + r * g.width, count: g.width)
    }
    let groupWidth = roundUp(plan.tileColumns, 8), rowsStride = plan.paddedRows * groupWidth
    for r in 0..<plan.paddedRows {
        let row = UnsafePointer(padded + r * rowLength)
        for j0 in stride(from: 0, to: plan.tileColumns, by: 8) {
            let base = row + j0 * m
            let t = inputTransform(everyMth(base, m), everyMth(base + 1, m), everyMth(base + 2, m),
                                   everyMth(base + 3, m), everyMth(base + 4, m), everyMth(base + 5, m))
            let out = UnsafeMutableRawPointer(rowTransform + r * groupWidth + j0)
            let step = rowsStride * MemoryLayout<Float>.stride
            out.storeBytes(of: t.0, as: Lanes.self)
            (out + step).storeBytes(of: t.1, as: Lanes.self)
            (out + 2 * step).storeBytes(of: t.2, as: Lanes.self)
            (out + 3 * step).storeBytes(of: t.3, as: Lanes.self)
            (out + 4 * step).storeBytes(of: t.4, as: Lanes.self)
            (out + 5 * step).storeBytes(of: t.5, as: Lanes.self)
        }
    }
    for i in 0..<plan.tileRows {
        for j0 in stride(from: 0, to: plan.tileColumns, by: 8) {
            let lanes = min(8, plan.tileColumns - j0), tile = i * plan.tileColumns + j0
            for k in 0..<6 {
                let column = UnsafeRawPointer(rowTransform + k * rowsStride + i * m * groupWidth + j0)
                let rowStep = groupWidth * MemoryLayout<Float>.stride
                let t = inputTransform(column.loadUnaligned(as: Lanes.self), (column + rowStep).loadUnaligned(as: Lanes.self),
                                       (column + 2 * rowStep).loadUnaligned(as: Lanes.self),
                                       (column + 3 * rowStep).loadUnaligned(as: Lanes.self),
                                       (column + 4 * rowStep).loadUnaligned(as: Lanes.self),
                                       (column + 5 * rowStep).loadUnaligned(as: Lanes.self))
                storeSixRows(t, lanes, v + k * productStride + tile, rowStride: 6 * productStride)
            }
        }
    }
}

/// One output plane from its 36 product rows: Y = Aᵀ M A per tile, written (or added) where it lies inside the plane.
private func winogradTransformOutput(_ plan: WinogradPlan, _ g: ConvGeometry, products: UnsafePointer<Float>,
                                     productStride: Int, plane: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let m = plan.outputTile
    for i in 0..<plan.tileRows {
        for j0 in stride(from: 0, to: plan.tileColumns, by: 8) {
            let tile = products + i * plan.tileColumns + j0
            // Vertical transform of each of the 6 columns k: rows a < m.
            let c0 = winogradColumn(tile, 0, productStride, m), c1 = winogradColumn(tile, 1, productStride, m)
            let c2 = winogradColumn(tile, 2, productStride, m), c3 = winogradColumn(tile, 3, productStride, m)
            let c4 = winogradColumn(tile, 4, productStride, m), c5 = winogradColumn(tile, 5, productStride, m)
            let validColumns = min(8 * m, g.width - j0 * m)
            for a in 0..<min(m, g.height - i * m) {
                let y = outputTransform(c0[a], c1[a], c2[a], c3[a], c4[a], c5[a], outputTile: m)
                let row = plane + (i * m + a) * g.width + j0 * m
                if m == 2 {
                    var pair = SIMD16<Float>()
                    pair.evenHalf = y.0
                    pair.oddHalf = y.1
                    storeRow(pair, validColumns, row, accumulate: accumulate)
                } else {
                    var even = SIMD16<Float>(), odd = SIMD16<Float>(), quad = SIMD32<Float>()
                    even.evenHalf = y.0
                    even.oddHalf = y.2
                    odd.evenHalf = y.1
                    odd.oddHalf = y.3
                    quad.evenHalf = even
                    quad.oddHalf = odd
                    storeRow(quad, validColumns, row, accumulate: accumulate)
                }
            }
        }
    }
}

/// The four rows of a tile's vertical output transform, of product column k (m of them meaningful).
private struct TransformedColumn {
    let rows: (Lanes, Lanes, Lanes, Lanes)
    @inline(__always) subscript(a: Int) -> Lanes {
        switch a { case 0: rows.0; case 1: rows.1; case 2: rows.2; default: rows.3 }
    }
}

@inline(__always)
private func winogradColumn(_ tile: UnsafePointer<Float>, _ k: Int, _ productStride: Int, _ m: Int) -> TransformedColumn {
    let p = UnsafeRawPointer(tile + k * productStride), step = 6 * productStride * MemoryLayout<Float>.stride
    return TransformedColumn(rows: outputTransform(
        p.loadUnaligned(as: Lanes.self), (p + step).loadUnaligned(as: Lanes.self),
        (p + 2 * step).loadUnaligned(as: Lanes.self), (p + 3 * step).loadUnaligned(as: Lanes.self),
        (p + 4 * step).loadUnaligned(as: Lanes.self), (p + 5 * step).loadUnaligned(as: Lanes.self), outputTile: m))
}

/// A vertical transform's six results: row l at p + l·rowStride (the products l·6 + k of one column k).
@inline(__always)
private func storeSixRows(_ t: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes), _ lanes: Int, _ p: UnsafeMutablePointer<Float>,
                          rowStride: Int) {
    storeLanes(t.0, lanes, p)
    storeLanes(t.1, lanes, p + rowStride)
    storeLanes(t.2, lanes, p + 2 * rowStride)
    storeLanes(t.3, lanes, p + 3 * rowStride)
    storeLanes(t.4, lanes, p + 4 * rowStride)
    storeLanes(t.5, lanes, p + 5 * rowStride)
}

@inline(__always)
private func storeLanes(_ value: Lanes, _ lanes: Int, _ p: UnsafeMutablePointer<Float>) {
    if lanes == 8 {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: Lanes.self)
    } else {
        for lane in 0..<lanes { p[lane] = value[lane] }
    }
}

@inline(__always)
private func storeRow<V: SIMD>(_ value: V, _ count: Int, _ p: UnsafeMutablePointer<Float>, accumulate: Bool)
    where V.Scalar == Float {
    if count >= V.scalarCount {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: accumulate ? value + raw.loadUnaligned(as: V.self) : value, as: V.self)
    } else if accumulate {
        for lane in 0..<count { p[lane] += value[lane] }
    } else {
        for lane in 0..<count { p[lane] = value[lane] }
    }
}
