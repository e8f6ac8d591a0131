/// A dense Float32 array: a shape plus contiguous row-major storage. Value semantics (copy-on-write through
/// `Array`); no autodiff here — `Variable` wraps a tensor for that.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    /// Dimensions, outermost first (NCHW for images, (rows, cols) for matrices).
    public private(set) var shape: [Int]
    /// Row-major elements; `storage.count == shape.product`.
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`. Traps on a negative shape: internal callers only; see `init(shape:storage:)`.
    public init(zeros shape: [Int], value: Float = 0) {
        _ = MemoryPolicy.applied
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `storage`; throws when the counts disagree.
    public init(shape: [Int], storage: [Float]) throws {
        let count = try Shape.elementCount(shape, op: "Tensor")
        try ensureShape(count == storage.count,
                        "[Tensor] shape \(Shape.describe(shape)) needs \(count) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor whose elements come from `generator` in order (for initializers and tests).
    public init(shape: [Int], generator: () -> Float) {
        self.shape = shape
        self.storage = (0..<shape.reduce(1, *)).map { _ in generator() }
    }

    /// A tensor of `shape` whose elements `body` writes, every one of them: the storage is not zero-filled first.
    /// For kernels that overwrite their whole output (the zero fill was a full extra pass over every fresh op result).
    /// Traps on a negative shape: internal callers only.
    init(uninitializedShape shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void) {
        _ = MemoryPolicy.applied
        let count = shape.reduce(1, *)
        self.shape = shape
        if count == 0 {
            self.storage = []
            var scratch: Float = 0
            body(&scratch)
            return
        }
        self.storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer.baseAddress!)
            initialized = count
        }
    }

    /// A scalar (shape `[]`).
    public init(scalar: Float) {
        shape = []
        storage = [scalar]
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    /// The only element of a one-element tensor.
    public var scalar: Float { storage[0] }

    /// The same elements under another shape with the same count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }

    /// Rows `rows` along the first axis (a row block of a batch).
    func rows(_ rows: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        return makeTensor([rows.count] + shape.dropFirst()) { out in
            withPointer { out.update(from: $0 + rows.lowerBound * rowSize, count: rows.count * rowSize) }
        }
    }

    /// `parts` (each with the same trailing shape) one after another along the first axis.
    static func stackingRows(_ parts: [Tensor]) -> Tensor {
        if parts.count == 1 { return parts[0] }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        return makeTensor([rows] + parts[0].shape.dropFirst()) { out in
            var offset = 0
            for part in parts {
                part.withPointer { (out + offset).update(from: $0, count: part.count) }
                offset += part.count
            }
        }
    }

    public var description: String {
        let head = storage.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(Shape.describe(shape))[\(head)\(count > 8 ? ", …" : "")]"
    }
}

import Foundation
