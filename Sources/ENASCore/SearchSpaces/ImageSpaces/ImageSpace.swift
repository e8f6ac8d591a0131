/// Either CNN search space behind one `SearchSpace`, so one controller, REINFORCE trainer and search loop serve
/// both: the macro space (L layers) or the micro space (B blocks per cell).
public struct ImageSpace: SearchSpace {
    enum Inner {
        case macro(MacroSpace)
        case micro(MicroSpace)
    }
    let inner: Inner

    /// The macro space over `layerCount` layers.
    public static func macro(layerCount: Int, opTanhReduce: Float = 2.5) throws -> ImageSpace {
        ImageSpace(inner: .macro(try MacroSpace(layerCount: layerCount, opTanhReduce: opTanhReduce)))
    }

    /// The micro space with `blockCount` blocks per cell.
    public static func micro(blockCount: Int, opTanhReduce: Float = 2.5) throws -> ImageSpace {
        ImageSpace(inner: .micro(try MicroSpace(blockCount: blockCount, opTanhReduce: opTanhReduce)))
    }

    public var kind: ImageSpaceKind {
        switch inner {
        case .macro: .macro
        case .micro: .micro
        }
    }

    public var plan: DecisionPlan {
        switch inner {
        case .macro(let s): s.plan
        case .micro(let s): s.plan
        }
    }

    public func architecture(from values: [[Int]]) throws -> ImageArchitecture {
        switch inner {
        case .macro(let s): .macro(try s.architecture(from: values))
        case .micro(let s): .micro(try s.architecture(from: values))
        }
    }

    public func values(for architecture: ImageArchitecture) throws -> [[Int]] {
        switch (inner, architecture) {
        case (.macro(let s), .macro(let a)): return try s.values(for: a)
        case (.micro(let s), .micro(let a)): return try s.values(for: a)
        default: throw ENASError.invalidArgument("[image space] a \(architecture.kind.rawValue) architecture does not belong to the \(kind.rawValue) space")
        }
    }
}

/// The shared weights ω of either CNN space in search mode.
public enum SharedImageNetwork {
    case macro(SharedMacroNetwork)
    case micro(SharedMicroNetwork)

    public var layer: Layer {
        switch self {
        case .macro(let n): n
        case .micro(let n): n
        }
    }

    /// The weights the child `architecture` uses (the only ones its step touches).
    public func parameters(for architecture: ImageArchitecture) throws -> [Variable] {
        switch (self, architecture) {
        case (.macro(let n), .macro(let a)): return try n.parameters(for: a)
        case (.micro(let n), .micro(let a)): return try n.parameters(for: a)
        default: throw ENASError.invalidArgument("[shared network] a \(architecture.kind.rawValue) architecture cannot run on this network")
        }
    }

    /// images → logits of the child `architecture`.
    public func logits(_ images: Variable, architecture: ImageArchitecture, training: Bool) throws -> Variable {
        switch (self, architecture) {
        case (.macro(let n), .macro(let a)): return try n.logits(images, architecture: a, training: training)
        case (.micro(let n), .micro(let a)): return try n.logits(images, architecture: a, training: training)
        default: throw ENASError.invalidArgument("[shared network] a \(architecture.kind.rawValue) architecture cannot run on this network")
        }
    }
}
