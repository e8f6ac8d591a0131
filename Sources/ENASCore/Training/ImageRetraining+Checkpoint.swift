import Foundation

/// The JSON part of an image retraining's checkpoint.
struct ImageRetrainingState: Codable {
    var architecture: ImageArchitecture
    var config: ImageRetrainConfig
    var dataFingerprint: String
    var batches: ImageBatchSampler
    var augmentRNG: RandomSource
    var regularizationRNG: RandomSource
    var threads: Int
}

extension ImageRetraining {
    static let checkpointKind = "image_retraining"

    /// Saves weights, BN running statistics, momentum buffers, data order and cursor and random streams
    /// atomically; a resumed run continues bit-identically (same thread count).
    public func save(to path: String) throws {
        let state = ImageRetrainingState(architecture: architecture, config: config, dataFingerprint: data.fingerprint, batches: batches,
                                         augmentRNG: augmentRNG, regularizationRNG: network.regularizationRNG, threads: Parallel.threadCount)
        let tensors = network.parameters.map { (name: "model/" + $0.name, tensor: $0.value) }
            + network.runningStatistics.map { (name: "stats/" + $0.name, tensor: $0.tensor) }
            + optimizer.velocity.sorted { $0.key < $1.key }.map { (name: "momentum/" + $0.key, tensor: $0.value) }
        try Checkpoint(kind: Self.checkpointKind, encoding: state, tensors: tensors).write(to: path)
    }

    /// Restores a retraining saved by `save(to:)`; `data` must be the data it trained on (checked by fingerprint).
    public static func load(from path: String, data: ImageData) throws -> ImageRetraining {
        let (checkpoint, state) = try Checkpoint.read(from: path, kind: checkpointKind, as: ImageRetrainingState.self)
        try Checkpoint.ensureSameData(saved: state.dataFingerprint, given: data.fingerprint, path: path, context: "retrain load")
        let retraining = try ImageRetraining(architecture: state.architecture, config: state.config, data: data)
        try retraining.network.restoreParameters(from: checkpoint, prefix: "model/")
        try retraining.network.restoreRunningStatistics(from: checkpoint, prefix: "stats/")
        retraining.optimizer.velocity = checkpoint.tensors(withPrefix: "momentum/")
        (retraining.batches, retraining.augmentRNG) = (state.batches, state.augmentRNG)
        retraining.network.regularizationRNG = state.regularizationRNG
        return retraining
    }
}
