import ENASCore
import ENASTestSupport
import Testing

/// A small CNN built from the layers: conv–BN–ReLU, max-pool, separable conv–BN–ReLU, global average pool, linear.
final class SmallCNN: Layer {
    let conv1, conv2: Conv2D
    let bn1, bn2, bn3: BatchNorm2D
    let separable: SeparableConv2D
    let head: Linear

    init(rng: inout RandomSource) {
        conv1 = Conv2D("conv1", inChannels: 1, outChannels: 16, kernel: 3, rng: &rng)
        bn1 = BatchNorm2D("bn1", channels: 16, rng: &rng)
        conv2 = Conv2D("conv2", inChannels: 16, outChannels: 32, kernel: 3, stride: 2, rng: &rng)
        bn2 = BatchNorm2D("bn2", channels: 32, rng: &rng)
        separable = SeparableConv2D("sep", inChannels: 32, outChannels: 32, kernel: 3, rng: &rng)
        bn3 = BatchNorm2D("bn3", channels: 32, rng: &rng)
        head = Linear("head", inputs: 32, outputs: 10, rng: &rng)
    }

    var parameters: [Variable] {
        [conv1, conv2].flatMap(\.parameters) + [bn1, bn2, bn3].flatMap(\.parameters) + separable.parameters + head.parameters
    }

    func logits(_ x: Variable, training: Bool) throws -> Variable {
        var h = relu(try bn1(try conv1(x), training: training))          // (B, 16, 28, 28)
        h = try maxPool2d(h, kernel: 2, stride: 2, padding: 0)            // (B, 16, 14, 14)
        h = relu(try bn2(try conv2(h), training: training))               // (B, 32, 7, 7)
        h = relu(try bn3(try separable(h), training: training))           // (B, 32, 7, 7)
        return try head(try globalAvgPool(h))                             // (B, 10)
    }
}

/// Trains the small CNN on 5,000 Fashion-MNIST training images and returns (test accuracy on 1,000, final weights).
func trainSmallCNN(seed: UInt64, train: ImageDataset, test: ImageDataset, epochs: Int) throws -> (Double, [Float]) {
    let root = RandomSource(seed: seed)
    var initRNG = root.split("init"), dataRNG = root.split("data")
    let model = SmallCNN(rng: &initRNG)
    let (mean, std) = train.channelStatistics()
    let optimizer = SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4)
    let schedule = LearningRateSchedule.cosine(maximum: 0.08, minimum: 0.002, firstPeriod: Double(epochs), periodMultiplier: 1)
    let batchSize = 50
    for epoch in 0..<epochs {
        var order = Array(0..<train.count)
        dataRNG.shuffle(&order)
        let steps = train.count / batchSize
        for step in 0..<steps {
            optimizer.learningRate = schedule.rate(atEpoch: Double(epoch) + Double(step) / Double(steps))
            let (images, labels) = train.batch(Array(order[(step * batchSize)..<((step + 1) * batchSize)]), mean: mean, std: std)
            model.zeroGrad()
            let loss = try softmaxCrossEntropy(try model.logits(Variable(images), training: true), labels: labels)
            try loss.backward()
            try clipGradientsByGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
        }
    }
    var correct = 0
    try withoutGradients {
        for start in stride(from: 0, to: test.count, by: 200) {
            let (images, labels) = test.batch(Array(start..<min(test.count, start + 200)), mean: mean, std: std)
            let logits = try model.logits(Variable(images), training: false).value
            for (r, label) in labels.enumerated() {
                let row = logits.storage[(r * 10)..<(r * 10 + 10)]
                if row.firstIndex(of: row.max()!)! - r * 10 == Int(label) { correct += 1 }
            }
        }
    }
    return (Double(correct) / Double(test.count), model.parameters.flatMap(\.value.storage))
}

@Suite("End-to-end learning", .serialized)
struct SmallCNNLearningTests {
    @Test func smallCNNLearnsFashionMNISTAndIsReproducible() throws {
        guard let directory = Fixtures.fashionMNISTDirectory else {
            Issue.record("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
            return
        }
        let train = try FashionMNIST.load(split: "train", directory: directory).prefix(5_000)
        let test = try FashionMNIST.load(split: "t10k", directory: directory).prefix(1_000)
        let (accuracy, weights) = try trainSmallCNN(seed: 1, train: train, test: test, epochs: 10)
        #expect(accuracy >= 0.80, "test accuracy \(accuracy)")
        let (again, weightsAgain) = try trainSmallCNN(seed: 1, train: train.prefix(500), test: test.prefix(100), epochs: 1)
        let (third, weightsThird) = try trainSmallCNN(seed: 1, train: train.prefix(500), test: test.prefix(100), epochs: 1)
        #expect(again == third && weightsAgain == weightsThird, "two seeded runs must be bit-identical")
        #expect(weights.count == weightsAgain.count)
    }
}
