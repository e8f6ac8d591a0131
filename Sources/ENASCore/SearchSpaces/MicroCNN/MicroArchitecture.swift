import Foundation

/// A micro CNN: one normal and one reduction cell of B blocks each. Block b takes two inputs (0 = cell k−2's
/// output, 1 = cell k−1's, ≥ 2 = block (index − 2) of this cell), applies one operation to each and sums them.
/// Authors' string: `normal ++ reduce`, per block `idx1 op1 idx2 op2` (ops: 0 sep3×3, 1 sep5×5, 2 avg-pool,
/// 3 max-pool, 4 identity).
public struct MicroArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    public struct Block: Codable, Equatable, Sendable {
        public var inputs: [Int]
        public var operations: [MicroOperation]
        public init(_ input1: Int, _ op1: MicroOperation, _ input2: Int, _ op2: MicroOperation) {
            inputs = [input1, input2]
            operations = [op1, op2]
        }
    }

    public var normal: [Block]
    public var reduce: [Block]

    public init(normal: [Block], reduce: [Block]) throws {
        self.normal = normal
        self.reduce = reduce
        try validate()
    }

    public func validate() throws {
        try ensureArgument(!normal.isEmpty && normal.count == reduce.count,
                           "[micro architecture] normal (\(normal.count)) and reduction (\(reduce.count)) cells need the same, non-zero number of blocks")
        for (name, cell) in [("normal", normal), ("reduction", reduce)] {
            for (b, block) in cell.enumerated() {
                try ensureArgument(block.inputs.count == 2 && block.operations.count == 2,
                                   "[micro architecture] \(name) block \(b) needs two inputs and two operations")
                for input in block.inputs {
                    try ensureArgument(input >= 0 && input < b + 2, "[micro architecture] \(name) block \(b) reads input \(input); it may read 0…\(b + 1)")
                }
            }
        }
    }

    /// Blocks no later block of the same cell reads (their outputs are concatenated).
    public static func looseEnds(_ cell: [Block]) -> [Int] {
        var read = Set<Int>()
        for block in cell { for input in block.inputs where input >= 2 { read.insert(input - 2) } }
        return cell.indices.filter { !read.contains($0) }
    }

    public static func parse(_ text: String) throws -> MicroArchitecture {
        let ints = try parseIntegers(text, what: "micro architecture")
        guard !ints.isEmpty, ints.count % 8 == 0 else {
            throw ENASError.format("[micro architecture] needs 4·B integers for each of the two cells (a multiple of 8), got \(ints.count)")
        }
        func cell(_ slice: ArraySlice<Int>) throws -> [Block] {
            var blocks: [Block] = []
            var values = Array(slice)[...]
            while values.count >= 4 {
                let q = Array(values.prefix(4))
                values = values.dropFirst(4)
                for code in [q[1], q[3]] where code < 0 || code >= MicroOperation.allCases.count {
                    throw ENASError.format("[micro architecture] op code \(code) is outside 0…\(MicroOperation.allCases.count - 1)")
                }
                blocks.append(Block(q[0], MicroOperation.allCases[q[1]], q[2], MicroOperation.allCases[q[3]]))
            }
            return blocks
        }
        let half = ints.count / 2
        do { return try MicroArchitecture(normal: try cell(ints[0..<half]), reduce: try cell(ints[half...])) } catch let e as ENASError {
            throw ENASError.format(e.message + " (parsing '\(text)')")
        }
    }

    public var encoded: String {
        (normal + reduce).flatMap { block in
            [block.inputs[0], MicroOperation.allCases.firstIndex(of: block.operations[0])!, block.inputs[1], MicroOperation.allCases.firstIndex(of: block.operations[1])!]
        }.map(String.init).joined(separator: " ")
    }

    static func inputName(_ i: Int) -> String { i == 0 ? "c[k-2]" : i == 1 ? "c[k-1]" : "b\(i - 2)" }

    static func describe(_ cell: [Block]) -> String {
        cell.enumerated().map { b, block in
            "b\(b)=\(block.operations[0].rawValue)(\(inputName(block.inputs[0])))+\(block.operations[1].rawValue)(\(inputName(block.inputs[1])))"
        }.joined(separator: " ")
    }

    public var description: String { "normal: \(Self.describe(normal)) | reduce: \(Self.describe(reduce))" }

    /// One Graphviz picture per cell ("normal", "reduce").
    public func dot(cell which: String) throws -> String {
        let cell: [Block]
        switch which {
        case "normal": cell = normal
        case "reduce", "reduction": cell = reduce
        default: throw ENASError.invalidArgument("[micro architecture] cell must be 'normal' or 'reduce', got '\(which)'")
        }
        var lines = ["digraph \(which)_cell {", "  rankdir=LR;", "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\"];",
                     "  in0 [label=\"c[k-2]\", fillcolor=\"#fff4d6\"];", "  in1 [label=\"c[k-1]\", fillcolor=\"#fff4d6\"];",
                     "  out [label=\"concat\", fillcolor=\"#e3f4e1\"];"]
        for (b, block) in cell.enumerated() {
            lines.append("  b\(b) [label=\"block \(b): add\", shape=ellipse];")
            for k in 0..<2 {
                let source = block.inputs[k] < 2 ? "in\(block.inputs[k])" : "b\(block.inputs[k] - 2)"
                lines.append("  \(source) -> b\(b) [label=\"\(block.operations[k].rawValue)\"];")
            }
        }
        for b in Self.looseEnds(cell) { lines.append("  b\(b) -> out;") }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Both cells in one Graphviz picture, as two clusters.
    public var dot: String {
        var lines = ["digraph micro_cells {", "  rankdir=LR;", "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\"];"]
        for (which, cell) in [("normal", normal), ("reduce", reduce)] {
            // The per-cell picture's body, its node ids prefixed so the two clusters stay apart.
            let body = try! dot(cell: which).split(separator: "\n").dropFirst(3).dropLast()
            let prefixed = body.map { line -> String in
                var l = String(line)
                for id in ["in0", "in1", "out"] + (0..<cell.count).map({ "b\($0)" }) {
                    l = l.replacingOccurrences(of: "  \(id) ", with: "  \(which)_\(id) ").replacingOccurrences(of: "-> \(id) ", with: "-> \(which)_\(id) ")
                        .replacingOccurrences(of: "-> \(id);", with: "-> \(which)_\(id);")
                }
                return "  " + l
            }
            lines += ["  subgraph cluster_\(which) {", "    label=\"\(which) cell\";"] + prefixed + ["  }"]
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(normal: try c.decode([Block].self, forKey: .normal), reduce: try c.decode([Block].self, forKey: .reduce))
    }
}
