/// Draws minibatch indices from a split: one shuffled pass per epoch (from its own random stream), the last
/// incomplete batch dropped. Its whole state is Codable so a checkpoint resumes mid-epoch at the same image.
public struct ImageBatchSampler: Codable, Equatable, Sendable {
    public let count: Int
    public let batchSize: Int
    public var rng: RandomSource
    public private(set) var order: [Int]
    /// Next batch within the epoch, and completed epochs.
    public private(set) var cursor = 0
    public private(set) var epoch = 0

    public init(count: Int, batchSize: Int, rng: RandomSource) throws {
        try ensureArgument(batchSize >= 1 && count >= batchSize, "[batches] batch size \(batchSize) needs at least that many images, have \(count)")
        (self.count, self.batchSize, self.rng) = (count, batchSize, rng)
        order = Array(0..<count)
        self.rng.shuffle(&order)
    }

    public var batchesPerEpoch: Int { count / batchSize }

    /// Fractional epochs done.
    public var progress: Double { Double(epoch) + Double(cursor) / Double(batchesPerEpoch) }

    /// The next batch's indices (reshuffling at each epoch's end).
    public mutating func next() -> [Int] {
        let indices = Array(order[(cursor * batchSize)..<((cursor + 1) * batchSize)])
        cursor += 1
        if cursor >= batchesPerEpoch {
            (cursor, epoch) = (0, epoch + 1)
            rng.shuffle(&order)
        }
        return indices
    }
}
