/// The value a `Defaulted` config field takes when its key is missing from decoded JSON.
public protocol FieldDefault {
    associatedtype Value: Codable & Equatable & Sendable
    static var value: Value { get }
}

/// A Codable config field that decodes to `D.value` when its key is absent, so configs saved inside checkpoints
/// before the field existed still load. Encodes as the plain value (the JSON keeps its flat snake_case form).
@propertyWrapper
public struct Defaulted<D: FieldDefault>: Codable, Equatable, Sendable {
    public var wrappedValue: D.Value

    public init(wrappedValue: D.Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(D.Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    /// Synthesized decoders call this for `Defaulted` fields: a missing key gives the default.
    public func decode<D>(_ type: Defaulted<D>.Type, forKey key: Key) throws -> Defaulted<D> {
        try decodeIfPresent(type, forKey: key) ?? Defaulted(wrappedValue: D.value)
    }
}
