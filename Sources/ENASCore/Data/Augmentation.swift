/// Training-time image augmentation on a normalized batch (B, C, H, W), drawn from the "data" stream.
/// Pad + random crop and horizontal flip follow the authors' CIFAR-10 pipeline; cutout (DeVries & Taylor) is the
/// retraining regularizer. Defaults per data set (documented in the README): CIFAR-10 crop 4 + flip; Fashion-MNIST
/// crop 2 + flip (garments are left–right symmetric classes; vertical flips would not be); caller arrays none.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Zero-pad each side by this many pixels, then crop back to H×W at a random offset (0 = off).
    public var padCrop = 0
    /// Mirror left–right with probability 1/2.
    public var horizontalFlip = false
    /// Zero a random square of this side (centre uniform over the image, clipped at borders; 0 = off).
    public var cutout = 0
    public init(padCrop: Int = 0, horizontalFlip: Bool = false, cutout: Int = 0) {
        (self.padCrop, self.horizontalFlip, self.cutout) = (padCrop, horizontalFlip, cutout)
    }

    public static let none = Augmentation()
    public static let cifar10 = Augmentation(padCrop: 4, horizontalFlip: true)
    public static let fashionMNIST = Augmentation(padCrop: 2, horizontalFlip: true)

    /// Returns the augmented batch. Padding value 0 is the normalized mean, i.e. the padded border looks "average".
    public func apply(_ batch: Tensor, rng: inout RandomSource) -> Tensor {
        guard padCrop > 0 || horizontalFlip || cutout > 0 else { return batch }
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        var out = Tensor(zeros: batch.shape)
        for image in 0..<n {
            let dy = padCrop > 0 ? rng.int(below: 2 * padCrop + 1) - padCrop : 0
            let dx = padCrop > 0 ? rng.int(below: 2 * padCrop + 1) - padCrop : 0
            let flip = horizontalFlip && rng.int(below: 2) == 1
            let cy = cutout > 0 ? rng.int(below: h) : 0, cx = cutout > 0 ? rng.int(below: w) : 0
            for ch in 0..<c {
                let base = (image * c + ch) * h * w
                for y in 0..<h {
                    let sy = y + dy
                    for x in 0..<w {
                        let sx0 = x + dx
                        let sx = flip ? (w - 1 - x) + dx : sx0
                        var v: Float = 0
                        if sy >= 0 && sy < h && sx >= 0 && sx < w { v = batch.storage[base + sy * w + sx] }
                        if cutout > 0 && abs(y - cy) * 2 < cutout && abs(x - cx) * 2 < cutout { v = 0 }
                        out.storage[base + y * w + x] = v
                    }
                }
            }
        }
        return out
    }
}
