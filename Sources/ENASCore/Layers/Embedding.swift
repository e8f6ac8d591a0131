/// A lookup table of word vectors, table (V, E). Optionally tied to the output projection: logits = h · tableᵀ.
public final class Embedding: Layer {
    public let table: Variable

    public init(_ name: String, vocabulary: Int, width: Int, initializer: Initializer = .uniform(scale: 0.1),
                rng: inout RandomSource) {
        table = makeParameter("\(name).table", [vocabulary, width], initializer, rng: &rng)
    }

    /// An embedding over `table` (a replica's leaf reading another embedding's tensor).
    init(table: Variable) {
        self.table = table
    }

    public var parameters: [Variable] { [table] }
    public var vocabulary: Int { table.shape[0] }
    public var width: Int { table.shape[1] }

    /// ids (R) → (R, E).
    public func callAsFunction(_ ids: [Int32]) throws -> Variable { try gather(table, ids: ids) }

    /// The tied softmax projection: h (R, E) → logits (R, V).
    public func logits(_ h: Variable) throws -> Variable { try matmul(h, table, transposeB: true) }
}
