import Foundation

/// The two CNN search spaces.
public enum ImageSpaceKind: String, Codable, Sendable, CaseIterable {
    case macro, micro
}

/// An architecture of either CNN space, so one image search, retraining and C handle serve both. Its JSON form is
/// the space's own object plus `"space": "macro" | "micro"`.
public enum ImageArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    case macro(MacroArchitecture)
    case micro(MicroArchitecture)

    public var kind: ImageSpaceKind {
        switch self {
        case .macro: .macro
        case .micro: .micro
        }
    }

    /// Parses the authors' integer string of `kind`.
    public static func parse(_ text: String, kind: ImageSpaceKind) throws -> ImageArchitecture {
        switch kind {
        case .macro: .macro(try MacroArchitecture.parse(text))
        case .micro: .micro(try MicroArchitecture.parse(text))
        }
    }

    /// The authors' integer string.
    public var encoded: String {
        switch self {
        case .macro(let a): a.encoded
        case .micro(let a): a.encoded
        }
    }

    public var description: String {
        switch self {
        case .macro(let a): a.description
        case .micro(let a): a.description
        }
    }

    /// Graphviz DOT: the macro network, or one micro cell ("normal" (default) or "reduce").
    public func dot(cell: String? = nil) throws -> String {
        switch self {
        case .macro(let a):
            try ensureArgument(cell == nil, "[architecture] a macro architecture is one picture; it has no '\(cell ?? "")' cell")
            return a.dot
        case .micro(let a): return try a.dot(cell: cell ?? "normal")
        }
    }

    enum CodingKeys: String, CodingKey { case space }

    public init(from decoder: Decoder) throws {
        let kind = try decoder.container(keyedBy: CodingKeys.self).decode(ImageSpaceKind.self, forKey: .space)
        switch kind {
        case .macro: self = .macro(try MacroArchitecture(from: decoder))
        case .micro: self = .micro(try MicroArchitecture(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .space)
        switch self {
        case .macro(let a): try a.encode(to: encoder)
        case .micro(let a): try a.encode(to: encoder)
        }
    }

    /// The JSON form (sorted keys).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
