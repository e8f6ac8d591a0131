/// Adam (Kingma & Ba) with bias correction: m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
/// w ← w − lr · m̂ / (√v̂ + ε). β1 and ε are configurable because the authors' CNN controller uses β1 = 0, ε = 1e-3.
/// State is keyed by parameter name; `step` counts updates for the bias correction.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public var firstMoment: [String: Tensor] = [:]
    public var secondMoment: [String: Tensor] = [:]
    public var stepCount: Int = 0

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Variable]) {
        stepCount += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(stepCount)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(stepCount)))
        let b1 = FloatVector(repeating: beta1), b2 = FloatVector(repeating: beta2)
        let c1 = FloatVector(repeating: 1 - beta1), c2 = FloatVector(repeating: 1 - beta2)
        let stepSize = FloatVector(repeating: learningRate / correction1)
        let rootCorrection2 = FloatVector(repeating: correction2.squareRoot()), eps = FloatVector(repeating: epsilon)
        for p in parameters {
            guard let g = p.grad else { continue }
            let n = g.count
            var m = firstMoment[p.name] ?? Tensor(zeros: p.shape)
            var v = secondMoment[p.name] ?? Tensor(zeros: p.shape)
            g.withPointer { gp in
                m.withMutablePointer { mp in zipElements(n, UnsafePointer(mp), gp, mp) { m, g in (b1 * m).addingProduct(c1, g) } }
                v.withMutablePointer { vp in zipElements(n, UnsafePointer(vp), gp, vp) { v, g in (b2 * v).addingProduct(c2, g * g) } }
            }
            m.withPointer { mp in v.withPointer { vp in p.value.withMutablePointer { w in
                zip3Elements(n, mp, vp, UnsafePointer(w), w) { m, v, w in
                    // √v̂ + ε with v̂ = v / correction2, written as √v / √correction2.
                    w - stepSize * m / (v.squareRoot() / rootCorrection2 + eps)
                }
            } } }
            firstMoment[p.name] = m
            secondMoment[p.name] = v
        }
    }
}

import Foundation
