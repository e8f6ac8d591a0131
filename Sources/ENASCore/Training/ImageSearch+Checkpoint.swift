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
            history: String(decoding: try JSONSerialization.data(withJSONObject: history, options: [.sortedKeys]), as: UTF8.self))
        let omega = network.layer
        var tensors = omega.parameters.map { (name: "omega/" + $0.name, tensor: $0.value) }
        tensors += omega.runningStatistics.map { (name: "stats/" + $0.name, tensor: $0.tensor) }
        tensors += optimizer.velocity.sorted { $0.key < $1.key }.map { (name: "momentum/" + $0.key, tensor: $0.value) }
        tensors += controller.parameters.map { (name: "theta/" + $0.name, tensor: $0.value) }
        tensors += reinforce.optimizer.firstMoment.sorted { $0.key < $1.key }.map { (name: "adam.m/" + $0.key, tensor: $0.value) }
        tensors += reinforce.optimizer.secondMoment.sorted { $0.key < $1.key }.map { (name: "adam.v/" + $0.key, tensor: $0.value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Checkpoint(kind: Self.checkpointKind, state: try encoder.encode(state), tensors: tensors).write(to: path)
    }

    /// Restores a search saved by `save(to:)`; `data` must be the data it was searching (checked by fingerprint).
    public static func load(from path: String, data: ImageData) throws -> ImageSearch {
        let checkpoint = try Checkpoint.read(from: path)
        guard checkpoint.kind == checkpointKind else {
            throw ENASError.format("'\(path)' holds a \(checkpoint.kind) checkpoint, not a \(checkpointKind)")
        }
        let state: ImageSearchState
        do { state = try JSONDecoder().decode(ImageSearchState.self, from: checkpoint.state) } catch {
            throw ENASError.format("'\(path)' has a corrupt search state: \(error)")
        }
        guard state.dataFingerprint == data.fingerprint else {
            throw ENASError.invalidArgument("[search load] '\(path)' was searching other data (\(state.dataFingerprint), given \(data.fingerprint))")
        }
        guard let phase = SearchEvent.Phase(rawValue: state.phase), phase == .sharedWeights || phase == .controller else { throw ENASError.format("'\(path)' names an unknown phase '\(state.phase)'") }
        guard let history = try JSONSerialization.jsonObject(with: Data(state.history.utf8)) as? [[String: Any]] else {
            throw ENASError.format("'\(path)' has a corrupt history")
        }
        let search = try ImageSearch(config: state.config, data: data)
        try search.network.layer.restoreParameters(from: checkpoint, prefix: "omega/")
        try search.network.layer.restoreRunningStatistics(from: checkpoint, prefix: "stats/")
        search.optimizer.velocity = checkpoint.tensors(withPrefix: "momentum/")
        try search.controller.restoreParameters(from: checkpoint, prefix: "theta/")
        search.reinforce.optimizer.firstMoment = checkpoint.tensors(withPrefix: "adam.m/")
        search.reinforce.optimizer.secondMoment = checkpoint.tensors(withPrefix: "adam.v/")
        (search.epoch, search.phase, search.stepInPhase, search.nonFiniteInARow) = (state.epoch, phase, state.stepInPhase, state.nonFiniteInARow)
        (search.trainBatches, search.validBatches) = (state.trainBatches, state.validBatches)
        (search.augmentRNG, search.uniformRNG, search.reinforce.rng) = (state.augmentRNG, state.uniformRNG, state.reinforceRNG)
        search.reinforce.baseline = state.baseline
        search.reinforce.optimizer.stepCount = state.adamSteps
        search.history = history
        return search
    }
}
