// Activation regularizers of the recurrent search (enas_lm's slowness term).

/// mean over (B, T−1, H) of (x[:, t+1, :] − x[:, t, :])² for x laid out (B, T·H): how fast the cell output moves.
public func meanSquaredStepDifference(_ x: Variable, steps: Int) throws -> Variable {
    try ensureShape(x.shape.count == 2 && steps >= 2 && x.shape[1] % steps == 0,
                    "[slowness] input \(Shape.describe(x.shape)) must be (B, T·H) with T = \(steps) ≥ 2")
    let batch = x.shape[0], hidden = x.shape[1] / steps
    let count = batch * (steps - 1) * hidden
    var total = 0.0
    x.value.withPointer { xp in
        for b in 0..<batch {
            for t in 0..<(steps - 1) {
                let a = xp + (b * steps + t) * hidden
                for k in 0..<hidden { let d = Double(a[hidden + k] - a[k]); total += d * d }
            }
        }
    }
    return record(Tensor(scalar: Float(total / Double(count))), parents: [x]) { g in
        let scale = 2 * g.scalar / Float(count)
        x.value.withPointer { xp in x.accumulateGrad { dx in
            for b in 0..<batch {
                for t in 0..<(steps - 1) {
                    let a = xp + (b * steps + t) * hidden, da = dx + (b * steps + t) * hidden
                    for k in 0..<hidden {
                        let d = scale * (a[hidden + k] - a[k])
                        da[hidden + k] += d
                        da[k] -= d
                    }
                }
            }
        } }
    }
}
