import Foundation

/// Every hyperparameter of retraining one CNN architecture from scratch (strict snake_case JSON over the `paper`
/// preset of the architecture's space).
public struct ImageRetrainConfig: Codable, Equatable, Sendable {
    public var seed: UInt64 = 1
    /// Kernel threads; 0 keeps the default.
    public var threads = 0
    /// Passes over the training split (authors: micro 630, macro 310).
    public var epochs = 630
    /// Micro: normal cells L (authors' final: 15; 2 reduction cells are added). Macro: taken from the architecture.
    public var layers = 15
    /// Channels of the first stage (authors' final: micro 36, macro 96).
    public var width = 36
    /// The auxiliary classifier after the cell/layer that follows the second reduction (authors: on).
    public var auxiliaryHead = true
    /// Weight of the auxiliary loss (authors: 0.4).
    public var auxiliaryWeight: Float = 0.4
    /// Drop-path and head dropout (authors' micro: drop-path keep 0.6; macro: head dropout 0.5).
    public var regularization = RetrainRegularization(dropPathKeep: 0.6)
    /// SGD (authors' final: cosine 0.05 → 0.0001 micro / 0.001 macro, T0 10, Tmul 2, L2 2e-4, batch 144 / 100,
    /// cutout 16 on CIFAR-10).
    public var training = ImageTrainingConfig()
    /// Images per evaluation batch.
    public var evalBatchSize = 250
    public init() {}

    /// The authors' final runs (`cifar10_micro_final.sh`, `cifar10_macro_final.sh`).
    public static func paper(_ space: ImageSpaceKind) -> ImageRetrainConfig {
        var c = ImageRetrainConfig()
        c.training.weightDecay = 2e-4
        c.training.momentum = 0.9
        c.training.gradientClip = 5
        switch space {
        case .micro:
            (c.epochs, c.layers, c.width) = (630, 15, 36)
            c.training.batchSize = 144
            c.training.learningRate = .cosine(maximum: 0.05, minimum: 0.0001, firstPeriod: 10, periodMultiplier: 2)
            c.training.cutout = 16
            c.regularization = RetrainRegularization(dropPathKeep: 0.6, headDropout: 0)
        case .macro:
            (c.epochs, c.layers, c.width) = (310, 24, 96)
            c.training.batchSize = 100
            c.training.learningRate = .cosine(maximum: 0.05, minimum: 0.001, firstPeriod: 10, periodMultiplier: 2)
            c.regularization = RetrainRegularization(dropPathKeep: 1, headDropout: 0.5)
        }
        return c
    }

    /// Decodes a JSON object over the `paper` preset of `space` (an optional "preset": "paper" is accepted).
    public static func fromJSON(_ json: String, space: ImageSpaceKind) throws -> ImageRetrainConfig {
        var body = json
        if let data = json.data(using: .utf8), var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
           let preset = object.removeValue(forKey: "preset") {
            guard preset as? String == "paper" else { throw ENASError.invalidArgument("[retrain config] unknown preset \(preset) (known: paper)") }
            body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let config = try StrictJSON.decode(ImageRetrainConfig.self, from: body, over: paper(space), context: "retrain config")
        try config.validate()
        return config
    }

    public func validate() throws {
        try ensureArgument(epochs >= 0 && threads >= 0 && layers >= 0 && width >= 2 && width % 2 == 0 && evalBatchSize >= 1 && auxiliaryWeight >= 0,
                           "[retrain config] epochs, threads, layers ≥ 0, an even width ≥ 2, eval_batch_size ≥ 1 and auxiliary_weight ≥ 0 are required")
        try training.validate("retrain config")
    }
}

/// One CNN architecture trained from scratch in fixed mode (exactly the operations it names). Its metrics are
/// final metrics (test accuracy of the retrained network), never search metrics.
public final class ImageRetraining {
    public let architecture: ImageArchitecture
    public let config: ImageRetrainConfig
    public let data: ImageData
    public let network: any RetrainableNetwork
    public let optimizer: SGD
    let augmentation: Augmentation
    public internal(set) var batches: ImageBatchSampler
    var augmentRNG: RandomSource

