import Foundation

/// The JSON part of a recurrent search's checkpoint: everything that is not a tensor.
struct RecurrentSearchState: Codable {
    var config: RecurrentSearchConfig
    var corpusFingerprint: String
    var epoch, stepInPhase, nonFiniteInARow, validCursor: Int
    var phase: String
    var uniformRNG: RandomSource
    var trainer: LanguageModelTrainerState
    var reinforceRNG: RandomSource
    var baseline: Double?
    var adamSteps: Int
    var threads: Int
    /// The run's log records as one JSON array text (they are free-form dictionaries).
    var history: String
}

extension TokenCorpus {
    /// Split lengths, vocabulary size and an FNV-1a hash of the tokens: a resumed search must see the same data.
    var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for stream in [train, valid, test] { for t in stream { hash = (hash ^ UInt64(UInt32(bitPattern: t))) &* 0x100_0000_01b3 } }
        return "v\(vocabulary.count)-\(train.count)-\(valid.count)-\(test.count)-\(String(hash, radix: 16))"
    }
}

extension RecurrentSearch {
    static let checkpointKind = "recurrent_search"

    /// Saves the whole search state — ω, θ, Adam's moments, the baseline, every random stream, data cursors,
    /// the carried hidden state, epoch/phase/step, config and history — atomically to `path`. Resuming from it
    /// continues bit-identically to a run that never stopped (same thread count).
    public func save(to path: String) throws {
        let state = RecurrentSearchState(
            config: config, corpusFingerprint: corpus.fingerprint, epoch: epoch, stepInPhase: stepInPhase,
            nonFiniteInARow: nonFiniteInARow, validCursor: validCursor, phase: phase.rawValue, uniformRNG: uniformRNG,
            trainer: sharedTrainer.checkpointState, reinforceRNG: reinforce.rng,
            baseline: reinforce.baseline, adamSteps: reinforce.optimizer.stepCount, threads: Parallel.threadCount,
            history: try Checkpoint.encodeHistory(history))
        var tensors: [(name: String, tensor: Tensor)] = []
        for p in sharedModel.parameters { tensors.append(("omega/" + p.name, p.value)) }
        tensors += reinforce.checkpointTensors
        tensors += sharedTrainer.checkpointTensors
        try Checkpoint(kind: Self.checkpointKind, encoding: state, tensors: tensors).write(to: path)
    }

    /// Restores a search saved by `save(to:)`. `corpus` must be the data it was searching (checked by fingerprint).
    public static func load(from path: String, corpus: TokenCorpus) throws -> RecurrentSearch {
        let (checkpoint, state) = try Checkpoint.read(from: path, kind: checkpointKind, as: RecurrentSearchState.self)
        try Checkpoint.ensureSameData(saved: state.corpusFingerprint, given: corpus.fingerprint, path: path, context: "search load")
        let phase = try Checkpoint.searchPhase(state.phase, path: path)
        let history = try Checkpoint.decodeHistory(state.history, path: path)
        let search = try RecurrentSearch(config: state.config, corpus: corpus)
        try search.sharedModel.restoreParameters(from: checkpoint, prefix: "omega/")
        try search.reinforce.restore(from: checkpoint, rng: state.reinforceRNG, baseline: state.baseline, adamSteps: state.adamSteps)
        try search.sharedTrainer.restore(state.trainer, from: checkpoint)
        (search.epoch, search.phase, search.stepInPhase) = (state.epoch, phase, state.stepInPhase)
        (search.nonFiniteInARow, search.validCursor, search.uniformRNG) = (state.nonFiniteInARow, state.validCursor, state.uniformRNG)
        search.history = history
        return search
    }
}
