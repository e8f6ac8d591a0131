import Foundation

/// The JSON part of a retraining checkpoint.
struct RecurrentRetrainingState: Codable {
    var architecture: RecurrentCellArchitecture
    var config: RecurrentRetrainConfig
    var corpusFingerprint: String
    var trainer: LanguageModelTrainerState
    /// Steps in the weight average (absent in checkpoints from before averaging existed).
    var averagedSteps: Int?
}

extension RecurrentRetraining {
    static let checkpointKind = "recurrent_retraining"

    /// Saves the model, optimizer, data cursor, hidden state and random streams atomically.
    public func save(to path: String) throws {
        let state = RecurrentRetrainingState(architecture: architecture, config: config, corpusFingerprint: corpus.fingerprint,
                                             trainer: trainer.checkpointState, averagedSteps: averagedSteps)
        var tensors = model.parameters.map { (name: "model/" + $0.name, tensor: $0.value) } + trainer.checkpointTensors
        if let averages = averagedParameters {
            tensors += zip(model.parameters, averages).map { (name: "average/" + $0.name, tensor: $1) }
        }
        try Checkpoint(kind: Self.checkpointKind, encoding: state, tensors: tensors).write(to: path)
    }

    /// Restores a retraining saved by `save(to:)` on the same data.
    public static func load(from path: String, corpus: TokenCorpus) throws -> RecurrentRetraining {
        let (checkpoint, state) = try Checkpoint.read(from: path, kind: checkpointKind, as: RecurrentRetrainingState.self)
        try Checkpoint.ensureSameData(saved: state.corpusFingerprint, given: corpus.fingerprint, path: path, context: "retrain load")
        let retraining = try RecurrentRetraining(architecture: state.architecture, config: state.config, corpus: corpus)
        try retraining.model.restoreParameters(from: checkpoint, prefix: "model/")
        try retraining.trainer.restore(state.trainer, from: checkpoint)
        if let steps = state.averagedSteps, steps > 0 {
            retraining.averages = try retraining.model.parameters.map { p in
                let t = try checkpoint.tensor("average/" + p.name)
                try ensureShape(t.shape == p.shape, "[checkpoint] average of '\(p.name)' has shape \(Shape.describe(t.shape)), the model \(Shape.describe(p.shape))")
                return t
            }
            retraining.averagedSteps = steps
        }
        return retraining
    }
}
