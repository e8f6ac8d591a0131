/// The one error type of ENASCore. Every case carries a message that names the operation and the offending value,
/// e.g. `"[conv2d] input has 3 channels, weight expects 16"`. The C ABI maps each case to one status code.
public enum ENASError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An argument outside its domain: a negative size, an unknown name, a bad config value.
    case invalidArgument(String)
    /// Shapes that do not fit together.
    case shape(String)
    /// A file that cannot be opened, read or written.
    case io(String)
    /// A file or string that is corrupt, truncated or of a foreign format.
    case format(String)
    /// A NaN or infinite loss or gradient.
    case numeric(String)
    /// The caller asked to stop.
    case cancelled(String)

    public var message: String {
        switch self {
        case .invalidArgument(let m), .shape(let m), .io(let m), .format(let m), .numeric(let m), .cancelled(let m): m
        }
    }
    public var description: String { message }
}

/// Throws `ENASError.shape` with `message` unless `condition` holds.
@inline(__always)
func ensureShape(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ENASError.shape(message()) }
}

/// Throws `ENASError.invalidArgument` with `message` unless `condition` holds.
@inline(__always)
func ensureArgument(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ENASError.invalidArgument(message()) }
}
