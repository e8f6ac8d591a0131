/// Training and evaluation passes split over the kernel threads by batch rows.
///
/// W1's products have only 32–64 rows, too few to split well product by product, and the element-wise work between
/// them (highway gates, activations, masks) ran on one thread: W1s ran only 1.56–1.8× faster on 2 threads than on
/// one. Here each thread takes a block of rows through the whole window — forward and backward, with single-threaded
/// kernels — and the blocks' results are added in block order (the PTB recipe's retraining window at 2 threads:
/// 2.1–3.1 → 2.0–2.3 s on a noisy 2-core machine; its validation pass 37–47 → 31–36 s). Rows never mix in the
/// forward pass, so each row's values are the same bits whatever the split; sums over rows (the loss, the gradients)
/// round differently with the number of blocks, that is with the thread count.
extension RecurrentLanguageModel {
    public struct TrainingPassResult {
        /// Mean cross-entropy per token (nats), without regularizers.
        public let crossEntropy: Float
        /// h after the last step (B, H), detached and norm-guarded, to carry into the next window.
        public let finalHidden: Tensor
    }

    /// Fewest batch rows a block gets (a block of fewer rows wastes the GEMM's register tile).
    static let minimumRowsPerBlock = 8

    /// Row blocks of a batch of `b` rows: one per kernel thread, at least `minimumRowsPerBlock` rows each.
    static func rowBlocks(batchSize b: Int) -> [Range<Int>] {
        let count = max(1, min(Parallel.threadCount, b / minimumRowsPerBlock))
        return (0..<count).map { ($0 * b / count)..<(($0 + 1) * b / count) }
    }

    /// Runs `body` on every block, concurrently and with single-threaded kernels when there is more than one; the
    /// results in block order, or the first block's error.
    static func forEachBlock<T>(_ blocks: [Range<Int>], _ body: (Int, Range<Int>) throws -> T) throws -> [T] {
        if blocks.count == 1 { return [try body(0, blocks[0])] }
        var outcomes = [Result<T, Error>?](repeating: nil, count: blocks.count)
        outcomes.withUnsafeMutableBufferPointer { slots in
            Parallel.forEach(chunks: blocks.count) { index in
                slots[index] = Result { try Parallel.withThreadCount(1) { try body(index, blocks[index]) } }
            }
        }
        return try outcomes.map { try $0!.get() }
    }

    /// Runs `window` forward and backward in training mode, adding its gradients into `parameters(for:
    /// architecture)` (call `zeroGrad` first, as with `backward()`). `lossScale` as in `forward`. Dropout is drawn
    /// for the whole batch first, so the random stream advances as in an unsplit pass. Each block runs through its
    /// own leaf variables (a replica reading the same weight tensors), so backward passes on different threads
    /// accumulate apart. A non-finite loss throws `ENASError.numeric` with no gradient added.
    public func trainingPass(window: LanguageModelBatches.Window, batchSize b: Int, hidden: Tensor,
                             architecture: RecurrentCellArchitecture, rng: inout RandomSource,
                             lossScale: Float? = nil) throws -> TrainingPassResult {
        try validate(window: window, batchSize: b, hidden: hidden, architecture: architecture)
        let dropout = WindowDropout(config, window: window, batchSize: b, rng: &rng)
        let blocks = Self.rowBlocks(batchSize: b)
        if blocks.count == 1 {
            let result = try forwardRows(window: window, hidden: hidden, architecture: architecture, training: true,
                                         dropout: dropout, tokenWeight: lossScale, batchShare: 1)
            try result.objective.backward()
            return TrainingPassResult(crossEntropy: result.crossEntropy, finalHidden: result.finalHidden)
        }

        let tokenWeight = lossScale ?? 1 / Float(b * window.length)
        let replicas = try blocks.map { _ in try replica(for: architecture) }
        let results = try Self.forEachBlock(blocks) { index, rows in
            let result = try replicas[index].forwardRows(
                window: window.rows(rows), hidden: hidden.rows(rows), architecture: architecture, training: true,
                dropout: dropout.rows(rows), tokenWeight: tokenWeight, batchShare: Float(rows.count) / Float(b))
            try result.objective.backward()
            return TrainingPassResult(crossEntropy: result.crossEntropy, finalHidden: result.finalHidden)   // the graph dies here
        }

        let own = try parameters(for: architecture)
        for replica in replicas {
            for (parameter, copy) in zip(own, try replica.parameters(for: architecture)) {
                guard let gradient = copy.grad else { continue }
                copy.zeroGrad()   // the parameter's buffer must be the only owner before it is added into
                parameter.accumulateGrad(gradient)
            }
        }
        var crossEntropy: Float = 0
        for (rows, result) in zip(blocks, results) { crossEntropy += result.crossEntropy * Float(rows.count) / Float(b) }
        return TrainingPassResult(crossEntropy: crossEntropy, finalHidden: Tensor.stackingRows(results.map(\.finalHidden)))
    }

    /// Mean cross-entropy per token over a whole split read in fixed windows (evaluation: no dropout, no graph).
    /// Perplexity is exp of the result. Each row block carries its own hidden state through the whole split.
    public func evaluate(_ batches: LanguageModelBatches, architecture: RecurrentCellArchitecture, bptt: Int,
                         maxWindows: Int? = nil) throws -> Double {
        let b = batches.batchSize
        let totals = try Self.forEachBlock(Self.rowBlocks(batchSize: b)) { _, rows in
            try withoutGradients {
                var hidden = Tensor(zeros: [rows.count, config.hiddenSize])
                var total = 0.0, start = 0, windows = 0
                while start < batches.columnLength - 1 && windows < (maxWindows ?? .max) {
                    var window = try batches.window(start: start, length: bptt)
                    if rows.count < b { window = window.rows(rows) }
                    try validate(window: window, batchSize: rows.count, hidden: hidden, architecture: architecture)
                    let result = try forwardRows(window: window, hidden: hidden, architecture: architecture, training: false,
                                                 dropout: .none, tokenWeight: nil, batchShare: 1)
                    total += Double(result.crossEntropy) * Double(window.length * rows.count)
                    hidden = result.finalHidden
                    start += window.length
                    windows += 1
                }
                return (total: total, tokens: start * rows.count)
            }
        }
        let tokens = totals.reduce(0) { $0 + $1.tokens }
        return totals.reduce(0.0) { $0 + $1.total } / Double(max(1, tokens))
    }
}
