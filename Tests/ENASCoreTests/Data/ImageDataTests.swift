import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Image data: CIFAR-10 binary batches, caller arrays, splits, augmentation")
struct ImageDataTests {
    /// N records whose R plane encodes the label, G the row and B the column (shared/data/README's recipe).
    func cifarRecords(_ labels: [UInt8]) -> Data {
        var bytes: [UInt8] = []
        for label in labels {
            bytes.append(label)
            for _ in 0..<1024 { bytes.append(label &* 20 &+ 3) }
            for r in 0..<32 { for _ in 0..<32 { bytes.append(UInt8(8 * r % 256)) } }
            for _ in 0..<32 { for c in 0..<32 { bytes.append(UInt8(8 * c % 256)) } }
        }
        return Data(bytes)
    }

    @Test func cifarReaderDecodesLabelsPlanesRowsAndColumns() throws {
        let directory = try Fixtures.temporaryDirectory()
        let labels: [UInt8] = (0..<20).map { UInt8($0 % 10) }
        let file = cifarRecords(labels)
        #expect(file.count == 61_460)
        for b in 1...5 { try file.write(to: URL(fileURLWithPath: "\(directory)/data_batch_\(b).bin")) }
        try cifarRecords([9, 0, 4]).write(to: URL(fileURLWithPath: "\(directory)/test_batch.bin"))
        let (train, test) = try CIFAR10.load(directory: directory)
        #expect(train.count == 100 && test.count == 3 && test.labels == [9, 0, 4])
        guard case .bytes(let px) = train.pixels else { Issue.record("CIFAR pixels must stay bytes"); return }
        let image = 7, size = 3 * 1024
        #expect(train.labels[image] == 7)
        #expect(px[image * size + 5] == 7 * 20 + 3)                    // R plane: label
        #expect(px[image * size + 1024 + 10 * 32 + 3] == 80)           // G plane: 8 · row 10
        #expect(px[image * size + 2048 + 10 * 32 + 3] == 24)           // B plane: 8 · column 3
        let (fit, validation) = try train.splitOffValidation(30)
        #expect(fit.count == 70 && validation.count == 30 && validation.labels[0] == train.labels[70])
    }

    @Test func cifarReaderRejectsPartialRecordsAndBadLabels() throws {
        let directory = try Fixtures.temporaryDirectory()
        try cifarRecords([1, 2]).prefix(5000).write(to: URL(fileURLWithPath: "\(directory)/partial.bin"))
        #expect(throws: ENASError.self) { try CIFAR10.readBatch("\(directory)/partial.bin") }
        var bad = cifarRecords([1, 2])
        bad[CIFAR10.recordSize] = 12
        try bad.write(to: URL(fileURLWithPath: "\(directory)/label.bin"))
        #expect(throws: ENASError.format("'\(directory)/label.bin' record 1 has label 12; CIFAR-10 labels are 0…9")) {
            try CIFAR10.readBatch("\(directory)/label.bin")
        }
        #expect(throws: ENASError.self) { try CIFAR10.load(directory: directory + "/nothing") }
    }

    @Test func callerArraysOfOddSizesAndFloatPixels() throws {
        var rng = RandomSource(seed: 1)
        let gray = try ImageDataset(pixels: (0..<(5 * 784)).map { _ in UInt8(rng.int(below: 256)) }, labels: [0, 1, 2, 3, 4],
                                    channels: 1, height: 28, width: 28, classCount: 7)
        #expect(gray.batch([4, 0], mean: [0.5], std: [0.25]).images.shape == [2, 1, 28, 28])
        let color = try ImageDataset(pixels: .floats((0..<(3 * 3 * 40 * 40)).map { _ in rng.normal() }), labels: [6, 0, 3],
                                     channels: 3, height: 40, width: 40, classCount: 7)
        let (mean, std) = color.channelStatistics()
        let normalized = color.batch([0, 1, 2], mean: mean, std: std).images
        let first = normalized.storage[0..<1600]
        #expect(abs(first.reduce(0, +)) < 1e3 && normalized.shape == [3, 3, 40, 40])
        #expect(throws: ENASError.self) { try ImageDataset(pixels: [1, 2, 3], labels: [0], channels: 1, height: 2, width: 2, classCount: 2) }
        #expect(throws: ENASError.self) { try ImageDataset(pixels: [1, 2, 3, 4], labels: [7], channels: 1, height: 2, width: 2, classCount: 7) }
        #expect(throws: ENASError.self) { try ImageDataset(pixels: .floats([.nan, 0, 0, 0]), labels: [0], channels: 1, height: 2, width: 2, classCount: 2) }
    }

    @Test func augmentationFlipsCropsAndCutsOut() throws {
        let values = (0..<(2 * 1 * 4 * 5)).map { Float($0 + 1) }
        let batch = try Tensor(shape: [2, 1, 4, 5], storage: values)
        var rng = RandomSource(seed: 3)
        #expect(Augmentation.none.apply(batch, rng: &rng) == batch)
        // Flip only: every row is either itself or reversed.
        let flipped = Augmentation(horizontalFlip: true).apply(batch, rng: &rng)
        for row in 0..<8 {
            let original = Array(values[(row * 5)..<(row * 5 + 5)]), got = Array(flipped.storage[(row * 5)..<(row * 5 + 5)])
            #expect(got == original || got == original.reversed())
        }
        // Crop only: the image is the original shifted, with zero padding entering at the borders.
        let cropped = Augmentation(padCrop: 1).apply(batch, rng: &rng)
        #expect(Set(cropped.storage).isSubset(of: Set(values + [0])))
        // Cutout only: some zeros, the rest untouched.
        let cut = Augmentation(cutout: 2).apply(batch, rng: &rng)
        #expect(cut.storage.contains(0) && zip(cut.storage, values).allSatisfy { $0 == 0 || $0 == $1 })
        var a = RandomSource(seed: 9), b = RandomSource(seed: 9)
        #expect(Augmentation.cifar10.apply(batch, rng: &a) == Augmentation.cifar10.apply(batch, rng: &b))
    }
}
