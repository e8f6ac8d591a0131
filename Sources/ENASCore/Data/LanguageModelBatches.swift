/// A token stream cut into B parallel columns and read in BPTT windows, as Zaremba et al. and the authors do.
/// B = batch, T = window length. Column b holds tokens [b·n, (b+1)·n) of the stream, n = count / B.
public struct LanguageModelBatches: Sendable {
    /// (B, n) row-major: row b is column stream b.
    public let data: [Int32]
    public let batchSize: Int
    /// n: tokens per column.
    public let columnLength: Int

    public init(tokens: [Int32], batchSize: Int) throws {
        try ensureArgument(batchSize >= 1, "[batches] batch size \(batchSize) must be positive")
        let n = tokens.count / batchSize
        try ensureArgument(n >= 2, "[batches] \(tokens.count) tokens are too few for \(batchSize) columns of at least 2")
        self.data = Array(tokens[0..<(n * batchSize)])
        self.batchSize = batchSize
        self.columnLength = n
    }

    /// One window: inputs and next-token targets, each (B, T) row-major, from column position `start`.
    public struct Window: Sendable {
        public let inputs: [Int32]
        public let targets: [Int32]
        public let length: Int
        public let start: Int

        /// Batch rows `rows` of this window (a row block of a data-parallel step).
        func rows(_ rows: Range<Int>) -> Window {
            let span = rows.lowerBound * length..<rows.upperBound * length
            return Window(inputs: Array(inputs[span]), targets: Array(targets[span]), length: length, start: start)
        }
    }

    /// The window of `length` steps starting at `start` (clamped so targets stay inside the columns).
    public func window(start: Int, length: Int) throws -> Window {
        try ensureArgument(start >= 0 && start < columnLength - 1, "[batches] window start \(start) is outside 0..<\(columnLength - 1)")
        let t = min(length, columnLength - 1 - start)
        try ensureArgument(t >= 1, "[batches] window length \(length) must be positive")
        var inputs = [Int32](repeating: 0, count: batchSize * t), targets = inputs
        for b in 0..<batchSize {
            for s in 0..<t {
                inputs[b * t + s] = data[b * columnLength + start + s]
                targets[b * t + s] = data[b * columnLength + start + s + 1]
            }
        }
        return Window(inputs: inputs, targets: targets, length: t, start: start)
    }

    /// Number of fixed-length windows of `length` in one pass.
    public func windowCount(length: Int) -> Int { (columnLength - 1 + length - 1) / length }

    /// The randomized window length of AWD-LSTM and enas_lm: base = T with probability 0.95 else T/2; length ~
    /// N(base, 5) truncated at two standard deviations, at most T + 20, at least 1. The caller scales its
    /// learning rate by length / T so short windows do not weigh less.
    public static func randomLength(base bptt: Int, rng: inout RandomSource) -> Int {
        let base = rng.nextFloat() < 0.95 ? Float(bptt) : Float(bptt) / 2
        var draw: Float
        repeat { draw = rng.normal() } while abs(draw) > 2
        return max(1, min(Int(base + 5 * draw), bptt + 20))
    }
}
