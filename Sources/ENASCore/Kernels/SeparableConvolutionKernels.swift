// A depthwise K×K convolution followed by a pointwise 1×1 convolution, sample by sample.
//
// Run as two whole-batch ops, the depthwise output (and, backward, its gradient) went out to memory and came back
// for the next op: one sample's planes fit in L2 and the batch's do not. Here one sample's depthwise output is
// read by its pointwise product straight after it is written, and backward the pointwise product's input gradient
// is consumed by the depthwise backward without ever being stored: per separable convolution, three passes over a
// batch-sized tensor fewer. The arithmetic of each sample is the separate kernels' own.

/// y (N, O, OH, OW) = pw (O, C) · (x ⋆ dw) with dw (C, 1, K, K); the depthwise output (N, C, OH, OW) is written to
/// `depthwiseOut` (the pointwise weight gradient reads it). `rectifyingInput`: relu(x) ⋆ dw.
public func separableConvForward(_ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>,
                                 depthwise: UnsafePointer<Float>, pointwise: UnsafePointer<Float>,
                                 depthwiseOut: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
                                 rectifyingInput: Bool = false) {
    let bits = (UInt(bitPattern: x), UInt(bitPattern: depthwise), UInt(bitPattern: pointwise),
                UInt(bitPattern: depthwiseOut), UInt(bitPattern: y))
    let layout = PaddedPlane(height: g.height, width: g.width, padding: g.padding, stride: g.stride)
    let taps = g.kernel * g.kernel
    Parallel.forRanges(count: g.batch, chunksPerThread: g.batch) { samples in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, dw = UnsafePointer<Float>(bitPattern: bits.1)!
        let pw = UnsafePointer<Float>(bitPattern: bits.2)!
        let mid = UnsafeMutablePointer<Float>(bitPattern: bits.3)!, y = UnsafeMutablePointer<Float>(bitPattern: bits.4)!
        let padded = convScratch(floats: layout.count)
        for n in samples {
            let midN = mid + n * g.channels * g.outPlane
            for c in 0..<g.channels {
                layout.fill(padded, from: x + (n * g.channels + c) * g.plane, height: g.height, width: g.width,
                            padding: g.padding, rectified: rectifyingInput)
                correlatePlane(padded, layout, kernel: g.kernel, taps: dw + c * taps, outHeight: g.outHeight,
                               outWidth: g.outWidth, out: midN + c * g.outPlane, accumulate: false)
            }
            gemm(transA: false, transB: false, m: outChannels, n: g.outPlane, k: g.channels, a: pw, lda: g.channels,
                 b: midN, ldb: g.outPlane, c: y + n * outChannels * g.outPlane, ldc: g.outPlane)
        }
    }
}

/// The backward of `separableConvForward`: dx (written whole with `overwriteDX`, else added to), dDepthwise and
/// dPointwise (added to) from dy (N, O, OH, OW), the input x and the saved depthwise output. Samples run in the
/// fixed chunks of `sampleChunks`; each chunk sums its samples' weight gradients in order into its own buffers and
/// the chunks are added in order, so the bits depend only on the thread count (with one thread they are the two
/// separate kernels' bits).
public func separableConvBackward(_ g: ConvGeometry, outChannels: Int, x: UnsafePointer<Float>,
                                  depthwise: UnsafePointer<Float>, pointwise: UnsafePointer<Float>,
                                  depthwiseOut: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                  dx: UnsafeMutablePointer<Float>?, dDepthwise: UnsafeMutablePointer<Float>?,
                                  dPointwise: UnsafeMutablePointer<Float>?, overwriteDX: Bool = false,
                                  rectifyingInput: Bool = false) {
    let chunks = sampleChunks(g.batch)
    let plan = DepthwiseBackwardPlan(g, rectifyingInput: rectifyingInput)
    let taps = plan.taps, c = g.channels, o = outChannels
    // Per chunk: the pointwise gradient (O, C) then the depthwise gradient (C, K·K).
    let partialCount = o * c + c * taps
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: chunks.count * partialCount)
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: chunks.count * partialCount)
    let flipped = UnsafeMutablePointer<Float>.allocate(capacity: c * taps)
    defer { flipped.deallocate() }
    for t in 0..<(c * taps) { flipped[t] = depthwise[t / taps * taps + taps - 1 - t % taps] }
    let midGradCount = roundUp(c * g.outPlane, 16)
    let dotGroup = samplesPerDotGroup(m: o, n: c, k: g.outPlane)
    let bits = (UInt(bitPattern: x), UInt(bitPattern: depthwise), UInt(bitPattern: pointwise),
                UInt(bitPattern: depthwiseOut), UInt(bitPattern: dy), dx.map { UInt(bitPattern: $0) } ?? 0,
                UInt(bitPattern: partials), UInt(bitPattern: flipped))
    let wantsDepthwise = dDepthwise != nil, wantsPointwise = dPointwise != nil
    Parallel.forEach(chunks: chunks.count) { chunk in
        let x = UnsafePointer<Float>(bitPattern: bits.0)!, dw = UnsafePointer<Float>(bitPattern: bits.1)!
        let pw = UnsafePointer<Float>(bitPattern: bits.2)!, mid = UnsafePointer<Float>(bitPattern: bits.3)!
        let dy = UnsafePointer<Float>(bitPattern: bits.4)!, dx = UnsafeMutablePointer<Float>(bitPattern: bits.5)
        let partial = UnsafeMutablePointer<Float>(bitPattern: bits.6)! + chunk * partialCount
        let flipped = UnsafePointer<Float>(bitPattern: bits.7)!
        let scratch = convScratch(floats: midGradCount + plan.scratchCount)
        let midGrad = scratch, planeScratch = scratch + midGradCount
        for n in chunks[chunk] {
            let dyN = dy + n * o * g.outPlane, midN = mid + n * c * g.outPlane
            if wantsPointwise, (n - chunks[chunk].lowerBound) % dotGroup == 0 {
                // dPointwise (O, C) += Σ over this group of samples dy[s] (O, P) · mid[s]ᵀ (P, C).
                gemmSummedOverSamples(m: o, n: c, k: g.outPlane, samples: min(dotGroup, chunks[chunk].upperBound - n),
                                      a: dyN, lda: g.outPlane, aSampleStride: o * g.outPlane, b: midN, ldb: g.outPlane,
                                      bSampleStride: c * g.outPlane, c: partial, ldc: c)
            }
            guard dx != nil || wantsDepthwise else { continue }
            // The depthwise output's gradient for this sample, (C, P) = pwᵀ (C, O) · dy[n] (O, P): it stays in cache.
            gemm(transA: true, transB: false, m: c, n: g.outPlane, k: o, a: pw, lda: c, b: dyN, ldb: g.outPlane,
                 c: midGrad, ldc: g.outPlane)
            for channel in 0..<c {
                let p = n * c + channel
                plan.backwardPlane(x: x + p * g.plane, filter: dw + channel * taps, flipped: flipped + channel * taps,
                                   dy: midGrad + channel * g.outPlane, dx: dx.map { $0 + p * g.plane },
                                   grad: wantsDepthwise ? partial + o * c + channel * taps : nil,
                                   overwriteDX: overwriteDX, scratch: planeScratch)
            }
        }
    }
    for chunk in 0..<chunks.count {
        let partial = partials + chunk * partialCount
        if let dPointwise { axpy(o * c, alpha: 1, partial, dPointwise) }
        if let dDepthwise { axpy(c * taps, alpha: 1, partial + o * c, dDepthwise) }
    }
}
