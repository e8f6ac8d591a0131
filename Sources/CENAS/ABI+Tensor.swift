// Tensors across the ABI: create from a caller's array (copied and converted to Float32), query the shape, copy the
// elements out by the two-call pattern, free.
#if canImport(Glibc)
    import Glibc
#endif
import ENASCore

/// The object behind an `enas_tensor *`. Mutable in place (`enas_gemm` writes C), used by one thread at a time.
final class TensorObject: HandleObject, @unchecked Sendable {
    static let kind = HandleKind.tensor
    var tensor: Tensor

    init(_ tensor: Tensor) { self.tensor = tensor }
}

/// The element types of enas.h (`ENAS_DTYPE_*`). Append-only: the raw values are ABI.
enum ABIDType: Int32 {
    case f32 = 0
    case u8 = 1
    case i32 = 2
    case i64 = 3

    /// Bytes per element.
    var size: Int {
        switch self {
        case .f32, .i32: 4
        case .u8: 1
        case .i64: 8
        }
    }
}

/// The most dimensions an array crossing the ABI may have (`ENAS_MAX_NDIM`).
let maximumRank: Int32 = 8

/// Reads `ndim` dimensions from `shape`, checking the rank, each dimension and the element count, which must fit in
/// this machine's memory at `elementSize` bytes each (so a hostile shape is an error, not a failed allocation).
/// Returns the dimensions and the element count.
func readShape(
    _ shape: UnsafePointer<Int64>?, ndim: Int32, elementSize: Int, argument: String = "shape"
) throws -> (dims: [Int], count: Int) {
    guard ndim >= 0, ndim <= maximumRank else {
        throw ABIError.invalidArgument("ndim = \(ndim) is outside 0...\(maximumRank)")
    }
    guard ndim == 0 || shape != nil else { throw ABIError.invalidArgument("\(argument) is NULL with ndim = \(ndim)") }
    var dims: [Int] = []
    dims.reserveCapacity(Int(ndim))
    var count = 1
    var overflow = false
    for i in 0..<Int(ndim) {
        let d = shape![i]
        guard d >= 0 else { throw ABIError.shape("\(argument)[\(i)] = \(d) is negative") }
        dims.append(Int(d))
        if !overflow {
            let (product, didOverflow) = count.multipliedReportingOverflow(by: Int(d))
            overflow = didOverflow
            count = product
        }
    }
    // A zero dimension makes the count 0 even after an overflowing prefix.
    if dims.contains(0) { return (dims, 0) }
    let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: elementSize)
    guard !overflow, !bytesOverflow else {
        throw ABIError.shape("\(argument) \(Shape.describe(dims)) has more elements than a 64-bit size can count")
    }
    let memory = physicalMemoryBytes()
    guard bytes <= memory else {
        throw ABIError.shape(
            "\(argument) \(Shape.describe(dims)) needs \(bytes) bytes, more than this machine's \(memory) bytes of memory")
    }
    return (dims, count)
}

/// The machine's physical memory in bytes (Int.max when unknown).
private func physicalMemoryBytes() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0 else { return Int.max }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
    return overflow ? Int.max : bytes
}

