// Convolutions, NCHW. x (N, C, H, W); dense weight (O, C, K, K) (OIHW); depthwise weight (C, 1, K, K).

/// Dense 2-D convolution (no bias): one GEMM per sample, (O, C·K·K) · (C·K·K, P), a 1×1 kernel at stride 1
/// reading the sample in place (Kernels/ConvolutionKernels.swift).
public func conv2d(_ x: Variable, _ w: Variable, stride: Int = 1, padding: Int = 0) throws -> Variable {
    try ensureShape(x.shape.count == 4 && w.shape.count == 4 && w.shape[2] == w.shape[3],
                    "[conv2d] needs x (N, C, H, W) and a square weight (O, C, K, K), got \(Shape.describe(x.shape)) and \(Shape.describe(w.shape))")
    try ensureShape(x.shape[1] == w.shape[1], "[conv2d] input has \(x.shape[1]) channels, weight expects \(w.shape[1])")
    try ensureArgument(stride >= 1 && padding >= 0, "[conv2d] stride \(stride) / padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: w.shape[2], stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[conv2d] kernel \(g.kernel) does not fit input \(Shape.describe(x.shape)) with padding \(padding)")
    let outChannels = w.shape[0]
    let out = x.value.withPointer { xp in w.value.withPointer { wp in
        makeTensor([g.batch, outChannels, g.outHeight, g.outWidth]) { conv2dForward(g, outChannels: outChannels, x: xp, w: wp, y: $0) }
    } }
    return record(out, parents: [x, w]) { dy in
        dy.withPointer { dp in x.value.withPointer { xp in w.value.withPointer { wp in
            withOptionalGradPointer(x) { dx, overwrite in withOptionalGradPointer(w) { dw in
                conv2dBackward(g, outChannels: outChannels, x: xp, w: wp, dy: dp, dx: dx, dw: dw, overwriteDX: overwrite)
            } }
        } } }
    }
}

/// Depthwise 2-D convolution: one K×K filter per channel. w (C, 1, K, K).
/// `rectifyingInput`: relu(x) ⋆ w in one op — the ReLU is applied while the kernel copies x into its padded
/// planes, so no ReLU tensor is written, read back or back-propagated through on its own (the micro space's
/// separable stacks open with a ReLU before every depthwise convolution).
public func depthwiseConv2d(_ x: Variable, _ w: Variable, stride: Int = 1, padding: Int = 0,
                            rectifyingInput: Bool = false) throws -> Variable {
    try ensureShape(x.shape.count == 4 && w.shape.count == 4 && w.shape[1] == 1 && w.shape[2] == w.shape[3] && w.shape[0] == x.shape[1],
                    "[depthwiseConv2d] needs x (N, C, H, W) and weight (C, 1, K, K), got \(Shape.describe(x.shape)) and \(Shape.describe(w.shape))")
    try ensureArgument(stride >= 1 && padding >= 0, "[depthwiseConv2d] stride \(stride) / padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: w.shape[2], stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[depthwiseConv2d] kernel \(g.kernel) does not fit input \(Shape.describe(x.shape))")
    let out = x.value.withPointer { xp in w.value.withPointer { wp in
        makeTensor([g.batch, g.channels, g.outHeight, g.outWidth]) {
            depthwiseConvForward(g, x: xp, w: wp, y: $0, rectifyingInput: rectifyingInput)
        }
    } }
    return record(out, parents: [x, w]) { dy in
        dy.withPointer { dp in x.value.withPointer { xp in w.value.withPointer { wp in
            withOptionalGradPointer(x) { dx, overwrite in withOptionalGradPointer(w) { dw in
                depthwiseConvBackward(g, x: xp, w: wp, dy: dp, dx: dx, dw: dw, overwriteDX: overwrite,
                                      rectifyingInput: rectifyingInput)
            } }
        } } }
    }
}

