import Foundation

/// The JSON part of an image search's checkpoint: everything that is not a tensor.
struct ImageSearchState: Codable {
    var config: ImageSearchConfig
    var dataFingerprint: String
    var epoch, stepInPhase, nonFiniteInARow: Int
    var phase: String
    var trainBatches, validBatches: ImageBatchSampler
    var augmentRNG, uniformRNG, reinforceRNG: RandomSource
    var baseline: Double?
    var adamSteps: Int
    var threads: Int
    /// The run's log records as one JSON array text (they are free-form dictionaries).
    var history: String
}

extension ImageSearch {
    static let checkpointKind = "image_search"

    /// Saves the whole search state — ω with its BN statistics and momentum, θ with Adam's moments, the baseline,
    /// every random stream, both data orders and cursors, epoch/phase/step, config and history — atomically.
    /// Resuming continues bit-identically to a run that never stopped (same thread count).
    public func save(to path: String) throws {
        let state = ImageSearchState(
            config: config, dataFingerprint: data.fingerprint, epoch: epoch, stepInPhase: stepInPhase, nonFiniteInARow: nonFiniteInARow,
            phase: phase.rawValue, trainBatches: trainBatches, validBatches: validBatches, augmentRNG: augmentRNG, uniformRNG: uniformRNG,
            reinforceRNG: reinforce.rng, baseline: reinforce.baseline, adamSteps: reinforce.optimizer.stepCount, threads: Parallel.threadCount,
            history: try Checkpoint.encodeHistory(history))
        let omega = network.layer
        var tensors = omega.parameters.map { (name: "omega/" + $0.name, tensor: $0.value) }
        tensors += omega.runningStatistics.map { (name: "stats/" + $0.name, tensor: $0.tensor) }
        tensors += optimizer.velocity.sorted { $0.key < $1.key }.map { (name: "momentum/" + $0.key, tensor: $0.value) }
        tensors += reinforce.checkpointTensors
        try Checkpoint(kind: Self.checkpointKind, encoding: state, tensors: tensors).write(to: path)
    }

    /// Restores a search saved by `save(to:)`; `data` must be the data it was searching (checked by fingerprint).
    public static func load(from path: String, data: ImageData) throws -> ImageSearch {
        let (checkpoint, state) = try Checkpoint.read(from: path, kind: checkpointKind, as: ImageSearchState.self)
        try Checkpoint.ensureSameData(saved: state.dataFingerprint, given: data.fingerprint, path: path, context: "search load")
        let phase = try Checkpoint.searchPhase(state.phase, path: path)
        let history = try Checkpoint.decodeHistory(state.history, path: path)
        let search = try ImageSearch(config: state.config, data: data)
        try search.network.layer.restoreParameters(from: checkpoint, prefix: "omega/")
        try search.network.layer.restoreRunningStatistics(from: checkpoint, prefix: "stats/")
        search.optimizer.velocity = checkpoint.tensors(withPrefix: "momentum/")
        try search.reinforce.restore(from: checkpoint, rng: state.reinforceRNG, baseline: state.baseline, adamSteps: state.adamSteps)
        (search.epoch, search.phase, search.stepInPhase, search.nonFiniteInARow) = (state.epoch, phase, state.stepInPhase, state.nonFiniteInARow)
        (search.trainBatches, search.validBatches) = (state.trainBatches, state.validBatches)
        (search.augmentRNG, search.uniformRNG) = (state.augmentRNG, state.uniformRNG)
        search.history = history
        return search
    }
}
