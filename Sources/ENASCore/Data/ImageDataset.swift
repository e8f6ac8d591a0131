/// Labelled images in memory, NCHW, plus integer labels: the common form every image source (Fashion-MNIST,
/// CIFAR-10, caller arrays) is read into. Pixels stay in their source type — bytes (0…255, read as value/255) or
/// caller floats (used as given) — and become normalized Float32 only per minibatch.
public struct ImageDataset: Sendable {
    public enum Pixels: Sendable {
        /// 0…255, scaled to [0, 1] when read.
        case bytes([UInt8])
        /// Used as given.
        case floats([Float])

        var count: Int {
            switch self {
            case .bytes(let b): b.count
            case .floats(let f): f.count
            }
        }
    }

    /// (N, C, H, W).
    public let pixels: Pixels
    public let labels: [Int32]
    public let channels, height, width: Int
    public let classCount: Int

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    public init(pixels: Pixels, labels: [Int32], channels: Int, height: Int, width: Int, classCount: Int) throws {
        try ensureArgument(channels >= 1 && height >= 1 && width >= 1 && classCount >= 2,
                           "[images] need channels, height, width ≥ 1 and at least 2 classes, got \(channels)×\(height)×\(width), \(classCount) classes")
        let (size, overflow) = (channels * height).multipliedReportingOverflow(by: width)
        let (total, overflow2) = labels.count.multipliedReportingOverflow(by: size)
        try ensureShape(!overflow && !overflow2 && pixels.count == total,
                        "[images] \(pixels.count) pixel values do not fit \(labels.count) images of \(channels)×\(height)×\(width)")
        if let bad = labels.first(where: { $0 < 0 || Int($0) >= classCount }) {
            throw ENASError.invalidArgument("[images] label \(bad) is outside 0..<\(classCount)")
        }
        if case .floats(let f) = pixels, let bad = f.first(where: { !$0.isFinite }) {
            throw ENASError.invalidArgument("[images] pixel value \(bad) is not finite")
        }
        (self.pixels, self.labels) = (pixels, labels)
        (self.channels, self.height, self.width, self.classCount) = (channels, height, width, classCount)
    }

    /// Byte images (0…255).
    public init(pixels: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int, classCount: Int) throws {
        try self.init(pixels: .bytes(pixels), labels: labels, channels: channels, height: height, width: width, classCount: classCount)
    }

    /// Pixel `i` of the flat (N, C, H, W) array as a float (bytes scaled by 1/255).
    @inline(__always)
    public func value(_ i: Int) -> Float {
        switch pixels {
        case .bytes(let b): Float(b[i]) * (1 / 255)
        case .floats(let f): f[i]
        }
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> ImageDataset {
        let picked: Pixels
        switch pixels {
        case .bytes(let b):
            var p: [UInt8] = []
            p.reserveCapacity(indices.count * imageSize)
            for i in indices { p.append(contentsOf: b[(i * imageSize)..<((i + 1) * imageSize)]) }
            picked = .bytes(p)
        case .floats(let f):
            var p: [Float] = []
            p.reserveCapacity(indices.count * imageSize)
            for i in indices { p.append(contentsOf: f[(i * imageSize)..<((i + 1) * imageSize)]) }
            picked = .floats(p)
        }
        // Validated at construction; a subset keeps shapes and labels valid.
        return try! ImageDataset(pixels: picked, labels: indices.map { labels[$0] }, channels: channels, height: height,
                                 width: width, classCount: classCount)
    }

    /// The first `n` images (or all).
    public func prefix(_ n: Int) -> ImageDataset { subset(0..<min(n, count)) }

    /// (train, validation): the last `validationCount` images become the validation split, as the authors carve
    /// CIFAR-10's last 5,000 training images.
    public func splitOffValidation(_ validationCount: Int) throws -> (train: ImageDataset, validation: ImageDataset) {
        try ensureArgument(validationCount >= 1 && validationCount < count,
                           "[images] validation split of \(validationCount) needs 1…\(count - 1) of the \(count) images")
        return (subset(0..<(count - validationCount)), subset((count - validationCount)..<count))
    }

    /// Per-channel mean and standard deviation (statistics for normalization; bytes scaled to [0, 1]).
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        var mean = [Float](repeating: 0, count: channels), std = [Float](repeating: 1, count: channels)
        let plane = height * width
        for c in 0..<channels {
            var total = 0.0, squares = 0.0
            for n in 0..<count {
                let base = (n * channels + c) * plane
                for i in 0..<plane { let v = Double(value(base + i)); total += v; squares += v * v }
            }
            let m = total / Double(max(1, count * plane))
            mean[c] = Float(m)
            std[c] = Float(max(squares / Double(max(1, count * plane)) - m * m, 1e-12).squareRoot())
        }
        return (mean, std)
    }

    /// Images `indices` as a normalized float batch (B, C, H, W): (value − mean[c]) / std[c].
    public func batch(_ indices: [Int], mean: [Float], std: [Float]) -> (images: Tensor, labels: [Int32]) {
        let plane = height * width
        var t = Tensor(zeros: [indices.count, channels, height, width])
        t.withMutablePointer { out in
            for (b, i) in indices.enumerated() {
                for c in 0..<channels {
                    let scale = 1 / std[c], shift = mean[c] / std[c]
                    let src = (i * channels + c) * plane, dst = (b * channels + c) * plane
                    switch pixels {
                    case .bytes(let bytes): for k in 0..<plane { out[dst + k] = Float(bytes[src + k]) * (scale / 255) - shift }
                    case .floats(let f): for k in 0..<plane { out[dst + k] = f[src + k] * scale - shift }
                    }
                }
            }
        }
        return (t, indices.map { labels[$0] })
    }
}
