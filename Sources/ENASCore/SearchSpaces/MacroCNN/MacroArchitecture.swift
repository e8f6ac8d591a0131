/// A macro CNN: L layers after the stem; layer i applies one operation to layer i−1's output and adds skip
/// connections: skip bit j picks the stem (j = 0) or layer j−1 (j ≥ 1). Authors' string: per layer `op` then its
/// i skip bits (ops: 0 conv3×3, 1 sep3×3, 2 conv5×5, 3 sep5×5, 4 avg-pool, 5 max-pool).
public struct MacroArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    public struct Layer: Codable, Equatable, Sendable {
        public var operation: MacroOperation
        /// i bits for layer i.
        public var skips: [Bool]
        public init(operation: MacroOperation, skips: [Bool]) {
            self.operation = operation
            self.skips = skips
        }
    }

    public var layers: [Layer]

    public init(layers: [Layer]) throws {
        self.layers = layers
        try validate()
    }

    public func validate() throws {
        try ensureArgument(!layers.isEmpty, "[macro architecture] needs at least one layer")
        for (i, layer) in layers.enumerated() {
            try ensureArgument(layer.skips.count == i, "[macro architecture] layer \(i) has \(layer.skips.count) skip bits; it needs \(i)")
        }
    }

    public static func parse(_ text: String) throws -> MacroArchitecture {
        let ints = try parseIntegers(text, what: "macro architecture")
        var layers: [Layer] = []
        var position = 0
        while position < ints.count {
            let i = layers.count
            guard position + 1 + i <= ints.count else {
                throw ENASError.format("[macro architecture] '\(text)' ends inside layer \(i) (it needs an op and \(i) skip bits); a valid string has L(L+1)/2 integers")
            }
            let code = ints[position]
            guard code >= 0 && code < MacroOperation.allCases.count else {
                throw ENASError.format("[macro architecture] layer \(i) op code \(code) is outside 0…\(MacroOperation.allCases.count - 1)")
            }
            let bits = ints[(position + 1)..<(position + 1 + i)]
            guard bits.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw ENASError.format("[macro architecture] layer \(i) skip bits \(Array(bits)) must be 0 or 1") }
            layers.append(Layer(operation: MacroOperation.allCases[code], skips: bits.map { $0 == 1 }))
            position += 1 + i
        }
        return try MacroArchitecture(layers: layers)
    }

    public var encoded: String {
        layers.map { layer in ([MacroOperation.allCases.firstIndex(of: layer.operation)!] + layer.skips.map { $0 ? 1 : 0 }).map(String.init).joined(separator: " ") }
            .joined(separator: " ")
    }

    /// Names of layer i's skip sources.
    func skipSources(_ i: Int) -> [String] {
        layers[i].skips.enumerated().filter(\.element).map { $0.offset == 0 ? "stem" : "L\($0.offset - 1)" }
    }

    public var description: String {
        layers.indices.map { i in
            let skips = skipSources(i)
            return "L\(i):\(layers[i].operation.rawValue)" + (skips.isEmpty ? "" : "+[\(skips.joined(separator: ","))]")
        }.joined(separator: " ")
    }

    public var dot: String {
        var lines = ["digraph macro_cnn {", "  rankdir=TB;", "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\"];",
                     "  stem [label=\"stem 3x3 conv\", fillcolor=\"#fff4d6\"];"]
        for (i, layer) in layers.enumerated() {
            lines.append("  L\(i) [label=\"\(i): \(layer.operation.rawValue)\"];")
            lines.append("  \(i == 0 ? "stem" : "L\(i - 1)") -> L\(i);")
            for source in skipSources(i) where source != (i == 0 ? "stem" : "L\(i - 1)") {
                lines.append("  \(source) -> L\(i) [style=dashed];")
            }
        }
        lines += ["  head [label=\"global avg pool + linear\", fillcolor=\"#e3f4e1\"];", "  L\(layers.count - 1) -> head;", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(layers: try c.decode([Layer].self, forKey: .layers))
    }
}
