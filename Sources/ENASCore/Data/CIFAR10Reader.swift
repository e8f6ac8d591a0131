import Foundation

/// CIFAR-10's binary batches: records of 1 label byte + 3,072 pixel bytes (R, G, B planes of 32×32, row-major),
/// no header; `data_batch_{1…5}.bin` for training and `test_batch.bin` for testing.
public enum CIFAR10 {
    public static let recordSize = 1 + 3 * 32 * 32
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Reads one batch file. A length that is not a whole number of records, or a label above 9, is a `.format`
    /// error naming the file.
    public static func readBatch(_ path: String) throws -> ImageDataset {
        guard let data = FileManager.default.contents(atPath: path) else { throw ENASError.io("cannot read '\(path)'") }
        guard !data.isEmpty, data.count % recordSize == 0 else {
            throw ENASError.format("'\(path)' has \(data.count) bytes, not a whole number of \(recordSize)-byte CIFAR-10 records")
        }
        let n = data.count / recordSize
        var labels = [Int32](repeating: 0, count: n)
        var pixels = [UInt8](repeating: 0, count: n * (recordSize - 1))
        try data.withUnsafeBytes { raw in
            for r in 0..<n {
                let label = raw[r * recordSize]
                guard label < 10 else { throw ENASError.format("'\(path)' record \(r) has label \(label); CIFAR-10 labels are 0…9") }
                labels[r] = Int32(label)
                pixels.withUnsafeMutableBytes { out in
                    out.baseAddress!.advanced(by: r * (recordSize - 1)).copyMemory(from: raw.baseAddress!.advanced(by: r * recordSize + 1),
                                                                                   byteCount: recordSize - 1)
                }
            }
        }
        return try ImageDataset(pixels: pixels, labels: labels, channels: 3, height: 32, width: 32, classCount: 10)
    }

    /// The training batches (in order 1…5) and the test batch from `directory`.
    public static func load(directory: String) throws -> (train: ImageDataset, test: ImageDataset) {
        let parts = try (1...5).map { try readBatch("\(directory)/data_batch_\($0).bin") }
        var pixels: [UInt8] = [], labels: [Int32] = []
        for part in parts {
            if case .bytes(let b) = part.pixels { pixels += b }
            labels += part.labels
        }
        let train = try ImageDataset(pixels: pixels, labels: labels, channels: 3, height: 32, width: 32, classCount: 10)
        return (train, try readBatch("\(directory)/test_batch.bin"))
    }
}