    public init(architecture: ImageArchitecture, config: ImageRetrainConfig, data: ImageData) throws {
        try config.validate()
        if config.threads > 0 { Parallel.threadCount = config.threads }
        (self.architecture, self.config, self.data) = (architecture, config, data)
        let root = RandomSource(seed: config.seed)
        var initRNG = root.split("init")
        var network: any RetrainableNetwork
        switch architecture {
        case .micro(let a):
            network = try MicroNetwork(architecture: a, layerCount: config.layers, width: config.width, inChannels: data.channels,
                                       imageSize: (data.height, data.width), classes: data.classCount, auxiliaryHead: config.auxiliaryHead,
                                       regularization: config.regularization, rng: &initRNG)
        case .macro(let a):
            network = try MacroNetwork(architecture: a, width: config.width, inChannels: data.channels, imageSize: (data.height, data.width),
                                       classes: data.classCount, auxiliaryHead: config.auxiliaryHead, regularization: config.regularization,
                                       rng: &initRNG)
        }
        network.regularizationRNG = root.split("dropout")
        self.network = network
        optimizer = SGD(learningRate: config.training.learningRate.initial, momentum: config.training.momentum, nesterov: true,
                        weightDecay: config.training.weightDecay)
        augmentation = config.training.augmentation(for: data)
        batches = try ImageBatchSampler(count: data.train.count, batchSize: config.training.batchSize, rng: root.split("data"))
        augmentRNG = root.split("augment")
    }

    /// Parameters of the retrained network, with and without its auxiliary head.
    public var parameterCount: Int { network.parameterCount }
    public var parameterCountWithoutAuxiliary: Int { network.parameterCountWithoutAuxiliary }
    /// Completed epochs.
    public var epoch: Int { batches.epoch }

    /// Trains `epochs` more passes (default: up to the config's). One event per step; returning false cancels at a
    /// step boundary (`ENASError.cancelled`); calling again resumes.
    public func train(epochs: Int? = nil, onEvent: (SearchEvent) -> Bool = { _ in true }) throws {
        let target = epochs.map { batches.epoch + $0 } ?? config.epochs
        let perEpoch = batches.batchesPerEpoch
        let totalSteps = Double(max(1, config.epochs * perEpoch))
        let start = Date()
        let steps = max(1, (target - batches.epoch) * perEpoch - batches.cursor)
        var done = 0
        while batches.epoch < target {
            let (epoch, step) = (batches.epoch, batches.cursor)
            let rate = config.training.learningRate.schedule.rate(atEpoch: batches.progress)
            network.progress = min(1, Double(epoch * perEpoch + step + 1) / totalSteps)
            var (images, labels) = data.train.batch(batches.next(), mean: data.mean, std: data.std)
            images = augmentation.apply(images, rng: &augmentRNG)
            let network = self.network
            let result = try imageTrainingStep(parameters: network.parameters, images: images, labels: labels, optimizer: optimizer,
                                               learningRate: rate, gradientClip: config.training.gradientClip,
                                               auxiliaryWeight: config.auxiliaryWeight) { try network.forward($0, training: true) }
            done += 1
            let elapsed = Date().timeIntervalSince(start)
            let event = SearchEvent(phase: .retrain, epoch: epoch, step: done - 1, steps: steps, loss: Double(result.loss),
                                    accuracy: result.accuracy, learningRate: Double(rate), architecture: architecture.description,
                                    elapsedSeconds: elapsed, etaSeconds: elapsed / Double(done) * Double(max(0, steps - done)),
                                    threads: Parallel.threadCount)
            if !onEvent(event) && batches.epoch < target {
                throw ENASError.cancelled("[retrain] stopped by the caller at epoch \(batches.epoch) step \(batches.cursor)")
            }
        }
    }

    /// The split "train", "valid" or "test".
    public func split(_ name: String) throws -> ImageDataset { try data.split(name) }

    /// Top-1 accuracy on a split (evaluation mode: running BN statistics, no drop-path or dropout).
    public func accuracy(split name: String) throws -> Double {
        try classificationAccuracy(network, on: try split(name), normalization: (data.mean, data.std), batchSize: config.evalBatchSize)
    }

    /// Class probabilities (N, classes) of `images` (same pixel scale as the training data; normalized here).
    public func predict(_ images: ImageDataset) throws -> Tensor {
        try ensureShape(images.channels == data.channels && images.height == data.height && images.width == data.width,
                        "[predict] images are \(images.channels)×\(images.height)×\(images.width), the model takes \(data.channels)×\(data.height)×\(data.width)")
        var out = Tensor(zeros: [images.count, data.classCount])
        try withoutGradients {
            for start in stride(from: 0, to: images.count, by: config.evalBatchSize) {
                let indices = Array(start..<min(images.count, start + config.evalBatchSize))
                var logits = try network.logits(Variable(images.batch(indices, mean: data.mean, std: data.std).images), training: false).value
                logits.withMutablePointer { softmaxRows(rows: indices.count, cols: data.classCount, $0) }
                for i in 0..<logits.count { out.storage[start * data.classCount + i] = logits.storage[i] }
            }
        }
        return out
    }
}
