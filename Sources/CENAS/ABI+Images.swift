// Image data across the ABI: Fashion-MNIST (Debian's package by default), CIFAR-10 binary batches, or the caller's
// arrays (N×C×H×W uint8 or float32 pixels + int32/int64 labels of any shape and class count).
import ENASCore

/// The object behind an `enas_images *`: immutable train/validation/test splits with their normalization.
final class ImagesObject: HandleObject {
    static let kind = HandleKind.images
    let data: ImageData

    init(_ data: ImageData) { self.data = data }
}

/// An optional directory argument: NULL → `fallback`; empty is an error.
private func readDirectory(_ pointer: UnsafePointer<CChar>?, fallback: String?) throws -> String {
    guard let pointer else {
        guard let fallback else { throw ABIError.invalidArgument("directory is NULL") }
        return fallback
    }
    let directory = try readText(pointer, "directory")
    guard !directory.isEmpty else { throw ABIError.invalidArgument("directory is empty") }
    return directory
}

private func validationCount(_ value: Int64) throws -> Int {
    guard value >= 1, value <= Int64(Int32.max) else { throw ABIError.invalidArgument("validation_count = \(value) must be ≥ 1") }
    return Int(value)
}

/// `int32_t enas_images_load_fashion_mnist(const char *directory, int64_t validation_count, enas_images **out)`
@_cdecl("enas_images_load_fashion_mnist")
public func enas_images_load_fashion_mnist(
    _ directory: UnsafePointer<CChar>?, _ validation: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_images_load_fashion_mnist") {
        let out = try required(out, "out")
        out.pointee = nil
        let directory = try readDirectory(directory, fallback: FashionMNIST.defaultDirectory)
        let data = try ImageData.fashionMNIST(directory: directory, validationCount: try validationCount(validation))
        out.pointee = HandleRegistry.shared.register(ImagesObject(data))
    }
}

/// `int32_t enas_images_load_cifar10(const char *directory, int64_t validation_count, enas_images **out)`
@_cdecl("enas_images_load_cifar10")
public func enas_images_load_cifar10(
    _ directory: UnsafePointer<CChar>?, _ validation: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_images_load_cifar10") {
        let out = try required(out, "out")
        out.pointee = nil
        let directory = try readDirectory(directory, fallback: nil)
        let data = try ImageData.cifar10(directory: directory, validationCount: try validationCount(validation))
        out.pointee = HandleRegistry.shared.register(ImagesObject(data))
    }
}

/// Reads one split: `shape` (N, C, H, W) pixels of `dtype` (U8 or F32) and N labels of `labelDType` (I32 or I64).
func readImages(
    _ pixels: UnsafeRawPointer?, dtype: Int32, shape: UnsafePointer<Int64>?, labels: UnsafeRawPointer?, labelDType: Int32,
    classes: Int, split: String
) throws -> ImageDataset {
    guard let type = ABIDType(rawValue: dtype), type == .u8 || type == .f32 else {
        throw ABIError.invalidArgument("dtype = \(dtype) is not a pixel type; use ENAS_DTYPE_U8 or ENAS_DTYPE_F32")
    }
    let (dims, count) = try readShape(shape, ndim: 4, elementSize: type.size, argument: "\(split)_shape")
    guard dims[0] >= 1, count > 0 else { throw ABIError.shape("\(split)_shape \(Shape.describe(dims)) holds no image") }
    guard let pixels else { throw ABIError.invalidArgument("x_\(split) is NULL") }
    let values: ImageDataset.Pixels =
        type == .u8
        ? .bytes(Array(UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt8.self), count: count)))
        : .floats((0..<count).map { pixels.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) })
    let readLabels: [Int32]
    if let labels {
        guard let labelType = ABIDType(rawValue: labelDType), labelType == .i32 || labelType == .i64 else {
            throw ABIError.invalidArgument("label_dtype = \(labelDType) is not ENAS_DTYPE_I32 or ENAS_DTYPE_I64")
        }
        readLabels = try (0..<dims[0]).map { i in
            let v: Int64 = labelType == .i32 ? Int64(labels.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
                : labels.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
            guard v >= 0, v < Int64(classes) else { throw ABIError.invalidArgument("y_\(split)[\(i)] = \(v) is outside 0..<\(classes) (n_classes)") }
            return Int32(v)
        }
    } else {
        readLabels = [Int32](repeating: 0, count: dims[0])
    }
    return try ImageDataset(pixels: values, labels: readLabels, channels: dims[1], height: dims[2], width: dims[3], classCount: classes)
}

