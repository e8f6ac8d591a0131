import ENASCore
import ENASTestSupport
import Foundation
import Testing

/// 5,000 Fashion-MNIST training images (4,500 train / 500 validation) and 1,000 test images, or nil with a recorded
/// issue when Debian's package is absent.
func fashionMNISTSlice() throws -> ImageData? {
    guard let directory = Fixtures.fashionMNISTDirectory else {
        Issue.record("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        return nil
    }
    return try ImageData.fashionMNIST(directory: directory, validationCount: 500, trainLimit: 5_000, testLimit: 1_000)
}

/// A small search config for `space` sized for a 2-core CI machine, its learning rate one cosine period over
/// `epochs` (a restart at the end would undo the last epochs).
func smallImageSearchConfig(_ space: ImageSpaceKind, seed: UInt64 = 1, epochs: Int = 12) -> ImageSearchConfig {
    var c = ImageSearchConfig.paper(space)
    c.seed = seed
    c.layers = space == .macro ? 3 : 1
    c.width = space == .micro ? 24 : 16
    c.blocks = 3
    c.training.batchSize = 32
    c.training.augment = false
    c.training.learningRate = .cosine(maximum: 0.1, minimum: 0.005, firstPeriod: Double(epochs), periodMultiplier: 1)
    // A faster controller than the paper's (lr 0.03, baseline decay 0.95) so a few hundred steps move the policy.
    c.reinforce.learningRate = 0.03
    c.reinforce.baselineDecay = 0.95
    c.controllerStepsPerEpoch = 10
    c.reinforce.samplesPerStep = 5
    c.validBatchSize = 100
    c.deriveSamples = 8
    return c
}

@Suite("Image search (macro and micro) on Fashion-MNIST", .serialized)
struct ImageSearchTests {
    /// Searches `space` on the slice; returns the search (nil without the data).
    @discardableResult
    func searchReachesAccuracy(_ space: ImageSpaceKind, epochs: Int = 12) throws -> (ImageSearch, ImageData)? {
        guard let data = try fashionMNISTSlice() else { return nil }
        let search = try ImageSearch(config: smallImageSearchConfig(space, epochs: epochs), data: data)
        let start = Date()
        try search.run(epochs: epochs)
        for line in search.history where line["phase"] as? String == "controller" && line["step"] as? Int == 9 { print(line["epoch"]!, line["acc"]!, line["entropy"]!, line["seconds"]!) }
        let accuracies = search.history.filter { $0["phase"] as? String == "controller" }.compactMap { $0["acc"] as? Double }
        let last = accuracies.suffix(10).reduce(0, +) / Double(min(10, accuracies.count))
        print("\(space) search: \(search.history.count) steps in \(Int(Date().timeIntervalSince(start))) s; "
              + "sampled children's validation accuracy \(accuracies.first ?? 0) → \(last)")
        #expect(last >= 0.70, "sampled children's validation accuracy \(last)")
        return (search, data)
    }

    /// The micro search, then derive + retrain of the derived cells from scratch: a final test accuracy.
    /// 10 search and 5 retraining epochs keep CI under its 30 minutes (12 + 6 reached 0.74 and 0.886 on
    /// 2026-12-05, the search above 0.72 from its 6th epoch on).
    @Test func microSearchReachesSeventyPercentAndItsDerivedCellsRetrainAboveEighty() throws {
        guard let (search, data) = try searchReachesAccuracy(.micro, epochs: 10) else { return }
        let (architecture, validAccuracy) = try search.derive()
        #expect(search.history.filter { $0["phase"] as? String == "derive" }.count == search.config.deriveSamples)
        var config = ImageRetrainConfig.paper(.micro)
        (config.epochs, config.layers, config.width) = (5, 1, 16)
        config.training.batchSize = 32
        config.training.cutout = 0
        config.training.augment = false
        config.training.learningRate = .cosine(maximum: 0.05, minimum: 0.001, firstPeriod: 5, periodMultiplier: 1)
        let start = Date()
        let retraining = try ImageRetraining(architecture: architecture, config: config, data: data)
        try retraining.train()
        let test = try retraining.accuracy(split: "test")
        print("derived \(architecture) (search valid acc \(validAccuracy)); retrained \(retraining.parameterCount) parameters in "
              + "\(Int(Date().timeIntervalSince(start))) s: test accuracy \(test)")
        #expect(test >= 0.80, "final test accuracy \(test) on 1,000 test images")
        let probabilities = try retraining.predict(data.test.prefix(3))
        #expect(probabilities.shape == [3, 10])
        for r in 0..<3 { #expect(abs(probabilities.storage[(r * 10)..<(r * 10 + 10)].reduce(0, +) - 1) < 1e-4) }
    }
    @Test func macroSearchReachesSeventyPercent() throws { try searchReachesAccuracy(.macro) }
}

/// Random images of any shape and class count (pixels uniform bytes; label = brightest quadrant mod classes, so
/// there is something to learn).
func syntheticImages(count: Int, channels: Int, size: Int, classes: Int, seed: UInt64) throws -> ImageDataset {
    var rng = RandomSource(seed: seed)
    var pixels = [UInt8](repeating: 0, count: count * channels * size * size)
    var labels: [Int32] = []
    for n in 0..<count {
        let label = rng.int(below: classes)
        labels.append(Int32(label))
        for c in 0..<channels {
            for y in 0..<size {
                for x in 0..<size {
                    let bright = (y * 2 / size) * 2 + (x * 2 / size) == label % 4
                    pixels[((n * channels + c) * size + y) * size + x] = UInt8(bright ? 150 + rng.int(below: 100) : rng.int(below: 120))
                }
            }
        }
    }
    return try ImageDataset(pixels: pixels, labels: labels, channels: channels, height: size, width: size, classCount: classes)
}

@Suite("Image search state: checkpoints, reproducibility, any image shape, bad inputs")
struct ImageSearchStateTests {
    func tinyConfig(_ space: ImageSpaceKind) -> ImageSearchConfig {
        var c = ImageSearchConfig.paper(space)
        (c.layers, c.width, c.blocks) = (space == .macro ? 2 : 0, 4, 2)
        c.training.batchSize = 8
        c.stepsPerEpoch = 4
        c.controllerStepsPerEpoch = 3
        c.reinforce.samplesPerStep = 2
        c.validBatchSize = 8
        c.deriveSamples = 3
        return c
    }

    func tinyData(channels: Int = 1, size: Int = 12, classes: Int = 3) throws -> ImageData {
        try ImageData(train: syntheticImages(count: 64, channels: channels, size: size, classes: classes, seed: 1),
                      test: syntheticImages(count: 16, channels: channels, size: size, classes: classes, seed: 2), validationCount: 16,
                      augmentation: .fashionMNIST)
    }

    func weights(_ search: ImageSearch) -> [Float] {
        search.network.layer.parameters.flatMap(\.value.storage) + search.controller.parameters.flatMap(\.value.storage)
    }

    @Test(arguments: [(ImageSpaceKind.micro, 2), (.micro, 6), (.macro, 2), (.macro, 5)])
    func resumedSearchIsBitIdentical(space: ImageSpaceKind, stopAfter: Int) throws {
        // Stops after `stopAfter` steps (2: inside phase 1; 5 or 6: inside phase 2), saves, loads into fresh objects
        // and finishes; the result must equal an uninterrupted run's, byte for byte.
        let data = try tinyData()
        let uninterrupted = try ImageSearch(config: tinyConfig(space), data: data)
        try uninterrupted.run(epochs: 2)
        let first = try ImageSearch(config: tinyConfig(space), data: data)
        var steps = 0
        #expect(throws: ENASError.self) { try first.run(epochs: 2) { _ in steps += 1; return steps < stopAfter } }
        let path = try Fixtures.temporaryDirectory() + "/search.enas"
        try first.save(to: path)
        let resumed = try ImageSearch.load(from: path, data: data)
        try resumed.run(epochs: 2 - resumed.epoch)
        #expect(weights(resumed) == weights(uninterrupted))
        #expect(resumed.history.count == uninterrupted.history.count)
        #expect(try resumed.derive().architecture == (try uninterrupted.derive().architecture))
    }

    @Test func seededRunsAreIdenticalAndTheRandomStrategyRuns() throws {
        let data = try tinyData()
        let a = try ImageSearch(config: tinyConfig(.micro), data: data), b = try ImageSearch(config: tinyConfig(.micro), data: data)
        try a.run(epochs: 1)
        try b.run(epochs: 1)
        #expect(weights(a) == weights(b))
        var c = tinyConfig(.micro)
        c.strategy = .random
        let random = try ImageSearch(config: c, data: data)
        try random.run(epochs: 1)
        #expect(random.history.allSatisfy { $0["phase"] as? String == "shared_weights" })
        #expect(random.history.count == 4)
    }

    @Test(arguments: [(1, 28, 10), (3, 40, 7), (3, 17, 2)])
    func callerArraysOfAnyShapeSearchAndRetrain(channels: Int, size: Int, classes: Int) throws {
        let data = try tinyData(channels: channels, size: size, classes: classes)
        for space in ImageSpaceKind.allCases {
            let search = try ImageSearch(config: tinyConfig(space), data: data)
            try search.run(epochs: 1)
            let (architecture, _) = try search.derive()
            var config = ImageRetrainConfig.paper(space)
            (config.epochs, config.layers, config.width) = (1, 1, 4)
            config.training.batchSize = 8
            config.auxiliaryHead = space == .micro && size >= 28
            if space == .macro { config.auxiliaryHead = false }
            let retraining = try ImageRetraining(architecture: architecture, config: config, data: data)
            try retraining.train()
            #expect(try retraining.predict(data.test).shape == [16, classes])
            #expect((0...1).contains(try retraining.accuracy(split: "test")))
        }
    }

    @Test func resumedRetrainingIsBitIdentical() throws {
        let data = try tinyData(size: 28)
        let architecture = ImageArchitecture.micro(publishedMicro)
        var config = ImageRetrainConfig.paper(.micro)
        (config.epochs, config.layers, config.width) = (2, 1, 4)
        config.training.batchSize = 8
        config.training.cutout = 8
        let uninterrupted = try ImageRetraining(architecture: architecture, config: config, data: data)
        try uninterrupted.train()
        let first = try ImageRetraining(architecture: architecture, config: config, data: data)
        var steps = 0
        #expect(throws: ENASError.self) { try first.train { _ in steps += 1; return steps < 7 } }
        let path = try Fixtures.temporaryDirectory() + "/retrain.enas"
        try first.save(to: path)
        let resumed = try ImageRetraining.load(from: path, data: data)
        try resumed.train()
        #expect(resumed.network.parameters.flatMap(\.value.storage) == uninterrupted.network.parameters.flatMap(\.value.storage))
        #expect(try resumed.accuracy(split: "test") == (try uninterrupted.accuracy(split: "test")))
        #expect(resumed.parameterCount > resumed.parameterCountWithoutAuxiliary)
    }

    @Test func divergingChildrenAreSkippedThenStopTheSearch() throws {
        var config = tinyConfig(.micro)
        config.training.learningRate = .constant(1e12)
        config.training.gradientClip = 0
        config.maxNonFiniteSteps = 2
        let search = try ImageSearch(config: config, data: try tinyData())
        #expect(throws: ENASError.self) { try search.run(epochs: 3) }
        #expect(search.nonFiniteInARow == 2)
        #expect(search.history.contains { $0["loss"] == nil && $0["phase"] as? String == "shared_weights" })
    }

    @Test func badInputsAreNamedErrors() throws {
        let data = try tinyData()
        #expect(throws: ENASError.self) { try ImageSearchConfig.fromJSON(#"{"space": "micro", "lerning_rate": 1}"#) }
        #expect(throws: ENASError.self) { try ImageSearchConfig.fromJSON(#"{"space": "mezzo"}"#) }
        #expect(throws: ENASError.self) { try ImageSearchConfig.fromJSON(#"{"width": 7}"#) }
        let config = try ImageSearchConfig.fromJSON(#"{"space": "macro", "layers": 4, "training": {"batch_size": 16}}"#)
        #expect(config.space == .macro && config.layers == 4 && config.training.batchSize == 16 && config.width == 36)
        #expect(throws: ENASError.self) { try ImageRetrainConfig.fromJSON(#"{"drop_path": 0.5}"#, space: .micro) }
        var big = tinyConfig(.micro)
        big.training.batchSize = 1000
        #expect(throws: ENASError.self) { try ImageSearch(config: big, data: data) }
        // A checkpoint loaded against other data, a truncated one, a foreign one.
        let search = try ImageSearch(config: tinyConfig(.micro), data: data)
        let directory = try Fixtures.temporaryDirectory()
        try search.save(to: directory + "/s.enas")
        #expect(throws: ENASError.self) { try ImageSearch.load(from: directory + "/s.enas", data: try tinyData(classes: 4)) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/s.enas"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: directory + "/t.enas"))
        #expect(throws: ENASError.self) { try ImageSearch.load(from: directory + "/t.enas", data: data) }
        #expect(throws: ENASError.self) { try ImageRetraining.load(from: directory + "/s.enas", data: data) }
        // An architecture of the other space.
        #expect(throws: ENASError.self) {
            try search.validationAccuracy(.macro(try MacroArchitecture.parse("0")), indices: [0, 1])
        }
    }
}
