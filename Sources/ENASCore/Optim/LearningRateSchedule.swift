import Foundation

/// A learning rate as a function of the (fractional) epoch.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The same rate throughout.
    case constant(Float)
    /// `initial` until `startEpoch`, then multiplied by `factor` once per whole epoch from there
    /// (enas_lm's decay after epoch 15; the first decayed epoch is `startEpoch`).
    case exponentialDecay(initial: Float, factor: Float, startEpoch: Int)
    /// SGDR cosine with warm restarts (Loshchilov & Hutter), the authors' CNN schedule: periods of T0, T0·Tmul, …
    /// epochs; within a period lr = min + ½(max − min)(1 + cos(π·t/T)).
    case cosine(maximum: Float, minimum: Float, firstPeriod: Double, periodMultiplier: Double)

    /// The rate at `epoch` (0-based, fractional within an epoch).
    public func rate(atEpoch epoch: Double) -> Float {
        switch self {
        case .constant(let lr): return lr
        case .exponentialDecay(let initial, let factor, let start):
            let decays = max(0, Int(epoch.rounded(.down)) - start + 1)
            return initial * Float(pow(Double(factor), Double(decays)))
        case .cosine(let maximum, let minimum, let t0, let tmul):
            var period = max(t0, 1e-9), start = 0.0
            while epoch >= start + period { start += period; period *= max(tmul, 1) }
            let progress = (epoch - start) / period
            return minimum + 0.5 * (maximum - minimum) * Float(1 + cos(Double.pi * progress))
        }
    }
}
