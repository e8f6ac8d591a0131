/// The three splits an image search or retraining reads, with the normalization (per-channel statistics of the
/// training split) and the training augmentation its source calls for.
public struct ImageData: Sendable {
    public let train: ImageDataset
    public let validation: ImageDataset
    public let test: ImageDataset
    public let mean: [Float]
    public let std: [Float]
    /// Applied to training batches only (the retraining config may add cutout).
    public var augmentation: Augmentation

    public var channels: Int { train.channels }
    public var height: Int { train.height }
    public var width: Int { train.width }
    public var classCount: Int { train.classCount }

    /// `validation` nil carves the last `validationCount` training images off as the validation split (the
    /// authors' CIFAR-10 split).
    public init(train: ImageDataset, validation: ImageDataset? = nil, test: ImageDataset, validationCount: Int = 5000,
                augmentation: Augmentation = .none) throws {
        var (train, validation) = (train, validation)
        if validation == nil { (train, validation) = try train.splitOffValidation(validationCount) }
        for (name, split) in [("validation", validation!), ("test", test)] {
            try ensureShape(split.channels == train.channels && split.height == train.height && split.width == train.width
                            && split.classCount == train.classCount,
                            "[images] the \(name) split is \(split.channels)×\(split.height)×\(split.width) with \(split.classCount) classes, "
                            + "the training split \(train.channels)×\(train.height)×\(train.width) with \(train.classCount)")
            try ensureArgument(split.count >= 1, "[images] the \(name) split is empty")
        }
        try ensureArgument(train.count >= 1, "[images] the training split is empty")
        (self.train, self.validation, self.test) = (train, validation!, test)
        (mean, std) = train.channelStatistics()
        self.augmentation = augmentation
    }

    /// Fashion-MNIST from `directory` (Debian's package by default): optionally only the first `trainLimit`
    /// training and `testLimit` test images; crop 2 + flip augmentation.
    public static func fashionMNIST(directory: String = FashionMNIST.defaultDirectory, validationCount: Int = 5000,
                                    trainLimit: Int? = nil, testLimit: Int? = nil) throws -> ImageData {
        var train = try FashionMNIST.load(split: "train", directory: directory)
        var test = try FashionMNIST.load(split: "t10k", directory: directory)
        if let n = trainLimit { train = train.prefix(n) }
        if let n = testLimit { test = test.prefix(n) }
        return try ImageData(train: train, test: test, validationCount: validationCount, augmentation: .fashionMNIST)
    }

    /// CIFAR-10 binary batches in `directory`; the last `validationCount` training images validate; crop 4 + flip.
    public static func cifar10(directory: String, validationCount: Int = 5000) throws -> ImageData {
        let (train, test) = try CIFAR10.load(directory: directory)
        return try ImageData(train: train, test: test, validationCount: validationCount, augmentation: .cifar10)
    }

    /// The split named "train", "valid" or "test".
    public func split(_ name: String) throws -> ImageDataset {
        switch name {
        case "train": return train
        case "valid": return validation
        case "test": return test
        default: throw ENASError.invalidArgument("[images] split must be 'train', 'valid' or 'test', got '\(name)'")
        }
    }

    /// The first `train`, `validation` and `test` images of each split (nil: all of it), with the same augmentation;
    /// the normalization is recomputed from the smaller training split. Quick runs and notebooks at a small budget.
    public func prefix(train: Int? = nil, validation: Int? = nil, test: Int? = nil) throws -> ImageData {
        for (name, n, count) in [("train", train, self.train.count), ("validation", validation, self.validation.count),
                                 ("test", test, self.test.count)] {
            if let n {
                try ensureArgument(n >= 1 && n <= count, "[images] a subset takes 1…\(count) \(name) images, got \(n)")
            }
        }
        return try ImageData(train: self.train.prefix(train ?? self.train.count),
                             validation: self.validation.prefix(validation ?? self.validation.count),
                             test: self.test.prefix(test ?? self.test.count), augmentation: augmentation)
    }

    /// Split sizes, shape and an FNV-1a hash of labels and a pixel sample: a resumed run must see the same data.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for split in [train, validation, test] {
            for label in split.labels { hash = (hash ^ UInt64(UInt32(bitPattern: label))) &* 0x100_0000_01b3 }
            let n = split.count * split.imageSize
            for i in stride(from: 0, to: n, by: max(1, n / 4096)) { hash = (hash ^ UInt64(split.value(i).bitPattern)) &* 0x100_0000_01b3 }
        }
        return "\(channels)x\(height)x\(width)-c\(classCount)-\(train.count)-\(validation.count)-\(test.count)-\(String(hash, radix: 16))"
    }
}
