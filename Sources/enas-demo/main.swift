// enas-demo: trains the baseline CNN on Fashion-MNIST and shows that it learns.
// Usage: enas-demo [--epochs N] [--train-images N] [--seed S] [--threads T] [--log PATH] [--data DIR]
import ENASCore
import Foundation

nonisolated(unsafe) var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("usage: enas-demo [--epochs N] [--train-images N] [--seed S] [--threads T] [--log PATH] [--data DIR]\n".utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
let parsed = options
func option(_ name: String, _ fallback: Int) -> Int { parsed[name].flatMap(Int.init) ?? fallback }

let epochs = option("epochs", 3), trainImages = option("train-images", 10_000), seed = UInt64(option("seed", 1))
if let threads = options["threads"].flatMap(Int.init) { Parallel.threadCount = threads }
let logPath = options["log"] ?? "runs/demo/log.jsonl"

do {
    let directory = options["data"] ?? FashionMNIST.defaultDirectory
    let train = try FashionMNIST.load(split: "train", directory: directory).prefix(trainImages)
    let test = try FashionMNIST.load(split: "t10k", directory: directory)
    print("Fashion-MNIST: \(train.count) training images, \(test.count) test images; \(Parallel.threadCount) threads, seed \(seed)")
    let rng = RandomSource(seed: seed)
    var initRNG = rng.split("init")
    let model = BaselineCNN(inChannels: 1, classes: 10, rng: &initRNG)
    let normalization = train.channelStatistics()
    print("Baseline CNN with \(model.parameterCount) parameters")
    let before = try classificationAccuracy(model, on: test, normalization: normalization)
    print(String(format: "test accuracy before training: %.2f%%", before * 100))
    var config = ClassifierTrainingConfig()
    config.epochs = epochs
    config.schedule = .cosine(maximum: 0.08, minimum: 0.002, firstPeriod: Double(epochs), periodMultiplier: 1)
    let log = try JSONLinesLog(path: logPath)
    try trainClassifier(model, on: train, config: config, rng: rng, normalization: normalization) { p in
        try? log.write(["phase": "train", "epoch": p.epoch, "step": p.step, "loss": Double(p.loss),
                        "lr": Double(p.learningRate), "seconds": p.elapsedSeconds, "threads": Parallel.threadCount])
        if p.step % 50 == 0 || p.step == p.stepsPerEpoch - 1 {
            print(String(format: "epoch %d/%d  step %4d/%d  loss %.4f  lr %.4f  elapsed %5.1fs  ETA %5.1fs",
                         p.epoch + 1, epochs, p.step + 1, p.stepsPerEpoch, p.loss, p.learningRate, p.elapsedSeconds, p.etaSeconds))
        }
        return true
    }
    let after = try classificationAccuracy(model, on: test, normalization: normalization)
    try log.write(["phase": "final", "test_accuracy": after])
    print(String(format: "test accuracy after %d epochs: %.2f%% (was %.2f%%)", epochs, after * 100, before * 100))
    print("log: \(log.path)")
    if after < 0.7 { print("the model did not learn as expected"); exit(1) }
} catch let error as ENASError {
    FileHandle.standardError.write(Data("enas-demo: \(error.message)\n".utf8))
    exit(1)
}
