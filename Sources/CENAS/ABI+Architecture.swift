// Architectures across the ABI: parse the authors' integer strings ("rnn" = enas_lm's 2N form, "rnn-v1" = the
// first code's f0-then-pairs form, "macro", "micro") or strict JSON, and write them back as strings, JSON, Graphviz
// DOT or one line.
import Foundation
import ENASCore

/// An architecture of any space.
enum AnyArchitecture: Sendable {
    case recurrent(RecurrentCellArchitecture)
    case image(ImageArchitecture)

    /// "rnn", "macro" or "micro".
    var space: String {
        switch self {
        case .recurrent: "rnn"
        case .image(let a): a.kind.rawValue
        }
    }
}

/// The object behind an `enas_arch *`: an immutable, validated architecture of one space.
final class ArchitectureObject: HandleObject {
    static let kind = HandleKind.arch
    let architecture: AnyArchitecture

    init(_ architecture: AnyArchitecture) { self.architecture = architecture }
    init(_ cell: RecurrentCellArchitecture) { architecture = .recurrent(cell) }
    init(_ image: ImageArchitecture) { architecture = .image(image) }

    /// The recurrent cell, or an error naming `function`'s need.
    func recurrent(_ what: String) throws -> RecurrentCellArchitecture {
        guard case .recurrent(let cell) = architecture else {
            throw ABIError.invalidArgument("\(what) needs a recurrent cell ('rnn'), got a \(architecture.space) architecture")
        }
        return cell
    }

    func image(_ what: String) throws -> ImageArchitecture {
        guard case .image(let a) = architecture else {
            throw ABIError.invalidArgument("\(what) needs a CNN architecture ('macro' or 'micro'), got a recurrent cell")
        }
        return a
    }
}

/// An architecture string form: a recurrent cell's encoding or a CNN space.
enum ArchitectureForm {
    case recurrent(RecurrentCellArchitecture.Encoding)
    case image(ImageSpaceKind)
}

/// The form named by the C string `argument` ("rnn", "rnn-v1", "macro" or "micro").
func readForm(_ pointer: UnsafePointer<CChar>?, _ argument: String) throws -> ArchitectureForm {
    let name = try readText(pointer, argument)
    if let encoding = RecurrentCellArchitecture.Encoding(rawValue: name) { return .recurrent(encoding) }
    if let kind = ImageSpaceKind(rawValue: name) { return .image(kind) }
    throw ABIError.invalidArgument(
        "\(argument) = \(quoted(name)) is not a known architecture form (known: 'rnn' = enas_lm's p1 f1 … pN fN, "
            + "'rnn-v1' = the first code's f0 p1 f1 … pN fN, 'macro' = per layer op then skip bits, "
            + "'micro' = normal then reduction cell, per block idx op idx op)")
}

/// Keys the JSON form may hold, at the top level and per node; anything else is a typo and an error.
private let architectureKeys: Set<String> = ["first_activation", "nodes", "output"]
private let nodeKeys: Set<String> = ["previous", "activation"]

/// Keys of the CNN spaces' JSON forms.
private let imageArchitectureKeys: [String: Set<String>] = ["macro": ["space", "layers"], "micro": ["space", "normal", "reduce"]]

/// Decodes the strict JSON form of any space; every failure is `ENAS_ERR_FORMAT` (a corrupt string).
private func decodeArchitecture(_ text: String) throws -> AnyArchitecture {
    func corrupt(_ message: String) -> ABIError { ABIError(status: .format, message: "json: \(message)") }
    let data = Data(text.utf8)
    guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
        throw corrupt("\(quoted(text)) is not valid JSON")
    }
    guard let object = parsed as? [String: Any] else {
        throw corrupt("must be a JSON object with keys first_activation, nodes, output")
    }
    if let space = object["space"] {
        guard let name = space as? String, let known = imageArchitectureKeys[name] else {
            throw corrupt("space \(space) is not 'macro' or 'micro' (a recurrent cell's JSON has no space key)")
        }
        if let unknown = Set(object.keys).subtracting(known).sorted().first {
            throw corrupt("unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        do { return .image(try JSONDecoder().decode(ImageArchitecture.self, from: data)) } catch let error as DecodingError {
            throw corrupt(describe(error))
        } catch let error as ENASError {
            throw corrupt(error.message)
        }
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
        return .recurrent(try JSONDecoder().decode(RecurrentCellArchitecture.self, from: data))
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

/// The JSON form: {"first_activation": …, "nodes": [{"activation": …, "previous": …}, …], "output": …} for a cell,
/// {"space": "macro", "layers": […]} or {"space": "micro", "normal": […], "reduce": […]} for a CNN.
func architectureJSON(_ architecture: AnyArchitecture) throws -> String {
    switch architecture {
    case .recurrent(let cell):
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(cell), as: UTF8.self)
    case .image(let a): return try a.json()
    }
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
        let architecture: AnyArchitecture
        switch try readForm(space, "space") {
        case .recurrent(let encoding): architecture = .recurrent(try RecurrentCellArchitecture.parse(text, encoding: encoding))
        case .image(let kind): architecture = .image(try ImageArchitecture.parse(text, kind: kind))
        }
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
        let text: String
        switch (try readForm(space, "space"), object.architecture) {
        case (.recurrent(let encoding), .recurrent(let cell)): text = try cell.encoded(as: encoding)
        case (.image(let kind), .image(let a)) where a.kind == kind: text = a.encoded
        default:
            throw ABIError.invalidArgument("space = \(quoted(try readText(space, "space"))) cannot write a \(object.architecture.space) architecture")
        }
        try writeText(text, buf, cap, needed)
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
        switch object.architecture {
        case .recurrent(let cell): try writeText(cell.dot, buf, cap, needed)
        case .image(.macro(let a)): try writeText(a.dot, buf, cap, needed)
        case .image(.micro(let a)): try writeText(a.dot, buf, cap, needed)
        }
    }
}

/// `int32_t enas_arch_describe(const enas_arch *arch, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_describe")
public func enas_arch_describe(
    _ arch: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_describe") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        switch object.architecture {
        case .recurrent(let cell): try writeText(cell.description, buf, cap, needed)
        case .image(let a): try writeText(a.description, buf, cap, needed)
        }
    }
}

/// `int32_t enas_arch_to_dot_cell(const enas_arch *arch, const char *cell, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_to_dot_cell")
public func enas_arch_to_dot_cell(
    _ arch: OpaquePointer?, _ cell: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_to_dot_cell") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        let cell = try readText(cell, "cell")
        guard case .image(.micro(let a)) = object.architecture else {
            throw ABIError.invalidArgument("arch is a \(object.architecture.space) architecture; only micro architectures have cells")
        }
        guard cell == "normal" || cell == "reduce" else { throw ABIError.invalidArgument("cell = \(quoted(cell)) is not 'normal' or 'reduce'") }
        try writeText(try a.dot(cell: cell), buf, cap, needed)
    }
}

/// `int32_t enas_arch_space(const enas_arch *arch, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_arch_space")
public func enas_arch_space(
    _ arch: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_arch_space") {
        let object = try HandleRegistry.shared.lookup(arch, as: ArchitectureObject.self, argument: "arch")
        try writeText(object.architecture.space, buf, cap, needed)
    }
}

/// `int32_t enas_arch_free(enas_arch *arch)`
@_cdecl("enas_arch_free")
public func enas_arch_free(_ arch: OpaquePointer?) -> Int32 {
    abiCall("enas_arch_free") {
        try HandleRegistry.shared.release(arch, as: ArchitectureObject.self, argument: "arch")
    }
}
