import Foundation

/// The loop every ENAS search shares, whatever its space: phase 1 steps on ω, then phase 2 steps on θ, for E
/// epochs; one event per step to the callback and the log; cancellation between steps. A search supplies the two
/// step kinds and its position.
protocol AlternatingSearch: AnyObject {
    var epoch: Int { get set }
    var phase: SearchEvent.Phase { get set }
    var stepInPhase: Int { get set }
    var sharedWeightsSteps: Int { get }
    var controllerSteps: Int { get }
    var history: [[String: Any]] { get set }
    var log: JSONLinesLog? { get }
    /// One phase-1 step; advances the position.
    func sharedWeightsStep() throws -> SearchEvent
    /// One phase-2 step; advances the position.
    func controllerStep() throws -> SearchEvent
}

extension AlternatingSearch {
    var stepsDoneInEpoch: Int { phase == .sharedWeights ? stepInPhase : sharedWeightsSteps + stepInPhase }

    /// Runs until `epochs` more search epochs are complete (or the callback returns false → `ENASError.cancelled`
    /// at a step boundary; calling again resumes where it stopped).
    func runEpochs(_ epochs: Int, onEvent: (SearchEvent) -> Bool) throws {
        try ensureArgument(epochs >= 0, "[search] epochs \(epochs) must be ≥ 0")
        let target = epoch + epochs
        let start = Date()
        let totalSteps = max(1, (target - epoch) * (sharedWeightsSteps + controllerSteps) - stepsDoneInEpoch)
        var done = 0
        while epoch < target {
            var event: SearchEvent
            switch phase {
            case .sharedWeights: event = try sharedWeightsStep()
            case .controller: event = try controllerStep()
            case .derive: throw ENASError.invalidArgument("[search] unexpected derive phase")
            }
            done += 1
            event.elapsedSeconds = Date().timeIntervalSince(start)
            event.etaSeconds = event.elapsedSeconds / Double(done) * Double(max(0, totalSteps - done))
            try record(event)
            if !onEvent(event) && epoch < target {
                throw ENASError.cancelled("[search] stopped by the caller at epoch \(epoch), \(phase.rawValue) step \(stepInPhase)")
            }
        }
    }

    func record(_ event: SearchEvent) throws {
        let line = event.record
        history.append(line)
        try log?.write(line)
    }

    /// Moves past the step just taken: phase 1 → phase 2 → next epoch.
    func advancePhase() {
        stepInPhase += 1
        if phase == .sharedWeights && stepInPhase >= sharedWeightsSteps {
            (phase, stepInPhase) = (.controller, 0)
        }
        if phase == .controller && stepInPhase >= controllerSteps {
            (phase, stepInPhase, epoch) = (.sharedWeights, 0, epoch + 1)
        }
    }
}
