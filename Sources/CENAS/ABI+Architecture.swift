// Architectures across the ABI: parse the authors' integer strings ("rnn" = enas_lm's 2N form, "rnn-v1" = the
// first code's f0-then-pairs form) or strict JSON, and write them back as strings, JSON, Graphviz DOT or one line.
import Foundation
import ENASCore

/// The object behind an `enas_arch *`: an immutable, validated recurrent cell.
final class ArchitectureObject: HandleObject {
    static let kind = HandleKind.arch
    let architecture: RecurrentCellArchitecture

    init(_ architecture: RecurrentCellArchitecture) { self.architecture = architecture }
}

/// The encoding named by the C string `argument` ("rnn" or "rnn-v1").
func readEncoding(_ pointer: UnsafePointer<CChar>?, _ argument: String) throws -> RecurrentCellArchitecture.Encoding {
    let name = try readText(pointer, argument)
    guard let encoding = RecurrentCellArchitecture.Encoding(rawValue: name) else {
        throw ABIError.invalidArgument(
            "\(argument) = \(quoted(name)) is not a known architecture form (known: 'rnn' = enas_lm's p1 f1 … pN fN, "
                + "'rnn-v1' = the first code's f0 p1 f1 … pN fN)")
    }
    return encoding
}

/// Keys the JSON form may hold, at the top level and per node; anything else is a typo and an error.
private let architectureKeys: Set<String> = ["first_activation", "nodes", "output"]
private let nodeKeys: Set<String> = ["previous", "activation"]

/// Decodes the strict JSON form; every failure is `ENAS_ERR_FORMAT` (a corrupt string).
private func decodeArchitecture(_ text: String) throws -> RecurrentCellArchitecture {
    func corrupt(_ message: String) -> ABIError { ABIError(status: .format, message: "json: \(message)") }
    let data = Data(text.utf8)
    guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
        throw corrupt("\(quoted(text)) is not valid JSON")
    }
    guard let object = parsed as? [String: Any] else {
        throw corrupt("must be a JSON object with keys first_activation, nodes, output")
    }
    if let unknown = Set(object.keys).subtracting(architectureKeys).sorted().first {
        throw corrupt("unknown key '\(unknown)' (known: first_activation, nodes, output)")
    }
    if let nodes = object["nodes"] as? [Any] {
        for (i, node) in nodes.enumerated() {
            guard let fields = node as? [String: Any] else {
                throw corrupt("nodes[\(i)] must be an object {\"previous\": int, \"activation\": name}")
            }
            if let unknown = Set(fields.keys).subtracting(nodeKeys).sorted().first {
                throw corrupt("unknown key 'nodes[\(i)].\(unknown)' (known: previous, activation)")
            }
        }
    }
    do {
        return try JSONDecoder().decode(RecurrentCellArchitecture.self, from: data)
    } catch let error as DecodingError {
        throw corrupt(describe(error))
    } catch let error as ENASError {
        throw corrupt(error.message)
    }
}

/// A decoding error as "key 'nodes.2.activation': …".
private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "key '\(path(context))': \(context.debugDescription)"
    case .keyNotFound(let key, let context):
        let prefix = path(context)
        return "key '\(prefix.isEmpty ? "" : prefix + ".")\(key.stringValue)' is missing"
    @unknown default:
        return "\(error)"
    }
}

/// The JSON form: {"first_activation": …, "nodes": [{"activation": …, "previous": …}, …], "output": …}.
func architectureJSON(_ architecture: RecurrentCellArchitecture) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(architecture), as: UTF8.self)
}

/// `int32_t enas_arch_parse(const char *text, const char *space, enas_arch **out)`
@_cdecl("enas_arch_parse")
public func enas_arch_parse(
    _ text: UnsafePointer<CChar>?, _ space: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_arch_parse") {
        let out = try required(out, "out")
        out.pointee = nil
        let text = try readText(text, "text")
        let encoding = try readEncoding(space, "space")
        let architecture = try RecurrentCellArchitecture.parse(text, encoding: encoding)
        out.pointee = HandleRegistry.shared.register(ArchitectureObject(architecture))
    }
}

/// `int32_t enas_arch_from_json(const char *json, enas_arch **out)`
@_cdecl("enas_arch_from_json")
public func enas_arch_from_json(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall("enas_arch_from_json") {
        let out = try required(out, "out")
        out.pointee = nil
        let architecture = try decodeArchitecture(try readText(json, "json"))
        out.pointee = HandleRegistry.shared.register(ArchitectureObject(architecture))
    }
}

/// `int32_t enas_arch_to_string(const enas_arch *arch, const char *space, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_to_string")
public func enas_arch_to_string(
    _ arch: OpaquePointer?, _ space: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_to_string") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        let encoding = try readEncoding(space, "space")
        try writeText(try object.architecture.encoded(as: encoding), buf, cap, needed)
    }
}

/// `int32_t enas_arch_to_json(const enas_arch *arch, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_to_json")
public func enas_arch_to_json(
    _ arch: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_to_json") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        try writeText(try architectureJSON(object.architecture), buf, cap, needed)
    }
}

/// `int32_t enas_arch_to_dot(const enas_arch *arch, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_to_dot")
public func enas_arch_to_dot(
    _ arch: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_to_dot") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        try writeText(object.architecture.dot, buf, cap, needed)
    }
}

/// `int32_t enas_arch_describe(const enas_arch *arch, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_describe")
public func enas_arch_describe(
    _ arch: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_describe") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        try writeText(object.architecture.description, buf, cap, needed)
    }
}

/// `int32_t enas_arch_free(enas_arch *arch)`
@_cdecl("enas_arch_free")
public func enas_arch_free(_ arch: OpaquePointer?) -> Int32 {
    abiCall("enas_arch_free") {
        try HandleRegistry.shared.release(arch, as: ArchitectureObject.self, argument: "arch")
    }
}
