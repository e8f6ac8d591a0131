/// Fashion-MNIST from the gzip'd IDX files of Debian's `dataset-fashion-mnist` package (or any directory with the
/// same four files): 60,000 training and 10,000 test images, 1×28×28, 10 classes.
public enum FashionMNIST {
    /// Where Debian's package installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                    "Sneaker", "Bag", "Ankle boot"]

    /// Reads one split ("train" or "t10k") from `directory`.
    public static func load(split: String, directory: String = defaultDirectory) throws -> ImageDataset {
        try ensureArgument(split == "train" || split == "t10k", "[FashionMNIST] split must be 'train' or 't10k', got '\(split)'")
        let images = try IDXArray(contentsOf: "\(directory)/\(split)-images-idx3-ubyte.gz")
        let labels = try IDXArray(contentsOf: "\(directory)/\(split)-labels-idx1-ubyte.gz")
        guard images.dimensions.count == 3, labels.dimensions.count == 1, images.dimensions[0] == labels.dimensions[0] else {
            throw ENASError.format("[FashionMNIST] \(split): images \(images.dimensions) and labels \(labels.dimensions) do not match")
        }
        return try ImageDataset(pixels: images.bytes, labels: labels.bytes.map { Int32($0) }, channels: 1,
                                height: images.dimensions[1], width: images.dimensions[2], classCount: 10)
    }
}
