import ENASCore
import ENASTestSupport
import Testing

/// Trains the baseline CNN and returns (test accuracy, final weights).
func trainBaseline(seed: UInt64, train: ImageDataset, test: ImageDataset, epochs: Int) throws -> (Double, [Float]) {
    let rng = RandomSource(seed: seed)
    var initRNG = rng.split("init")
    let model = BaselineCNN(inChannels: 1, classes: 10, rng: &initRNG)
    var config = ClassifierTrainingConfig()
    config.epochs = epochs
    config.schedule = .cosine(maximum: 0.08, minimum: 0.002, firstPeriod: Double(epochs), periodMultiplier: 1)
    let normalization = train.channelStatistics()
    try trainClassifier(model, on: train, config: config, rng: rng, normalization: normalization)
    return (try classificationAccuracy(model, on: test, normalization: normalization), model.parameters.flatMap(\.value.storage))
}

@Suite("End-to-end learning", .serialized)
struct SmallCNNLearningTests {
    @Test func baselineCNNLearnsFashionMNISTAndIsReproducible() throws {
        guard let directory = Fixtures.fashionMNISTDirectory else {
            Issue.record("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
            return
        }
        let train = try FashionMNIST.load(split: "train", directory: directory).prefix(5_000)
        let test = try FashionMNIST.load(split: "t10k", directory: directory).prefix(1_000)
        let (accuracy, _) = try trainBaseline(seed: 1, train: train, test: test, epochs: 10)
        #expect(accuracy >= 0.80, "test accuracy \(accuracy) on 1,000 test images after 10 epochs on 5,000")
        let (first, weightsFirst) = try trainBaseline(seed: 5, train: train.prefix(500), test: test.prefix(100), epochs: 1)
        let (second, weightsSecond) = try trainBaseline(seed: 5, train: train.prefix(500), test: test.prefix(100), epochs: 1)
        #expect(first == second && weightsFirst == weightsSecond, "two seeded runs must be bit-identical")
        let (_, weightsOther) = try trainBaseline(seed: 6, train: train.prefix(500), test: test.prefix(100), epochs: 1)
        #expect(weightsOther != weightsFirst, "another seed must give other weights")
    }

    @Test func cancellationStopsAtAStepBoundary() throws {
        var rng = RandomSource(seed: 3)
        let pixels = (0..<(60 * 64)).map { _ in UInt8(rng.int(below: 256)) }
        let data = try ImageDataset(pixels: pixels, labels: (0..<60).map { Int32($0 % 3) }, channels: 1, height: 8, width: 8, classCount: 3)
        var initRNG = rng.split("init")
        let model = BaselineCNN(inChannels: 1, classes: 3, width: 4, rng: &initRNG)
        var steps = 0
        #expect(throws: ENASError.self) {
            try trainClassifier(model, on: data, config: ClassifierTrainingConfig(), rng: rng, normalization: data.channelStatistics()) { _ in
                steps += 1
                return steps < 3
            }
        }
        #expect(steps == 3)
    }
}
