// Elementwise kernels: SIMD16 bodies (and tails through the same SIMD functions), on raw buffers of n floats.
// The activations are the recurrent cell's choices (tanh, ReLU, identity, sigmoid) plus exp; each derivative
// is written in terms of the forward output y where that is cheaper (tanh' = 1 − y², σ' = y(1 − y)).

public typealias FloatVector = SIMD16<Float>

/// The sum of 16 lanes as a tree of halves, inlined. (The standard library's `sum()` is an out-of-line call that
/// adds lane by lane; in the dot-product and batch-norm loops that reduce every few vectors it was 3–4 % of a
/// CNN training step.)
@inline(__always)
public func horizontalSum(_ v: FloatVector) -> Float {
    let eight = v.lowHalf + v.highHalf, four = eight.lowHalf + eight.highHalf, two = four.lowHalf + four.highHalf
    return two[0] + two[1]
}

/// e^x for 16 lanes: Cephes-style range reduction x = n·ln2 + r, degree-6 polynomial for e^r, 2^n by exponent bits.
/// Inputs are clamped to [−87.3, 88.3], so results stay finite and normal.
@inline(__always)
public func exp(_ x: FloatVector) -> FloatVector {
    // Masked selects, not `clamped(lowerBound:upperBound:)`, which compiles to a per-lane scalar loop here.
    let low = FloatVector(repeating: -87.3), high = FloatVector(repeating: 88.3)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    let n = (clamped * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
    var r = clamped.addingProduct(n, FloatVector(repeating: -0.693_359_375))
    r = r.addingProduct(n, FloatVector(repeating: 2.121_944_4e-4))
    var p = r * 1.987_569_150_0e-4 + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = (p * (r * r)) + r + 1
    // 2^n by building the exponent field. n + 127 is turned into an integer by the 1.5·2^23 trick (adding it
    // leaves the integer in the low mantissa bits): the generic SIMD Float→Int32 conversion is a slow per-lane path.
    let shifted = unsafeBitCast(n + (12_582_912 + 127), to: SIMD16<Int32>.self) &- 0x4B40_0000
    return er * unsafeBitCast(shifted &<< 23, to: FloatVector.self)
}

/// tanh for 16 lanes: 1 − 2 / (e^{2x} + 1), exact to about 1e-7 absolute.
@inline(__always)
public func tanh(_ x: FloatVector) -> FloatVector {
    let e = exp(x * 2)
    return 1 - 2 / (e + 1)
}

/// The logistic sigmoid for 16 lanes.
@inline(__always)
public func sigmoid(_ x: FloatVector) -> FloatVector { 1 / (1 + exp(-x)) }

// The tail (n not a multiple of 16) runs through the same SIMD function, so a value never depends on its position
// in the buffer. With n ≥ 16 it is the last 16 floats as one more full vector, read before the body stores anything
// (out may alias an input exactly): its lanes before the tail get the body's values again, bit for bit, since every
// f is lane-wise. Only n < 16 copies into a zeroed vector. (Filling a vector lane by lane kept it on the stack and
// rewrote it whole per lane: col2im's 28–32-float rows spent 40% of a W3 step there.)

/// `count` < 16 floats from p in the low lanes of a zeroed vector.
@inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> FloatVector {
    var v = FloatVector()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
}

/// The low `count` < 16 lanes of v to p.
@inline(__always)
func storePartial<Scalar: SIMDScalar>(_ v: SIMD16<Scalar>, _ p: UnsafeMutablePointer<Scalar>, _ count: Int) {
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * MemoryLayout<Scalar>.stride) }
}

/// out[i] = f(x[i]) over n floats (f lane-wise).
@inline(__always)
public func mapElements(_ n: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        _ f: (FloatVector) -> FloatVector) {
    let rx = UnsafeRawPointer(x), ro = UnsafeMutableRawPointer(out)
    let body = n / 16 * 16, last = (n - 16) * 4
    if n < 16 {
        if n > 0 { storePartial(f(loadPartial(x, n)), out, n) }
        return
    }
    let tail = body < n ? f(rx.loadUnaligned(fromByteOffset: last, as: FloatVector.self)) : nil
    for i in stride(from: 0, to: body * 4, by: 64) {
        ro.storeBytes(of: f(rx.loadUnaligned(fromByteOffset: i, as: FloatVector.self)), toByteOffset: i, as: FloatVector.self)
    }
    if let tail { ro.storeBytes(of: tail, toByteOffset: last, as: FloatVector.self) }
}

/// out[i] = f(x[i], y[i]) over n floats (f lane-wise).
@inline(__always)
public func zipElements(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        _ f: (FloatVector, FloatVector) -> FloatVector) {
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y), ro = UnsafeMutableRawPointer(out)
    let body = n / 16 * 16, last = (n - 16) * 4
    if n < 16 {
        if n > 0 { storePartial(f(loadPartial(x, n), loadPartial(y, n)), out, n) }
        return
    }
    let tail = body < n ? f(rx.loadUnaligned(fromByteOffset: last, as: FloatVector.self),
                            ry.loadUnaligned(fromByteOffset: last, as: FloatVector.self)) : nil
    for i in stride(from: 0, to: body * 4, by: 64) {
        let value = f(rx.loadUnaligned(fromByteOffset: i, as: FloatVector.self), ry.loadUnaligned(fromByteOffset: i, as: FloatVector.self))
        ro.storeBytes(of: value, toByteOffset: i, as: FloatVector.self)
    }
    if let tail { ro.storeBytes(of: tail, toByteOffset: last, as: FloatVector.self) }
}