/// `int32_t enas_images_from_arrays(const void *x_train, const int64_t *train_shape, const void *y_train,
///                                  const void *x_test, const int64_t *test_shape, const void *y_test, int32_t dtype,
///                                  int32_t label_dtype, int64_t n_classes, int64_t validation_count,
///                                  enas_images **out)`
@_cdecl("enas_images_from_arrays")
public func enas_images_from_arrays(
    _ xTrain: UnsafeRawPointer?, _ trainShape: UnsafePointer<Int64>?, _ yTrain: UnsafeRawPointer?,
    _ xTest: UnsafeRawPointer?, _ testShape: UnsafePointer<Int64>?, _ yTest: UnsafeRawPointer?, _ dtype: Int32,
    _ labelDType: Int32, _ classes: Int64, _ validation: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_images_from_arrays") {
        let out = try required(out, "out")
        out.pointee = nil
        guard classes >= 2, classes <= 1 << 20 else { throw ABIError.invalidArgument("n_classes = \(classes) is outside 2...\(1 << 20)") }
        _ = try required(yTrain, "y_train")
        _ = try required(yTest, "y_test")
        let train = try readImages(xTrain, dtype: dtype, shape: trainShape, labels: yTrain, labelDType: labelDType, classes: Int(classes), split: "train")
        let test = try readImages(xTest, dtype: dtype, shape: testShape, labels: yTest, labelDType: labelDType, classes: Int(classes), split: "test")
        let data = try ImageData(train: train, test: test, validationCount: try validationCount(validation))
        out.pointee = HandleRegistry.shared.register(ImagesObject(data))
    }
}

/// `int32_t enas_images_info(const enas_images *images, int64_t *info)` — info[8]: n_train, n_valid, n_test,
/// channels, height, width, n_classes, augmentation flags (bit 0 crop, bit 1 flip).
@_cdecl("enas_images_info")
public func enas_images_info(_ images: OpaquePointer?, _ info: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall("enas_images_info") {
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        let info = try required(info, "info")
        let values = [data.train.count, data.validation.count, data.test.count, data.channels, data.height, data.width, data.classCount,
                      (data.augmentation.padCrop > 0 ? 1 : 0) | (data.augmentation.horizontalFlip ? 2 : 0)]
        for (i, v) in values.enumerated() { info[i] = Int64(v) }
    }
}

/// `int32_t enas_images_subset(const enas_images *images, int64_t n_train, int64_t n_valid, int64_t n_test,
/// enas_images **out)` — the first n of each split; -1 keeps a split whole.
@_cdecl("enas_images_subset")
public func enas_images_subset(
    _ images: OpaquePointer?, _ train: Int64, _ valid: Int64, _ test: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_images_subset") {
        let out = try required(out, "out")
        out.pointee = nil
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        let subset = try data.prefix(train: try subsetCount(train, "n_train"), validation: try subsetCount(valid, "n_valid"),
                                     test: try subsetCount(test, "n_test"))
        out.pointee = HandleRegistry.shared.register(ImagesObject(subset))
    }
}

/// `int32_t enas_images_read_split(const enas_images *images, const char *split, float *pixels, int64_t n_pixels,
/// int64_t *labels, int64_t n_labels)`
@_cdecl("enas_images_read_split")
public func enas_images_read_split(
    _ images: OpaquePointer?, _ split: UnsafePointer<CChar>?, _ pixels: UnsafeMutablePointer<Float>?, _ pixelCount: Int64,
    _ labels: UnsafeMutablePointer<Int64>?, _ labelCount: Int64
) -> Int32 {
    abiCall("enas_images_read_split") {
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        let name = try readText(try required(split, "split"), "split")
        guard ["train", "valid", "test"].contains(name) else {
            throw ABIError.invalidArgument("split must be \"train\", \"valid\" or \"test\", got \"\(name)\"")
        }
        let set = try data.split(name)
        let n = set.count * set.imageSize
        guard pixelCount == Int64(n), labelCount == Int64(set.count) else {
            throw ABIError.shape("the \(name) split holds \(set.count) images of \(set.imageSize) values: n_pixels must be \(n) "
                                 + "and n_labels \(set.count), got \(pixelCount) and \(labelCount)")
        }
        let pixels = try required(pixels, "pixels"), labels = try required(labels, "labels")
        for i in 0..<n { pixels[i] = set.value(i) }
        for (i, label) in set.labels.enumerated() { labels[i] = Int64(label) }
    }
}

/// `int32_t enas_images_free(enas_images *images)`
@_cdecl("enas_images_free")
public func enas_images_free(_ images: OpaquePointer?) -> Int32 {
    abiCall("enas_images_free") {
        try HandleRegistry.shared.release(images, as: ImagesObject.self, argument: "images")
    }
}
