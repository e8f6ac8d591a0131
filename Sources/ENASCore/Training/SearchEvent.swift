/// One progress report of a search, sent to the caller's callback after every step (the core never prints).
/// Its JSON form is also the search's log line.
public struct SearchEvent: Sendable {
    /// A search's two phases and its derive samples; `retrain` marks the steps of a retraining from scratch.
    public enum Phase: String, Sendable { case sharedWeights = "shared_weights", controller, derive, retrain }
    public var phase: Phase
    public var epoch: Int
    /// Step within the phase, and the phase's length (retraining: the step and length of the current `train` call).
    public var step: Int
    public var steps: Int
    /// Phase 1: the child's training cross-entropy (nats/token). Phase 2: mean validation perplexity of the samples.
    public var loss: Double?
    public var perplexity: Double?
    /// Image searches: phase 1 the minibatch's training accuracy, phase 2 the samples' mean validation accuracy.
    public var accuracy: Double?
    public var reward: Double?
    public var baseline: Double?
    public var entropy: Double?
    public var learningRate: Double?
    /// The (last) sampled architecture in its one-line form.
    public var architecture: String
    public var elapsedSeconds: Double
    /// Seconds left for the requested run at the current pace.
    public var etaSeconds: Double
    public var threads: Int

    /// A JSON-serializable record (snake_case keys; absent values omitted).
    public var record: [String: Any] {
        var r: [String: Any] = ["phase": phase.rawValue, "epoch": epoch, "step": step, "steps": steps,
                                "architecture": architecture, "seconds": elapsedSeconds, "eta_seconds": etaSeconds, "threads": threads]
        if let loss { r["loss"] = loss }
        if let perplexity { r["ppl"] = perplexity }
        if let accuracy { r["acc"] = accuracy }
        if let reward { r["reward"] = reward }
        if let baseline { r["baseline"] = baseline }
        if let entropy { r["entropy"] = entropy }
        if let learningRate { r["lr"] = learningRate }
        return r
    }
}