/// out[i] = f(x[i], y[i], z[i]) over n floats (derivatives that read input, output and upstream gradient).
@inline(__always)
public func zip3Elements(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafePointer<Float>,
                         _ out: UnsafeMutablePointer<Float>, _ f: (FloatVector, FloatVector, FloatVector) -> FloatVector) {
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y), rz = UnsafeRawPointer(z), ro = UnsafeMutableRawPointer(out)
    let body = n / 16 * 16, last = (n - 16) * 4
    if n < 16 {
        if n > 0 { storePartial(f(loadPartial(x, n), loadPartial(y, n), loadPartial(z, n)), out, n) }
        return
    }
    let tail = body < n ? f(rx.loadUnaligned(fromByteOffset: last, as: FloatVector.self),
                            ry.loadUnaligned(fromByteOffset: last, as: FloatVector.self),
                            rz.loadUnaligned(fromByteOffset: last, as: FloatVector.self)) : nil
    for i in stride(from: 0, to: body * 4, by: 64) {
        let value = f(rx.loadUnaligned(fromByteOffset: i, as: FloatVector.self), ry.loadUnaligned(fromByteOffset: i, as: FloatVector.self),
                      rz.loadUnaligned(fromByteOffset: i, as: FloatVector.self))
        ro.storeBytes(of: value, toByteOffset: i, as: FloatVector.self)
    }
    if let tail { ro.storeBytes(of: tail, toByteOffset: last, as: FloatVector.self) }
}

// Whole-batch elementwise passes (a CNN's activations, skip sums, gradient accumulation: millions of floats) are
// split over the kernels' threads; below `parallelElementsMinimum` floats, or inside a parallel region, they run
// on the calling thread. Chunks are multiples of 1,024 floats and every f is lane-wise, so the bits are the same
// however the work is split. (Run serially, these passes left the second core idle for ~8% of a W3 step.)

/// Floats below which an elementwise pass stays on the calling thread.
let parallelElementsMinimum = 1 << 16

/// body(start, count) over 0..<n in contiguous chunks, in parallel when n is large enough.
@inline(__always)
func forElementChunks(_ n: Int, _ body: (Int, Int) -> Void) {
    if n < parallelElementsMinimum { body(0, n); return }
    Parallel.forRanges(count: n, granule: 1024, minimumPerThread: parallelElementsMinimum / 2) { body($0.lowerBound, $0.count) }
}

/// `mapElements` over whole-batch tensors, split over threads.
@inline(__always)
public func parallelMapElements(_ n: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                _ f: (FloatVector) -> FloatVector) {
    forElementChunks(n) { start, count in mapElements(count, x + start, out + start, f) }
}

/// `zipElements` over whole-batch tensors, split over threads.
@inline(__always)
public func parallelZipElements(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                _ f: (FloatVector, FloatVector) -> FloatVector) {
    forElementChunks(n) { start, count in zipElements(count, x + start, y + start, out + start, f) }
}

/// `zip3Elements` over whole-batch tensors, split over threads.
@inline(__always)
public func parallelZip3Elements(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafePointer<Float>,
                                 _ out: UnsafeMutablePointer<Float>, _ f: (FloatVector, FloatVector, FloatVector) -> FloatVector) {
    forElementChunks(n) { start, count in zip3Elements(count, x + start, y + start, z + start, out + start, f) }
}

/// y += alpha · x over n floats.
@inline(__always)
public func axpy(_ n: Int, alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let a = FloatVector(repeating: alpha)
    zipElements(n, x, UnsafePointer(y), y) { xv, yv in yv.addingProduct(a, xv) }
}

/// The activation functions a recurrent cell node may pick, plus their derivatives.
public enum Activation: String, CaseIterable, Codable, Sendable {
    case tanh, relu, identity, sigmoid

    /// y = f(x) over 16 lanes.
    @inline(__always)
    public func forward(_ x: FloatVector) -> FloatVector {
        switch self {
        case .tanh: ENASCore.tanh(x)
        case .relu: x.replacing(with: 0, where: x .< 0)
        case .identity: x
        case .sigmoid: ENASCore.sigmoid(x)
        }
    }

    /// dL/dx from the output y = f(x) and dL/dy over 16 lanes (every choice's derivative is a function of y;
    /// for ReLU, y > 0 exactly where x > 0).
    @inline(__always)
    public func backward(y: FloatVector, dy: FloatVector) -> FloatVector {
        switch self {
        case .tanh: dy * (1 - y * y)
        case .relu: dy.replacing(with: 0, where: y .<= 0)
        case .identity: dy
        case .sigmoid: dy * y * (1 - y)
        }
    }
}
