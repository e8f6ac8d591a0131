// What searches and fixed models share across the ABI: named parameter access (names as JSON, shape, copy out,
// set from a caller's array) and run control (a thread-safe cancel request, and a guard against re-entering a
// handle from its own event callback).
import Synchronization
import ENASCore

/// Cancellation and re-entrancy state of a handle that runs long computations.
final class RunControl: Sendable {
    /// Set by `enas_*_request_cancel` from any thread; consumed when a run returns.
    let cancelRequested = Atomic<Bool>(false)
    /// True while a run, derive or parameter write is inside the core.
    private let busy = Atomic<Bool>(false)
    /// The C type's name without `enas_` ("search", "model") for messages.
    let kind: String

    init(kind: String) { self.kind = kind }

    /// Runs `body` unless another call on this handle is inside the core (the event callback calling back into its
    /// own handle, or a second thread breaking the one-thread-per-handle rule): that is ENAS_ERR_INVALID_ARGUMENT.
    func exclusive<T>(_ body: () throws -> T) throws -> T {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw ABIError.invalidArgument(
                "the \(kind) is busy in another call (inside its event callback only reading calls, save and "
                    + "request_cancel are allowed)")
        }
        defer { busy.store(false, ordering: .releasing) }
        return try body()
    }

    /// Runs `body` with a cancel check for its event loop. A request stays pending until it stops a run: one made
    /// between runs (or during a run's last step) stops the next run before its first step.
    func run(_ body: (_ stopRequested: () -> Bool) throws -> Void) throws {
        try exclusive {
            if cancelRequested.exchange(false, ordering: .relaxed) {
                throw ENASError.cancelled("stopped by request_cancel before the first step")
            }
            do {
                try body { cancelRequested.load(ordering: .relaxed) }
            } catch let error as ENASError {
                if case .cancelled = error { cancelRequested.store(false, ordering: .relaxed) }
                throw error
            }
        }
    }
}

/// The names of `layers`' parameters as a sorted JSON array.
func parameterNamesJSON(_ layers: [any Layer]) throws -> String {
    try jsonText(layers.flatMap { $0.namedParameters().keys }.sorted())
}

/// The layer holding the parameter `name`, and its current value.
func findParameter(_ layers: [any Layer], _ name: String) throws -> (layer: any Layer, value: Tensor) {
    for layer in layers {
        if let value = layer.namedParameters()[name] { return (layer, value) }
    }
    throw ABIError.invalidArgument("name = \(quoted(name)) is not a parameter (list them with the names_json call)")
}

/// Shape of the parameter `name` by the two-call pattern of `enas_tensor_shape`.
func writeParameterShape(
    _ layers: [any Layer], _ name: UnsafePointer<CChar>?, _ shape: UnsafeMutablePointer<Int64>?, _ cap: Int32,
    _ ndimOut: UnsafeMutablePointer<Int32>?
) throws {
    let name = try readText(name, "name")
    let ndimOut = try required(ndimOut, "ndim_out")
    guard cap >= 0 else { throw ABIError.invalidArgument("cap = \(cap) is negative") }
    let dims = try findParameter(layers, name).value.shape
    ndimOut.pointee = Int32(dims.count)
    guard let shape else {
        guard cap == 0 else { throw ABIError.invalidArgument("shape is NULL with cap = \(cap)") }
        return
    }
    guard Int(cap) >= dims.count else {
        throw ABIError.invalidArgument("cap = \(cap) is smaller than the parameter's ndim \(dims.count)")
    }
    for (i, d) in dims.enumerated() { shape[i] = Int64(d) }
}

/// Values of the parameter `name` by the two-call pattern of `enas_tensor_copy_out`.
func copyParameterOut(
    _ layers: [any Layer], _ name: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<Float>?, _ capElements: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) throws {
    let name = try readText(name, "name")
    let value = try findParameter(layers, name).value
    needed?.pointee = UInt(value.count)
    guard let buf else {
        guard capElements == 0 else { throw ABIError.invalidArgument("buf is NULL with cap_elements = \(capElements)") }
        guard needed != nil else { throw ABIError.invalidArgument("buf and needed are both NULL") }
        return
    }
    guard capElements >= UInt(value.count) else {
        throw ABIError.invalidArgument(
            "cap_elements = \(capElements) is smaller than the parameter's \(value.count) elements")
    }
    value.storage.withUnsafeBufferPointer { source in
        guard let base = source.baseAddress, !source.isEmpty else { return }
        buf.update(from: base, count: source.count)
    }
}

/// Replaces the parameter `name` with the caller's array (converted to float32); its shape must equal the
/// parameter's (ENAS_ERR_SHAPE otherwise, with nothing changed).
func setParameter(
    _ layers: [any Layer], _ name: UnsafePointer<CChar>?, _ data: UnsafeRawPointer?, _ dtype: Int32,
    _ shape: UnsafePointer<Int64>?, _ ndim: Int32
) throws {
    let name = try readText(name, "name")
    guard let type = ABIDType(rawValue: dtype) else {
        throw ABIError.invalidArgument("dtype = \(dtype) is not an ENAS_DTYPE_* code (0 f32, 1 u8, 2 i32, 3 i64)")
    }
    let (dims, count) = try readShape(shape, ndim: ndim, elementSize: type.size)
    let (layer, current) = try findParameter(layers, name)
    guard dims == current.shape else {
        throw ABIError.shape(
            "parameter '\(name)' has shape \(Shape.describe(current.shape)), got shape \(Shape.describe(dims))")
    }
    guard count == 0 || data != nil else {
        throw ABIError.invalidArgument("data is NULL for shape \(Shape.describe(dims)) with \(count) elements")
    }
    let storage = data.map { readElements($0, dtype: type, count: count) } ?? []
    try layer.loadParameters([name: try Tensor(shape: dims, storage: storage)])
}
