// Pooling, NCHW: k×k max and average (padding excluded from the average), and global average pooling.

/// k×k max pooling.
public func maxPool2d(_ x: Variable, kernel: Int = 3, stride: Int = 1, padding: Int = 1) throws -> Variable {
    let g = try poolGeometry(x, kernel: kernel, stride: stride, padding: padding, op: "maxPool2d")
    var argmax = [Int32](repeating: 0, count: g.batch * g.channels * g.outPlane)
    let out = x.value.withPointer { xp in argmax.withUnsafeMutableBufferPointer { ap in
        makeTensor([g.batch, g.channels, g.outHeight, g.outWidth]) { maxPoolForward(g, x: xp, y: $0, argmax: ap.baseAddress!) }
    } }
    return record(out, parents: [x]) { dy in
        dy.withPointer { dp in argmax.withUnsafeBufferPointer { ap in x.accumulateGrad { maxPoolBackward(g, dy: dp, argmax: ap.baseAddress!, dx: $0) } } }
    }
}

/// k×k average pooling; windows average over their in-bounds elements only.
public func avgPool2d(_ x: Variable, kernel: Int = 3, stride: Int = 1, padding: Int = 1) throws -> Variable {
    let g = try poolGeometry(x, kernel: kernel, stride: stride, padding: padding, op: "avgPool2d")
    let out = x.value.withPointer { xp in
        makeTensor([g.batch, g.channels, g.outHeight, g.outWidth]) { avgPoolForward(g, x: xp, y: $0) }
    }
    return record(out, parents: [x]) { dy in
        dy.withPointer { dp in x.accumulateGrad { avgPoolBackward(g, dy: dp, dx: $0) } }
    }
}

/// Mean over H and W: (N, C, H, W) → (N, C).
public func globalAvgPool(_ x: Variable) throws -> Variable {
    try ensureShape(x.shape.count == 4, "[globalAvgPool] needs (N, C, H, W), got \(Shape.describe(x.shape))")
    let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
    let inv = 1 / Float(plane)
    let out = x.value.withPointer { xp in
        makeTensor([x.shape[0], x.shape[1]]) { o in for p in 0..<planes { o[p] = sumElements(plane, xp + p * plane) * inv } }
    }
    return record(out, parents: [x]) { dy in
        dy.withPointer { dp in x.accumulateGrad { dx in
            for p in 0..<planes {
                let v = FloatVector(repeating: dp[p] * inv)
                mapElements(plane, dx + p * plane, dx + p * plane) { $0 + v }
            }
        } }
    }
}

func poolGeometry(_ x: Variable, kernel: Int, stride: Int, padding: Int, op: String) throws -> ConvGeometry {
    try ensureShape(x.shape.count == 4, "[\(op)] needs (N, C, H, W), got \(Shape.describe(x.shape))")
    try ensureArgument(kernel >= 1 && stride >= 1 && padding >= 0 && padding < kernel,
                       "[\(op)] kernel \(kernel), stride \(stride), padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: kernel, stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[\(op)] window \(kernel) does not fit input \(Shape.describe(x.shape))")
    return g
}

/// out[n, c, y, x] = x[n, c, y + 1, x + 1] (zero past the bottom/right edge): the half-pixel shift of the second
/// path of a factorized reduction, so its stride-2 subsample sees the pixels the first path skips.
public func shiftUpLeft(_ x: Variable) throws -> Variable {
    try ensureShape(x.shape.count == 4, "[shiftUpLeft] needs (N, C, H, W), got \(Shape.describe(x.shape))")
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let out = x.value.withPointer { xp in
        makeTensor(x.shape) { o in
            o.update(repeating: 0, count: planes * h * w)
            for p in 0..<planes {
                for y in 0..<(h - 1) { (o + (p * h + y) * w).update(from: xp + (p * h + y + 1) * w + 1, count: w - 1) }
            }
        }
    }
    return record(out, parents: [x]) { g in
        g.withPointer { gp in x.accumulateGrad { dx in
            for p in 0..<planes {
                for y in 0..<(h - 1) { axpy(w - 1, alpha: 1, gp + (p * h + y) * w, dx + (p * h + y + 1) * w + 1) }
            }
        } }
    }
}

/// out[n, c, y, x] = x[n, c, 2y + s, 2x + s] with s = 1 when `shifted` (zero past the bottom/right edge), else 0:
/// (N, C, H, W) → (N, C, ⌈H/2⌉, ⌈W/2⌉). The two paths of a factorized reduction in one pass each, the same as
/// `avgPool2d(x, kernel: 1, stride: 2)` and `avgPool2d(shiftUpLeft(x), kernel: 1, stride: 2)` without the
/// full-size shifted copy.
public func subsample2(_ x: Variable, shifted: Bool) throws -> Variable {
    try ensureShape(x.shape.count == 4 && x.shape[2] >= 1 && x.shape[3] >= 1,
                    "[subsample2] needs (N, C, H, W) with H, W ≥ 1, got \(Shape.describe(x.shape))")
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow, s) = ((h + 1) / 2, (w + 1) / 2, shifted ? 1 : 0)
    // Output rows and columns that read inside the input: 2·o + s < size.
    let (rows, columns) = ((h - s + 1) / 2, (w - s + 1) / 2)
    // Planes split over threads (a reduction subsamples every earlier layer's output: whole-batch copies).
    let minimumPlanes = max(1, parallelElementsMinimum / max(1, h * w))
    let out = x.value.withPointer { xp in
        makeTensor([x.shape[0], x.shape[1], oh, ow]) { o in
            Parallel.forRanges(count: planes, minimumPerThread: minimumPlanes) { planeRange in
                for p in planeRange {
                    for y in 0..<oh {
                        let dst = o + (p * oh + y) * ow
                        if y < rows {
                            let src = xp + (p * h + 2 * y + s) * w + s
                            var x = 0
                            // Eight outputs from 16 floats of the row (never reading past its end).
                            while 2 * x + 16 <= w - s {
                                let pair = UnsafeRawPointer(src + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
                                UnsafeMutableRawPointer(dst + x).storeBytes(of: pair.evenHalf, as: SIMD8<Float>.self)
                                x += 8
                            }
                            while x < columns { dst[x] = src[2 * x]; x += 1 }
                            if columns < ow { (dst + columns).update(repeating: 0, count: ow - columns) }
                        } else {
                            dst.update(repeating: 0, count: ow)
                        }
                    }
                }
            }
        }
    }
    return record(out, parents: [x]) { g in
        g.withPointer { gp in x.accumulateGrad { dx in
            Parallel.forRanges(count: planes, minimumPerThread: minimumPlanes) { planeRange in
                for p in planeRange {
                    for y in 0..<rows {
                        let src = gp + (p * oh + y) * ow, dst = dx + (p * h + 2 * y + s) * w + s
                        var x = 0
                        while 2 * x + 16 <= w - s {
                            let row = UnsafeMutableRawPointer(dst + 2 * x), old = row.loadUnaligned(as: SIMD16<Float>.self)
                            let even = old.evenHalf + UnsafeRawPointer(src + x).loadUnaligned(as: SIMD8<Float>.self)
                            row.storeBytes(of: interleave(even, old.oddHalf), as: SIMD16<Float>.self)
                            x += 8
                        }
                        while x < columns { dst[2 * x] += src[x]; x += 1 }
                    }
                }
            }
        } }
    }
}

/// (a0, b0, a1, b1, …, a7, b7).
@inline(__always)
private func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}
