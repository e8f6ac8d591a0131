import Foundation

/// The JSON part of a retraining checkpoint.
struct RecurrentRetrainingState: Codable {
    var architecture: RecurrentCellArchitecture
    var config: RecurrentRetrainConfig
    var corpusFingerprint: String
    var trainer: LanguageModelTrainerState
}

extension RecurrentRetraining {
    static let checkpointKind = "recurrent_retraining"

    /// Saves the model, optimizer, data cursor, hidden state and random streams atomically.
    public func save(to path: String) throws {
        let state = RecurrentRetrainingState(architecture: architecture, config: config, corpusFingerprint: corpus.fingerprint,
                                             trainer: trainer.checkpointState)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let tensors = model.parameters.map { (name: "model/" + $0.name, tensor: $0.value) } + trainer.checkpointTensors
        try Checkpoint(kind: Self.checkpointKind, state: try encoder.encode(state), tensors: tensors).write(to: path)
    }

    /// Restores a retraining saved by `save(to:)` on the same data.
    public static func load(from path: String, corpus: TokenCorpus) throws -> RecurrentRetraining {
        let checkpoint = try Checkpoint.read(from: path)
        guard checkpoint.kind == checkpointKind else {
            throw ENASError.format("'\(path)' holds a \(checkpoint.kind) checkpoint, not a \(checkpointKind)")
        }
        let state: RecurrentRetrainingState
        do { state = try JSONDecoder().decode(RecurrentRetrainingState.self, from: checkpoint.state) } catch {
            throw ENASError.format("'\(path)' has a corrupt retraining state: \(error)")
        }
        guard state.corpusFingerprint == corpus.fingerprint else {
            throw ENASError.invalidArgument("[retrain load] '\(path)' was trained on other data")
        }
        let retraining = try RecurrentRetraining(architecture: state.architecture, config: state.config, corpus: corpus)
        try retraining.model.restoreParameters(from: checkpoint, prefix: "model/")
        try retraining.trainer.restore(state.trainer, from: checkpoint)
        return retraining
    }
}
