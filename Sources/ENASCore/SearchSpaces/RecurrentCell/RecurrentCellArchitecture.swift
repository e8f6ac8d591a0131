/// A recurrent cell: node 0 reads [x_t, h_{t−1}]; node i ≥ 1 reads one earlier node and applies one activation;
/// every node is a highway node (DESIGN §2). The cell's output averages either its loose ends (nodes no other node
/// reads — the paper) or all nodes 1…N−1 (enas_lm).
public struct RecurrentCellArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Node i ≥ 1: which earlier node it reads and its activation.
    public struct Node: Codable, Equatable, Sendable {
        public var previous: Int
        public var activation: Activation
        public init(previous: Int, activation: Activation) {
            self.previous = previous
            self.activation = activation
        }
    }

    /// How the cell's output h_t is formed from its nodes.
    public enum OutputMode: String, Codable, Sendable {
        /// Mean of the nodes no other node reads (the paper; melodyguan/enas).
        case looseEnds = "loose_ends"
        /// Mean of nodes 1…N−1 (google-research enas_lm).
        case allNodes = "all_nodes"
    }

    /// The two integer-string forms of the authors' code.
    public enum Encoding: String, Codable, Sendable, CaseIterable {
        /// enas_lm: `p1 f1 … pN fN`; f: 0 tanh, 1 ReLU, 2 sigmoid, 3 identity; f_0 = tanh; output all nodes.
        case enasLM = "rnn"
        /// melodyguan/enas: `f0 p1 f1 … pN fN`; f: 0 tanh, 1 ReLU, 2 identity, 3 sigmoid; output loose ends.
        case firstCode = "rnn-v1"

        /// Activation codes in this form's order.
        var activations: [Activation] {
            switch self {
            case .enasLM: [.tanh, .relu, .sigmoid, .identity]
            case .firstCode: [.tanh, .relu, .identity, .sigmoid]
            }
        }
    }

    /// Node 0's activation (tanh in enas_lm; sampled in the paper's search).
    public var firstActivation: Activation
    /// Nodes 1…N−1.
    public var nodes: [Node]
    public var output: OutputMode

    public init(firstActivation: Activation, nodes: [Node], output: OutputMode) throws {
        self.firstActivation = firstActivation
        self.nodes = nodes
        self.output = output
        try validate()
    }

    /// N, counting node 0.
    public var nodeCount: Int { nodes.count + 1 }

    /// Throws unless every node reads an earlier one and the cell has at least one node after node 0.
    public func validate() throws {
        try ensureArgument(!nodes.isEmpty, "[architecture] a recurrent cell needs at least one node after node 0")
        for (offset, node) in nodes.enumerated() {
            let i = offset + 1
            try ensureArgument(node.previous >= 0 && node.previous < i,
                               "[architecture] node \(i) reads node \(node.previous); it may read only nodes 0…\(i - 1)")
        }
    }

    /// The nodes whose mean is the cell output, in increasing order.
    public var outputNodes: [Int] {
        switch output {
        case .allNodes: return Array(1...nodes.count)
        case .looseEnds:
            var read = Set<Int>()
            for node in nodes { read.insert(node.previous) }
            return (1...nodes.count).filter { !read.contains($0) }
        }
    }

    /// Parses an integer string of `encoding`'s form, applying that form's conventions.
    public static func parse(_ text: String, encoding: Encoding) throws -> RecurrentCellArchitecture {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" })
        var ints: [Int] = []
        for token in tokens {
            guard let v = Int(token) else { throw ENASError.format("[architecture] '\(token)' in '\(text)' is not an integer") }
            ints.append(v)
        }
        let codes = encoding.activations
        func activation(_ code: Int) throws -> Activation {
            guard code >= 0 && code < codes.count else {
                throw ENASError.format("[architecture] activation code \(code) is outside 0…\(codes.count - 1) in the \(encoding.rawValue) form")
            }
            return codes[code]
        }
        var first = Activation.tanh
        var pairs = ArraySlice(ints)
        switch encoding {
        case .enasLM:
            guard ints.count >= 2, ints.count % 2 == 0 else {
                throw ENASError.format("[architecture] the \(encoding.rawValue) form needs an even number (2N) of integers, got \(ints.count)")
            }
        case .firstCode:
            guard ints.count >= 3, ints.count % 2 == 1 else {
                throw ENASError.format("[architecture] the \(encoding.rawValue) form needs f0 then pairs (an odd count ≥ 3), got \(ints.count)")
            }
            first = try activation(ints[0])
            pairs = ints.dropFirst()
        }
        var nodes: [Node] = []
        var iterator = pairs.makeIterator()
        while let p = iterator.next(), let f = iterator.next() { nodes.append(Node(previous: p, activation: try activation(f))) }
        do {
            return try RecurrentCellArchitecture(firstActivation: first, nodes: nodes,
                                                 output: encoding == .enasLM ? .allNodes : .looseEnds)
        } catch let error as ENASError { throw ENASError.format(error.message + " (parsing '\(text)')") }
    }

    /// The integer string in `encoding`'s form. The enas_lm form cannot carry f_0 ≠ tanh: that is an error, never a
    /// silent change. The output mode is not part of either string (see `description`).
    public func encoded(as encoding: Encoding) throws -> String {
        let codes = encoding.activations
        var ints: [Int] = []
        switch encoding {
        case .enasLM:
            try ensureArgument(firstActivation == .tanh,
                               "[architecture] the \(encoding.rawValue) form fixes node 0's activation to tanh; this cell uses \(firstActivation.rawValue)")
        case .firstCode:
            ints.append(codes.firstIndex(of: firstActivation)!)
        }
        for node in nodes { ints += [node.previous, codes.firstIndex(of: node.activation)!] }
        return ints.map(String.init).joined(separator: " ")
    }

    /// One line: `node0:tanh 1←0:sigmoid 2←1:tanh … | output = mean(loose ends 3, 4, 7)`.
    public var description: String {
        let body = (["0:\(firstActivation.rawValue)"] + nodes.enumerated().map { "\($0.offset + 1)←\($0.element.previous):\($0.element.activation.rawValue)" })
            .joined(separator: " ")
        let which = output == .looseEnds ? "loose ends" : "all nodes"
        return "\(body) | output = mean(\(which) \(outputNodes.map(String.init).joined(separator: ", ")))"
    }

    /// A Graphviz picture: x_t and h_{t−1} feed node 0, one box per node labelled with its activation, an edge per
    /// read, and the averaged nodes feeding h_t.
    public var dot: String {
        var lines = ["digraph recurrent_cell {", "  rankdir=TB;", "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\"];",
                     "  x_t [label=\"x[t]\", shape=ellipse, fillcolor=\"#fff4d6\"];",
                     "  h_prev [label=\"h[t-1]\", shape=ellipse, fillcolor=\"#fff4d6\"];",
                     "  avg [label=\"avg\", shape=ellipse, fillcolor=\"#e3f4e1\"];",
                     "  h_t [label=\"h[t]\", shape=ellipse, fillcolor=\"#fff4d6\"];",
                     "  n0 [label=\"0: \(firstActivation.rawValue)\"];", "  x_t -> n0;", "  h_prev -> n0;"]
        for (offset, node) in nodes.enumerated() {
            lines.append("  n\(offset + 1) [label=\"\(offset + 1): \(node.activation.rawValue)\"];")
            lines.append("  n\(node.previous) -> n\(offset + 1);")
        }
        for i in outputNodes { lines.append("  n\(i) -> avg;") }
        lines += ["  avg -> h_t;", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    private enum CodingKeys: String, CodingKey { case firstActivation = "first_activation", nodes, output }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(firstActivation: try c.decode(Activation.self, forKey: .firstActivation),
                      nodes: try c.decode([Node].self, forKey: .nodes), output: try c.decode(OutputMode.self, forKey: .output))
    }
}