/// Converts `count` elements of `dtype` at `data` (row-major, any alignment) to Float32.
func readElements(_ data: UnsafeRawPointer, dtype: ABIDType, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        guard count > 0, let out = buffer.baseAddress else { initialized = 0; return }
        switch dtype {
        case .f32:
            memcpy(out, data, count * MemoryLayout<Float>.stride)
        case .u8:
            let bytes = data.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { out[i] = Float(bytes[i]) }
        case .i32:
            for i in 0..<count { out[i] = Float(data.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        case .i64:
            for i in 0..<count { out[i] = Float(data.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
        }
        initialized = count
    }
}

/// `int32_t enas_tensor_create(const void *data, int32_t dtype, const int64_t *shape, int32_t ndim,
///                             enas_tensor **out)`
@_cdecl("enas_tensor_create")
public func enas_tensor_create(
    _ data: UnsafeRawPointer?, _ dtype: Int32, _ shape: UnsafePointer<Int64>?, _ ndim: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_tensor_create") {
        let out = try required(out, "out")
        out.pointee = nil
        guard let type = ABIDType(rawValue: dtype) else {
            throw ABIError.invalidArgument(
                "dtype = \(dtype) is not an ENAS_DTYPE_* code (0 f32, 1 u8, 2 i32, 3 i64)")
        }
        let (dims, count) = try readShape(shape, ndim: ndim, elementSize: type.size)
        guard count == 0 || data != nil else {
            throw ABIError.invalidArgument("data is NULL for shape \(Shape.describe(dims)) with \(count) elements")
        }
        let storage = data.map { readElements($0, dtype: type, count: count) } ?? []
        let tensor = try Tensor(shape: dims, storage: storage)
        out.pointee = HandleRegistry.shared.register(TensorObject(tensor))
    }
}

/// `int32_t enas_tensor_ndim(const enas_tensor *tensor, int32_t *ndim_out)`
@_cdecl("enas_tensor_ndim")
public func enas_tensor_ndim(_ tensor: OpaquePointer?, _ ndimOut: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall("enas_tensor_ndim") {
        let object = try HandleRegistry.shared.lookup(tensor, as: TensorObject.self, argument: "tensor")
        let ndimOut = try required(ndimOut, "ndim_out")
        ndimOut.pointee = Int32(object.tensor.rank)
    }
}

/// `int32_t enas_tensor_shape(const enas_tensor *tensor, int64_t *shape, int32_t cap, int32_t *ndim_out)`
@_cdecl("enas_tensor_shape")
public func enas_tensor_shape(
    _ tensor: OpaquePointer?, _ shape: UnsafeMutablePointer<Int64>?, _ cap: Int32,
    _ ndimOut: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall("enas_tensor_shape") {
        let object = try HandleRegistry.shared.lookup(tensor, as: TensorObject.self, argument: "tensor")
        let ndimOut = try required(ndimOut, "ndim_out")
        guard cap >= 0 else { throw ABIError.invalidArgument("cap = \(cap) is negative") }
        let dims = object.tensor.shape
        ndimOut.pointee = Int32(dims.count)
        guard let shape else {
            guard cap == 0 else { throw ABIError.invalidArgument("shape is NULL with cap = \(cap)") }
            return
        }
        guard Int(cap) >= dims.count else {
            throw ABIError.invalidArgument("cap = \(cap) is smaller than the tensor's ndim \(dims.count)")
        }
        for (i, d) in dims.enumerated() { shape[i] = Int64(d) }
    }
}

/// `int32_t enas_tensor_copy_out(const enas_tensor *tensor, float *buf, size_t cap_elements, size_t *needed)`
@_cdecl("enas_tensor_copy_out")
public func enas_tensor_copy_out(
    _ tensor: OpaquePointer?, _ buf: UnsafeMutablePointer<Float>?, _ capElements: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_tensor_copy_out") {
        let object = try HandleRegistry.shared.lookup(tensor, as: TensorObject.self, argument: "tensor")
        let count = object.tensor.count
        needed?.pointee = UInt(count)
        guard let buf else {
            guard capElements == 0 else {
                throw ABIError.invalidArgument("buf is NULL with cap_elements = \(capElements)")
            }
            guard needed != nil else { throw ABIError.invalidArgument("buf and needed are both NULL") }
            return
        }
        guard capElements >= UInt(count) else {
            throw ABIError.invalidArgument(
                "cap_elements = \(capElements) is smaller than the tensor's \(count) elements")
        }
        object.tensor.storage.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress, count > 0 else { return }
            buf.update(from: base, count: count)
        }
    }
}

/// `int32_t enas_tensor_free(enas_tensor *tensor)`
@_cdecl("enas_tensor_free")
public func enas_tensor_free(_ tensor: OpaquePointer?) -> Int32 {
    abiCall("enas_tensor_free") {
        try HandleRegistry.shared.release(tensor, as: TensorObject.self, argument: "tensor")
    }
}
