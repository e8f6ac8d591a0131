/// A family of architectures the controller can sample: a decision plan and the map between decision values and
/// typed architectures.
public protocol SearchSpace {
    associatedtype Architecture: Codable & Equatable & Sendable

    /// The decisions one architecture takes, in controller order.
    var plan: DecisionPlan { get }

    /// The architecture the controller's values describe (validated).
    func architecture(from values: [[Int]]) throws -> Architecture

    /// The controller values that describe `architecture` (to score a given architecture under the policy).
    func values(for architecture: Architecture) throws -> [[Int]]
}

extension SearchSpace {
    /// A uniformly random architecture: every choice and index uniform, every subset bit a fair coin. This is the
    /// `random` strategy's sampler (Li & Talwalkar 2019), the baseline ENAS's controller must beat.
    public func randomArchitecture(rng: inout RandomSource) throws -> Architecture {
        let values = plan.steps.map { step -> [Int] in
            switch step.decision {
            case .choice(_, let count): [rng.int(below: count)]
            case .index(let k, _): [rng.int(below: k)]
            case .subset(let k): (0..<k).map { _ in rng.int(below: 2) }
            }
        }
        return try architecture(from: values)
    }
}
