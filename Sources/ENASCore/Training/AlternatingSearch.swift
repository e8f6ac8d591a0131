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
    /// Phase-1 children with a non-finite loss in a row, and how many are tolerated.
    var nonFiniteInARow: Int { get set }
    var maxNonFiniteSteps: Int { get }
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
            case .derive, .retrain: throw ENASError.invalidArgument("[search] unexpected \(phase.rawValue) phase")
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

    /// Runs one phase-1 child's training step. A non-finite loss (`ENASError.numeric`, thrown before any weight
    /// changes) skips the child and is logged; many in a row means ω itself is broken, and the search stops.
    func skippingNonFiniteChild(_ step: () throws -> Void) throws {
        do {
            try step()
            nonFiniteInARow = 0
        } catch ENASError.numeric(let message) {
            nonFiniteInARow += 1
            try log?.write(["phase": "shared_weights", "epoch": epoch, "step": stepInPhase, "skipped": message])
            if nonFiniteInARow >= maxNonFiniteSteps {
                throw ENASError.numeric("[search] \(nonFiniteInARow) children in a row had a non-finite loss; last: \(message)")
            }
        }
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
