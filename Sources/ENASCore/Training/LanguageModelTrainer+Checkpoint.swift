/// The non-tensor state of a `LanguageModelTrainer`, as stored in checkpoints.
struct LanguageModelTrainerState: Codable {
    var cursor, epoch, stepInEpoch: Int
    var dataRNG, dropoutRNG: RandomSource
}

extension LanguageModelTrainer {
    var checkpointState: LanguageModelTrainerState {
        LanguageModelTrainerState(cursor: cursor, epoch: epoch, stepInEpoch: stepInEpoch, dataRNG: dataRNG, dropoutRNG: dropoutRNG)
    }

    /// The carried hidden state and SGD momentum buffers as named tensors.
    var checkpointTensors: [(name: String, tensor: Tensor)] {
        [("trainer.hidden", hidden)] + optimizer.velocity.sorted { $0.key < $1.key }.map { ("sgd.velocity/" + $0.key, $0.value) }
    }

    func restore(_ state: LanguageModelTrainerState, from checkpoint: Checkpoint) throws {
        (cursor, epoch, stepInEpoch) = (state.cursor, state.epoch, state.stepInEpoch)
        (dataRNG, dropoutRNG) = (state.dataRNG, state.dropoutRNG)
        let restored = try checkpoint.tensor("trainer.hidden")
        try ensureShape(restored.shape == hidden.shape, "[checkpoint] hidden state \(Shape.describe(restored.shape)) does not fit \(Shape.describe(hidden.shape))")
        hidden = restored
        for (name, tensor) in checkpoint.tensors where name.hasPrefix("sgd.velocity/") {
            optimizer.velocity[String(name.dropFirst("sgd.velocity/".count))] = tensor
        }
    }
}

extension Layer {
    /// Sets every parameter from the checkpoint tensor `prefix + name`, checking shapes.
    func restoreParameters(from checkpoint: Checkpoint, prefix: String) throws {
        for p in parameters {
            let t = try checkpoint.tensor(prefix + p.name)
            try ensureShape(t.shape == p.shape, "[checkpoint] '\(p.name)' has shape \(Shape.describe(t.shape)), the model \(Shape.describe(p.shape))")
            p.value = t
        }
    }
}
