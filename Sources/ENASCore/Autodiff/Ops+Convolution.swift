// Convolutions, NCHW. x (N, C, H, W); dense weight (O, C, K, K) (OIHW); depthwise weight (C, 1, K, K).

/// Dense 2-D convolution (no bias) by im2col + GEMM over the whole batch: (O, C·K·K) · (C·K·K, N·P).
public func conv2d(_ x: Variable, _ w: Variable, stride: Int = 1, padding: Int = 0) throws -> Variable {
    try ensureShape(x.shape.count == 4 && w.shape.count == 4 && w.shape[2] == w.shape[3],
                    "[conv2d] needs x (N, C, H, W) and a square weight (O, C, K, K), got \(Shape.describe(x.shape)) and \(Shape.describe(w.shape))")
    try ensureShape(x.shape[1] == w.shape[1], "[conv2d] input has \(x.shape[1]) channels, weight expects \(w.shape[1])")
    try ensureArgument(stride >= 1 && padding >= 0, "[conv2d] stride \(stride) / padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: w.shape[2], stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[conv2d] kernel \(g.kernel) does not fit input \(Shape.describe(x.shape)) with padding \(padding)")
    let outChannels = w.shape[0], depth = g.channels * g.kernel * g.kernel, columns = g.batch * g.outPlane
    var cols = Tensor(zeros: [depth, columns])
    x.value.withPointer { xp in cols.withMutablePointer { im2col(g, x: xp, cols: $0) } }
    var product = Tensor(zeros: [outChannels, columns])
    w.value.withPointer { wp in cols.withPointer { cp in product.withMutablePointer {
        gemm(transA: false, transB: false, m: outChannels, n: columns, k: depth, a: wp, lda: depth, b: cp, ldb: columns, c: $0, ldc: columns)
    } } }
    let out = product.withPointer { pp in
        makeTensor([g.batch, outChannels, g.outHeight, g.outWidth]) {
            channelMajorToBatchMajor(batch: g.batch, channels: outChannels, plane: g.outPlane, pp, $0)
        }
    }
    return record(out, parents: [x, w]) { dy in
        var dproduct = Tensor(zeros: [outChannels, columns])
        dy.withPointer { dp in dproduct.withMutablePointer {
            batchMajorToChannelMajor(batch: g.batch, channels: outChannels, plane: g.outPlane, dp, $0)
        } }
        dproduct.withPointer { dp in
            if w.requiresGrad {
                cols.withPointer { cp in w.accumulateGrad {
                    gemm(transA: false, transB: true, m: outChannels, n: depth, k: columns, a: dp, lda: columns, b: cp, ldb: columns, beta: 1, c: $0, ldc: depth)
                } }
            }
            if x.requiresGrad {
                var dcols = Tensor(zeros: [depth, columns])
                w.value.withPointer { wp in dcols.withMutablePointer {
                    gemm(transA: true, transB: false, m: depth, n: columns, k: outChannels, a: wp, lda: depth, b: dp, ldb: columns, c: $0, ldc: columns)
                } }
                dcols.withPointer { cp in x.accumulateGrad { col2imAccumulate(g, cols: cp, dx: $0) } }
            }
        }
    }
}

/// Depthwise 2-D convolution: one K×K filter per channel. w (C, 1, K, K).
public func depthwiseConv2d(_ x: Variable, _ w: Variable, stride: Int = 1, padding: Int = 0) throws -> Variable {
    try ensureShape(x.shape.count == 4 && w.shape.count == 4 && w.shape[1] == 1 && w.shape[2] == w.shape[3] && w.shape[0] == x.shape[1],
                    "[depthwiseConv2d] needs x (N, C, H, W) and weight (C, 1, K, K), got \(Shape.describe(x.shape)) and \(Shape.describe(w.shape))")
    try ensureArgument(stride >= 1 && padding >= 0, "[depthwiseConv2d] stride \(stride) / padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: w.shape[2], stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[depthwiseConv2d] kernel \(g.kernel) does not fit input \(Shape.describe(x.shape))")
    let out = x.value.withPointer { xp in w.value.withPointer { wp in
        makeTensor([g.batch, g.channels, g.outHeight, g.outWidth]) { depthwiseConvForward(g, x: xp, w: wp, y: $0) }
    } }
    return record(out, parents: [x, w]) { dy in
        dy.withPointer { dp in x.value.withPointer { xp in w.value.withPointer { wp in
            withOptionalGradPointer(x) { dx in withOptionalGradPointer(w) { dw in
                depthwiseConvBackward(g, x: xp, w: wp, dy: dp, dx: dx, dw: dw)
            } }
        } } }
    }
}

/// Calls `body` with the gradient buffer of `v` (allocated on first use) when it requires one, else nil.
func withOptionalGradPointer<R>(_ v: Variable, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard v.requiresGrad else { return body(nil) }
    var result: R?
    v.accumulateGrad { result = body($0) }
    return result!
}
