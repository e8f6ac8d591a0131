import Foundation

/// Strict JSON configs: snake_case keys laid over a preset. Every key the caller gives must exist in the preset's
/// own encoding (recursively), so a typo is an error that names it instead of a silently ignored setting.
public enum StrictJSON {
    /// Decodes `json` (an object, possibly partial) over `defaults`. `context` prefixes error messages.
    public static func decode<T: Codable>(_ type: T.Type, from json: String, over defaults: T, context: String) throws -> T {
        let base = try object(encode(defaults), context: context)
        guard let data = json.data(using: .utf8), let given = try? JSONSerialization.jsonObject(with: data) else {
            throw ENASError.format("[\(context)] the config is not valid JSON")
        }
        guard let overrides = given as? [String: Any] else { throw ENASError.format("[\(context)] the config must be a JSON object") }
        let merged = try merge(overrides, into: base, path: "", context: context)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            throw ENASError.invalidArgument("[\(context)] \(describe(error))")
        }
    }

    /// The snake_case JSON of `value` (sorted keys).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func object(_ data: Data, context: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ENASError.invalidArgument("[\(context)] defaults do not encode as an object")
        }
        return object
    }

    static func merge(_ overrides: [String: Any], into base: [String: Any], path: String, context: String) throws -> [String: Any] {
        var result = base
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            let here = path.isEmpty ? key : "\(path).\(key)"
            guard let existing = base[key] else {
                let known = base.keys.sorted().joined(separator: ", ")
                throw ENASError.invalidArgument("[\(context)] unknown config key '\(here)' (known here: \(known))")
            }
            if let nestedBase = existing as? [String: Any] {
                guard let nested = value as? [String: Any] else {
                    throw ENASError.invalidArgument("[\(context)] config key '\(here)' must be an object")
                }
                result[key] = try merge(nested, into: nestedBase, path: here, context: context)
            } else {
                result[key] = value
            }
        }
        return result
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "config key '\(path(c))': \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "config key '\(path(c)).\(key.stringValue)' is missing"
        @unknown default: return "\(error)"
        }
    }
}
