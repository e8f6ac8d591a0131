// Strings, JSON and event callbacks across the ABI: NUL-terminated UTF-8 inputs, the two-call pattern for text
// outputs, JSON texts that stay valid when a metric is NaN or infinite, and delivery of events to a C callback.
#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import ENASCore

/// `int32_t (*enas_event_fn)(const char *event_json, void *user)`: a non-zero return asks the run to stop.
public typealias EventCallback = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Int32

// MARK: - Text in

/// The NUL-terminated UTF-8 string `argument`; NULL or invalid UTF-8 is `ENAS_ERR_INVALID_ARGUMENT`.
func readText(_ pointer: UnsafePointer<CChar>?, _ argument: String) throws -> String {
    guard let pointer else { throw ABIError.invalidArgument("\(argument) is NULL") }
    let length = strlen(pointer)
    return try pointer.withMemoryRebound(to: UInt8.self, capacity: length + 1) { bytes in
        let buffer = UnsafeBufferPointer(start: bytes, count: length)
        var iterator = buffer.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return String(decoding: buffer, as: UTF8.self)
            case .error:
                throw ABIError.invalidArgument(
                    "\(argument) is not valid UTF-8 (byte 0x\(String(buffer[offset], radix: 16)) at offset \(offset))")
            }
        }
    }
}

/// `text` in single quotes for a message, shortened to `limit` characters (configs and paths can be long).
func quoted(_ text: String, limit: Int = 120) -> String {
    text.count <= limit ? "'\(text)'" : "'\(text.prefix(limit))…' (\(text.utf8.count) bytes)"
}

// MARK: - Text out

/// Two-call pattern for text: writes the byte count including the terminating NUL to `*needed` (when not NULL)
/// and, when `buf` is not NULL, the text and its NUL to `buf[0..needed)`. `cap` smaller than that is an error
/// (after `*needed` is written), as is NULL for both `buf` and `needed`.
func writeText(
    _ text: String, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) throws {
    var bytes = Array(text.utf8)
    bytes.append(0)
    needed?.pointee = UInt(bytes.count)
    guard let buf else {
        guard cap == 0 else { throw ABIError.invalidArgument("buf is NULL with cap = \(cap)") }
        guard needed != nil else { throw ABIError.invalidArgument("buf and needed are both NULL") }
        return
    }
    guard cap >= UInt(bytes.count) else {
        throw ABIError.invalidArgument(
            "cap = \(cap) is smaller than the \(bytes.count) bytes needed (the text and its terminating NUL)")
    }
    bytes.withUnsafeBytes { source in
        UnsafeMutableRawPointer(buf).copyMemory(from: source.baseAddress!, byteCount: source.count)
    }
}

// MARK: - JSON

/// `value` with every NaN or infinite number replaced by null: JSON has no such numbers, and an exploding loss must
/// still reach the caller as a valid record.
private func finiteJSON(_ value: Any) -> Any {
    switch value {
    // Finite numbers stay as they are (an NSNumber from a loaded checkpoint keeps its integer or boolean kind).
    case let number as Double: return number.isFinite ? value : NSNull()
    case let number as Float: return number.isFinite ? value : NSNull()
    case let object as [String: Any]: return object.mapValues(finiteJSON)
    case let array as [Any]: return array.map(finiteJSON)
    default: return value
    }
}

/// The compact JSON text of a dictionary or array (keys sorted, non-finite numbers as null).
func jsonText(_ value: Any) throws -> String {
    let clean = finiteJSON(value)
    guard JSONSerialization.isValidJSONObject(clean) else {
        throw ABIError(status: .internal, message: "a record is not JSON-serializable: \(value)")
    }
    let data = try JSONSerialization.data(withJSONObject: clean, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

// MARK: - Events

/// Sends `event` to `callback` as JSON (valid only during the call); true to keep going, false when the callback
/// returned non-zero. No callback means keep going.
func deliver(_ event: SearchEvent, to callback: EventCallback?, user: UnsafeMutableRawPointer?) -> Bool {
    guard let callback else { return true }
    let text = (try? jsonText(event.record)) ?? "{}"
    return text.withCString { callback($0, user) } == 0
}