/// Separable convolution: a depthwise K×K convolution (dw (C, 1, K, K)) then a pointwise 1×1 one (pw (O, C, 1, 1)),
/// as one op run sample by sample so the intermediate stays in cache (Kernels/SeparableConvolutionKernels.swift).
/// Same values as `conv2d(depthwiseConv2d(x, dw, …), pw)`. `rectifyingInput`: applied to relu(x).
public func separableConv2d(_ x: Variable, depthwise dw: Variable, pointwise pw: Variable, stride: Int = 1,
                            padding: Int = 0, rectifyingInput: Bool = false) throws -> Variable {
    try ensureShape(x.shape.count == 4 && dw.shape.count == 4 && dw.shape[1] == 1 && dw.shape[2] == dw.shape[3] && dw.shape[0] == x.shape[1],
                    "[separableConv2d] needs x (N, C, H, W) and a depthwise weight (C, 1, K, K), got \(Shape.describe(x.shape)) and \(Shape.describe(dw.shape))")
    try ensureShape(pw.shape.count == 4 && pw.shape[1] == x.shape[1] && pw.shape[2] == 1 && pw.shape[3] == 1,
                    "[separableConv2d] needs a pointwise weight (O, \(x.shape[1]), 1, 1), got \(Shape.describe(pw.shape))")
    try ensureArgument(stride >= 1 && padding >= 0, "[separableConv2d] stride \(stride) / padding \(padding) out of range")
    let g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: dw.shape[2], stride: stride, padding: padding)
    try ensureShape(g.outHeight >= 1 && g.outWidth >= 1, "[separableConv2d] kernel \(g.kernel) does not fit input \(Shape.describe(x.shape))")
    let outChannels = pw.shape[0]
    var depthwiseOut = Tensor(zeros: [0])
    let out = x.value.withPointer { xp in dw.value.withPointer { dwp in pw.value.withPointer { pwp in
        makeTensor([g.batch, outChannels, g.outHeight, g.outWidth]) { y in
            depthwiseOut = makeTensor([g.batch, g.channels, g.outHeight, g.outWidth]) { mid in
                separableConvForward(g, outChannels: outChannels, x: xp, depthwise: dwp, pointwise: pwp,
                                     depthwiseOut: mid, y: y, rectifyingInput: rectifyingInput)
            }
        }
    } } }
    return record(out, parents: [x, dw, pw]) { [depthwiseOut] dy in
        dy.withPointer { dyp in x.value.withPointer { xp in dw.value.withPointer { dwp in pw.value.withPointer { pwp in
            depthwiseOut.withPointer { mid in
                withOptionalGradPointer(x) { dx, overwrite in withOptionalGradPointer(dw) { dDepthwise in
                    withOptionalGradPointer(pw) { dPointwise in
                        separableConvBackward(g, outChannels: outChannels, x: xp, depthwise: dwp, pointwise: pwp,
                                              depthwiseOut: mid, dy: dyp, dx: dx, dDepthwise: dDepthwise,
                                              dPointwise: dPointwise, overwriteDX: overwrite, rectifyingInput: rectifyingInput)
                    }
                } }
            }
        } } } }
    }
}

/// Calls `body` with the gradient buffer of `v` when it requires one, else nil; `overwrite` is true when the buffer is
/// fresh and uninitialized (the kernel must write every element instead of adding), see `writeOrAccumulateGrad`.
func withOptionalGradPointer<R>(_ v: Variable, _ body: (UnsafeMutablePointer<Float>?, _ overwrite: Bool) -> R) -> R {
    guard v.requiresGrad else { return body(nil, false) }
    var result: R?
    v.writeOrAccumulateGrad { result = body($0, $1) }
    return result!
}

/// Calls `body` with the gradient buffer of `v` (allocated on first use) when it requires one, else nil.
func withOptionalGradPointer<R>(_ v: Variable, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard v.requiresGrad else { return body(nil) }
    var result: R?
    v.accumulateGrad { result = body($0) }
    return result!
}
