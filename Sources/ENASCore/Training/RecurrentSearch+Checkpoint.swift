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
            history: String(decoding: try JSONSerialization.data(withJSONObject: history, options: [.sortedKeys]), as: UTF8.self))
        var tensors: [(name: String, tensor: Tensor)] = []
        for p in sharedModel.parameters { tensors.append(("omega/" + p.name, p.value)) }
        for p in controller.parameters { tensors.append(("theta/" + p.name, p.value)) }
        for (name, m) in reinforce.optimizer.firstMoment.sorted(by: { $0.key < $1.key }) { tensors.append(("adam.m/" + name, m)) }
        for (name, v) in reinforce.optimizer.secondMoment.sorted(by: { $0.key < $1.key }) { tensors.append(("adam.v/" + name, v)) }
        tensors += sharedTrainer.checkpointTensors
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try Checkpoint(kind: Self.checkpointKind, state: try encoder.encode(state), tensors: tensors).write(to: path)
    }

    /// Restores a search saved by `save(to:)`. `corpus` must be the data it was searching (checked by fingerprint).
    public static func load(from path: String, corpus: TokenCorpus) throws -> RecurrentSearch {
        let checkpoint = try Checkpoint.read(from: path)
        guard checkpoint.kind == checkpointKind else {
            throw ENASError.format("'\(path)' holds a \(checkpoint.kind) checkpoint, not a \(checkpointKind)")
        }
        let state: RecurrentSearchState
        do { state = try JSONDecoder().decode(RecurrentSearchState.self, from: checkpoint.state) } catch {
            throw ENASError.format("'\(path)' has a corrupt search state: \(error)")
        }
        guard state.corpusFingerprint == corpus.fingerprint else {
            throw ENASError.invalidArgument("[search load] '\(path)' was searching other data (\(state.corpusFingerprint), given \(corpus.fingerprint))")
        }
        let search = try RecurrentSearch(config: state.config, corpus: corpus)
        try search.sharedModel.restoreParameters(from: checkpoint, prefix: "omega/")
        try search.controller.restoreParameters(from: checkpoint, prefix: "theta/")
        for (name, tensor) in checkpoint.tensors {
            if name.hasPrefix("adam.m/") { search.reinforce.optimizer.firstMoment[String(name.dropFirst(7))] = tensor }
            if name.hasPrefix("adam.v/") { search.reinforce.optimizer.secondMoment[String(name.dropFirst(7))] = tensor }
        }
        try search.sharedTrainer.restore(state.trainer, from: checkpoint)
        guard let phase = SearchEvent.Phase(rawValue: state.phase), phase == .sharedWeights || phase == .controller else { throw ENASError.format("'\(path)' names an unknown phase '\(state.phase)'") }
        (search.epoch, search.phase, search.stepInPhase) = (state.epoch, phase, state.stepInPhase)
        (search.nonFiniteInARow, search.validCursor, search.uniformRNG) = (state.nonFiniteInARow, state.validCursor, state.uniformRNG)
        search.reinforce.rng = state.reinforceRNG
        search.reinforce.baseline = state.baseline
        search.reinforce.optimizer.stepCount = state.adamSteps
        guard let history = try JSONSerialization.jsonObject(with: Data(state.history.utf8)) as? [[String: Any]] else {
            throw ENASError.format("'\(path)' has a corrupt history")
        }
        search.history = history
        return search
    }
}
