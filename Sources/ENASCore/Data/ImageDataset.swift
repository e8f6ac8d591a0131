/// Labelled images in memory, NCHW uint8 pixels plus integer labels: the common form every image source
/// (Fashion-MNIST, CIFAR-10, caller arrays) is read into.
public struct ImageDataset: Sendable {
    /// (N, C, H, W) pixels, 0…255.
    public var pixels: [UInt8]
    public var labels: [Int32]
    public let channels, height, width: Int
    public let classCount: Int

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    public init(pixels: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int, classCount: Int) throws {
        try ensureShape(pixels.count == labels.count * channels * height * width,
                        "[ImageDataset] \(pixels.count) pixel bytes do not fit \(labels.count) images of \(channels)×\(height)×\(width)")
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= classCount }) {
            throw ENASError.invalidArgument("[ImageDataset] label \(bad) is outside 0..<\(classCount)")
        }
        (self.pixels, self.labels) = (pixels, labels)
        (self.channels, self.height, self.width, self.classCount) = (channels, height, width, classCount)
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> ImageDataset {
        var p: [UInt8] = []
        p.reserveCapacity(indices.count * imageSize)
        for i in indices { p.append(contentsOf: pixels[(i * imageSize)..<((i + 1) * imageSize)]) }
        // Validated at construction; a subset keeps shapes and labels valid.
        return try! ImageDataset(pixels: p, labels: indices.map { labels[$0] }, channels: channels, height: height,
                                 width: width, classCount: classCount)
    }

    /// The first `n` images (or all).
    public func prefix(_ n: Int) -> ImageDataset { subset(0..<min(n, count)) }

    /// Per-channel mean and standard deviation of the pixels scaled to [0, 1] (statistics for normalization).
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        var mean = [Float](repeating: 0, count: channels), std = [Float](repeating: 0, count: channels)
        let plane = height * width
        for c in 0..<channels {
            var total = 0.0, squares = 0.0
            for n in 0..<count {
                let base = (n * channels + c) * plane
                for i in 0..<plane { let v = Double(pixels[base + i]) / 255; total += v; squares += v * v }
            }
            let m = total / Double(max(1, count * plane))
            mean[c] = Float(m)
            std[c] = Float(max(squares / Double(max(1, count * plane)) - m * m, 1e-12).squareRoot())
        }
        return (mean, std)
    }

    /// Images `indices` as a normalized float batch (B, C, H, W): (pixel/255 − mean[c]) / std[c].
    public func batch(_ indices: [Int], mean: [Float], std: [Float]) -> (images: Tensor, labels: [Int32]) {
        let plane = height * width
        var t = Tensor(zeros: [indices.count, channels, height, width])
        t.withMutablePointer { out in
            for (b, i) in indices.enumerated() {
                for c in 0..<channels {
                    let scale = 1 / (255 * std[c]), shift = mean[c] / std[c]
                    let src = (i * channels + c) * plane, dst = (b * channels + c) * plane
                    for k in 0..<plane { out[dst + k] = Float(pixels[src + k]) * scale - shift }
                }
            }
        }
        return (t, indices.map { labels[$0] })
    }
}
