/// Regularizers of a retrained CNN that change during training (the authors' fixed children): drop-path whose keep
/// probability falls linearly with depth and with training progress, and dropout before the linear head.
public struct RetrainRegularization: Codable, Equatable, Sendable {
    /// Drop-path keep probability reached by the last cell at the end of training (1 = off). Authors' micro: 0.6.
    public var dropPathKeep: Float = 1
    /// Dropout rate before the linear head (authors' macro final: 0.5; micro 0).
    public var headDropout: Float = 0
    public init(dropPathKeep: Float = 1, headDropout: Float = 0) {
        (self.dropPathKeep, self.headDropout) = (dropPathKeep, headDropout)
    }

    /// The authors' schedule: keep = 1 − (k + 1)/cells · (1 − dropPathKeep), then scaled toward 1 by the
    /// fraction of training done (`progress` ∈ [0, 1]).
    public func dropPathKeep(cell k: Int, of cells: Int, progress: Double) -> Float {
        let depth = 1 - Float(k + 1) / Float(cells) * (1 - dropPathKeep)
        return 1 - Float(min(1, max(0, progress))) * (1 - depth)
    }
}

/// A fixed CNN built for one architecture, trained from scratch: logits plus, in training, its auxiliary head's.
public protocol RetrainableNetwork: ImageClassifier {
    /// Main logits and the auxiliary head's (nil when the network has none or when not training).
    func forward(_ x: Variable, training: Bool) throws -> (logits: Variable, auxiliary: Variable?)
    /// Fraction of training done, for the drop-path schedule; set by the trainer each step.
    var progress: Double { get set }
    /// The "dropout" stream of drop-path and head dropout masks (checkpointed by the trainer).
    var regularizationRNG: RandomSource { get set }
    /// Parameters of the auxiliary head (counted apart: it is dropped after training).
    var auxiliaryParameters: [Variable] { get }
}

extension RetrainableNetwork {
    public func logits(_ x: Variable, training: Bool) throws -> Variable { try forward(x, training: training).logits }
    /// Parameters without the auxiliary head.
    public var parameterCountWithoutAuxiliary: Int { parameterCount - auxiliaryParameters.reduce(0) { $0 + $1.value.count } }
}
