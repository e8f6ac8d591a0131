/// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight decay:
/// g ← g + λw;  v ← μv + g;  w ← w − lr·(Nesterov ? g + μv : v).
/// Only parameters that received a gradient this step are touched (a child uses a slice of ω), and their
/// momentum buffers are keyed by parameter name (the checkpoint key).
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    /// Momentum buffers by parameter name.
    public var velocity: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Variable]) {
        for p in parameters {
            guard var g = p.grad else { continue }
            let n = g.count
            if weightDecay != 0 { p.value.withPointer { w in g.withMutablePointer { axpy(n, alpha: weightDecay, w, $0) } } }
            var update = g
            if momentum != 0 {
                var v = velocity[p.name] ?? Tensor(zeros: p.shape)
                let mu = FloatVector(repeating: momentum)
                g.withPointer { gp in v.withMutablePointer { vp in zipElements(n, UnsafePointer(vp), gp, vp) { v, g in g.addingProduct(mu, v) } } }
                if nesterov {
                    v.withPointer { vp in update.withMutablePointer { axpy(n, alpha: momentum, vp, $0) } }
                } else {
                    update = v
                }
                velocity[p.name] = v
            }
            update.withPointer { u in p.value.withMutablePointer { axpy(n, alpha: -learningRate, u, $0) } }
        }
    }
}
