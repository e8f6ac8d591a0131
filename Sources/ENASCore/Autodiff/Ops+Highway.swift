// The recurrent cell's node as one coarse op (DESIGN §2). B = batch, H = hidden size.
// hc (B, 2H) = input · W holds the candidate h (first half) and the gate c (second half):
//   s = previous + σ(c) ⊙ (f(h) − previous)

/// One highway node: hc (B, 2H), previous (B, H) → s (B, H).
public func highway(_ hc: Variable, previous: Variable, activation f: Activation) throws -> Variable {
    try ensureShape(hc.shape.count == 2 && previous.shape.count == 2 && hc.shape[0] == previous.shape[0] && hc.shape[1] == 2 * previous.shape[1],
                    "[highway] hc \(Shape.describe(hc.shape)) must be (B, 2H) for previous \(Shape.describe(previous.shape))")
    let (batch, hidden) = (previous.shape[0], previous.shape[1])
    // Kept for backward: a = f(h) and t = σ(c), each (B, H).
    var a = Tensor(zeros: [batch, hidden]), t = Tensor(zeros: [batch, hidden]), s = Tensor(zeros: [batch, hidden])
    hc.value.withPointer { hp in previous.value.withPointer { pp in a.withMutablePointer { ap in t.withMutablePointer { tp in
        s.withMutablePointer { sp in
            for r in 0..<batch {
                let row = hp + r * 2 * hidden, o = r * hidden
                mapElements(hidden, row, ap + o) { f.forward($0) }
                mapElements(hidden, row + hidden, tp + o) { sigmoid($0) }
                zip3Elements(hidden, pp + o, ap + o, tp + o, sp + o) { p, a, t in p.addingProduct(t, a - p) }
            }
        }
    } } } }
    return record(s, parents: [hc, previous]) { ds in
        var dhc = Tensor(zeros: [batch, 2 * hidden])
        ds.withPointer { dp in a.withPointer { ap in t.withPointer { tp in previous.value.withPointer { pp in
            dhc.withMutablePointer { dh in
                for r in 0..<batch {
                    let o = r * hidden, row = dh + r * 2 * hidden
                    // dh = f'(a) ⊙ ds ⊙ t
                    zip3Elements(hidden, dp + o, tp + o, ap + o, row) { d, t, a in f.backward(y: a, dy: d * t) }
                    // dc = ds ⊙ t(1 − t) ⊙ (a − previous)
                    zipElements(hidden, dp + o, tp + o, row + hidden) { d, t in d * t * (1 - t) }
                    zip3Elements(hidden, UnsafePointer(row + hidden), ap + o, pp + o, row + hidden) { g, a, p in g * (a - p) }
                }
            }
        } } } }
        if hc.requiresGrad { hc.accumulateGrad(dhc) }
        if previous.requiresGrad {
            // d previous = ds ⊙ (1 − t)
            ds.withPointer { dp in t.withPointer { tp in previous.accumulateGrad { g in
                zip3Elements(batch * hidden, dp, tp, UnsafePointer(g), g) { d, t, acc in acc + d * (1 - t) }
            } } }
        }
    }
}
