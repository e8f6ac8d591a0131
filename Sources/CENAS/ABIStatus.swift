// Status codes, the thread-local last error, and `abiCall`, the wrapper every exported function runs its body in.
// A Swift trap inside an exported function kills the host process (a Python kernel, a REPL), so each entry point
// validates its arguments with `guard`s that throw, and `abiCall` turns every thrown error into a status code plus
// a message that names the function.
#if canImport(Glibc)
    import Glibc
#endif
import ENASCore

/// The status codes of enas.h (`ENAS_OK`, `ENAS_ERR_*`). Append-only: the raw values are ABI.
enum ABIStatus: Int32, CaseIterable {
    case ok = 0
    case invalidArgument = 1
    case invalidHandle = 2
    case shape = 3
    case io = 4
    case format = 5
    case numeric = 6
    case cancelled = 7
    case `internal` = 8

    /// The static text `enas_status_string` returns.
    var text: String {
        switch self {
        case .ok: "ENAS_OK: success"
        case .invalidArgument: "ENAS_ERR_INVALID_ARGUMENT: an argument is outside its domain"
        case .invalidHandle: "ENAS_ERR_INVALID_HANDLE: a NULL, stale, freed or wrong-kind handle"
        case .shape: "ENAS_ERR_SHAPE: shapes do not fit together"
        case .io: "ENAS_ERR_IO: a file cannot be opened, read or written"
        case .format: "ENAS_ERR_FORMAT: a corrupt, truncated or foreign file or string"
        case .numeric: "ENAS_ERR_NUMERIC: a NaN or infinite value"
        case .cancelled: "ENAS_ERR_CANCELLED: the caller asked to stop"
        case .internal: "ENAS_ERR_INTERNAL: an internal error of the library"
        }
    }
}

/// A failure detected by the ABI layer itself (a NULL pointer, a bad handle, a count out of range).
/// Its message does not repeat the function name: `abiCall` prefixes it.
struct ABIError: Error {
    let status: ABIStatus
    let message: String

    static func invalidArgument(_ message: String) -> ABIError { ABIError(status: .invalidArgument, message: message) }
    static func invalidHandle(_ message: String) -> ABIError { ABIError(status: .invalidHandle, message: message) }
    static func shape(_ message: String) -> ABIError { ABIError(status: .shape, message: message) }
}

/// Runs the body of the exported function `function`: `ENAS_OK` when it returns, else the status of the thrown
/// error with the thread's last error set to `"function: message"`.
@inline(__always)
func abiCall(_ function: String, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return ABIStatus.ok.rawValue
    } catch let error as ABIError {
        return fail(function, error.status, error.message)
    } catch let error as ENASError {
        return fail(function, status(of: error), error.message)
    } catch {
        return fail(function, .internal, "unexpected error: \(error)")
    }
}

/// The status code of a core error.
func status(of error: ENASError) -> ABIStatus {
    switch error {
    case .invalidArgument: .invalidArgument
    case .shape: .shape
    case .io: .io
    case .format: .format
    case .numeric: .numeric
    case .cancelled: .cancelled
    }
}

/// Records `"function: message"` as this thread's last error and returns `status`.
private func fail(_ function: String, _ status: ABIStatus, _ message: String) -> Int32 {
    setLastError(message.hasPrefix(function + ":") ? message : "\(function): \(message)")
    return status.rawValue
}

// MARK: - Argument checks

/// `pointer`, or an `ENAS_ERR_INVALID_ARGUMENT` naming `argument` when it is NULL.
@inline(__always)
func required<P>(_ pointer: P?, _ argument: String) throws -> P {
    guard let pointer else { throw ABIError.invalidArgument("\(argument) is NULL") }
    return pointer
}

// MARK: - Thread-local last error

/// One pthread-key slot per thread holding a `strdup`'d message; the key's destructor frees it when the thread ends.
/// Out of pthread keys at library load is not an input-dependent condition: it is a broken process.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { free($0) }
    precondition(rc == 0, "libenas: pthread_key_create failed (\(rc))")
    return key
}()

/// Static C strings live for the whole process: `strdup` once, never freed.
nonisolated(unsafe) let emptyCString: UnsafePointer<CChar> = staticCString("")

/// A copy of `text` as a C string that is never freed (for the static strings of the ABI).
func staticCString(_ text: String) -> UnsafePointer<CChar> {
    guard let copy = strdup(text) else { fatalError("libenas: out of memory for a static string") }
    return UnsafePointer(copy)
}

/// Replaces this thread's last error with `message` (the previous string is freed).
func setLastError(_ message: String) {
    let previous = pthread_getspecific(lastErrorKey)
    // strdup fails only when out of memory; an empty slot is then better than a trap.
    let copy = strdup(message)
    pthread_setspecific(lastErrorKey, copy.map { UnsafeRawPointer($0) })
    free(previous)
}

/// This thread's last error, or "" when no call has failed on it.
func lastErrorCString() -> UnsafePointer<CChar> {
    guard let slot = pthread_getspecific(lastErrorKey) else { return emptyCString }
    return UnsafePointer(slot.assumingMemoryBound(to: CChar.self))
}
