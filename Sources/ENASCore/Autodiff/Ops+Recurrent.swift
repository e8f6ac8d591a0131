// The LSTM step's elementwise part as one coarse op. B = batch, H = hidden size.
// gates (B, 4H) = [x, h]·W + b, in the order (input, forget, cell candidate, output).

/// From gates (B, 4H) and the previous cell c (B, H): c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c').
/// Returns (B, 2H) = [h', c'] (slice it with `slice(_:axis1:)`).
public func lstmGates(_ gates: Variable, cell: Variable) throws -> Variable {
    try ensureShape(gates.shape.count == 2 && cell.shape.count == 2 && gates.shape[0] == cell.shape[0] && gates.shape[1] == 4 * cell.shape[1],
                    "[lstmGates] gates \(Shape.describe(gates.shape)) must be (B, 4H) for cell \(Shape.describe(cell.shape))")
    let (batch, hidden) = (cell.shape[0], cell.shape[1])
    // Activated gates, kept for backward: σ(i), σ(f), tanh(g), σ(o), and tanh(c').
    var act = Tensor(zeros: [batch, 4 * hidden]), tanhC = Tensor(zeros: [batch, hidden])
    var out = Tensor(zeros: [batch, 2 * hidden])
    gates.value.withPointer { gp in cell.value.withPointer { cp in act.withMutablePointer { ap in
        tanhC.withMutablePointer { tp in out.withMutablePointer { op in
            for r in 0..<batch {
                let gRow = gp + r * 4 * hidden, aRow = ap + r * 4 * hidden
                mapElements(2 * hidden, gRow, aRow) { sigmoid($0) }
                mapElements(hidden, gRow + 2 * hidden, aRow + 2 * hidden) { tanh($0) }
                mapElements(hidden, gRow + 3 * hidden, aRow + 3 * hidden) { sigmoid($0) }
                let h = op + r * 2 * hidden, c = h + hidden
                zip3Elements(hidden, aRow + hidden, cp + r * hidden, aRow, c) { f, c, i in f * c }
                zip3Elements(hidden, aRow + 2 * hidden, UnsafePointer(c), aRow, c) { g, c, i in c.addingProduct(i, g) }
                mapElements(hidden, c, tp + r * hidden) { tanh($0) }
                zipElements(hidden, aRow + 3 * hidden, tp + r * hidden, h, *)
            }
        } }
    } } }
    return record(out, parents: [gates, cell]) { dy in
        var dc = Tensor(zeros: [batch, hidden])
        var dgates = Tensor(zeros: [batch, 4 * hidden])
        dy.withPointer { dp in act.withPointer { ap in tanhC.withPointer { tp in cell.value.withPointer { cp in
            dc.withMutablePointer { dcp in dgates.withMutablePointer { dgp in
                for r in 0..<batch {
                    let dh = dp + r * 2 * hidden, dcOut = dh + hidden, a = ap + r * 4 * hidden, t = tp + r * hidden
                    let dcr = dcp + r * hidden, dg = dgp + r * 4 * hidden
                    // dc' total = dcOut + dh ⊙ σ(o) ⊙ (1 − tanh²(c'))
                    zip3Elements(hidden, dh, a + 3 * hidden, t, dcr) { dh, o, t in dh * o * (1 - t * t) }
                    zipElements(hidden, UnsafePointer(dcr), dcOut, dcr, +)
                    // do = dh ⊙ tanh(c') ⊙ σ'(o)
                    zip3Elements(hidden, dh, t, a + 3 * hidden, dg + 3 * hidden) { dh, t, o in dh * t * o * (1 - o) }
                    // di = dc ⊙ tanh(g) ⊙ σ'(i)
                    zip3Elements(hidden, UnsafePointer(dcr), a + 2 * hidden, a, dg) { dc, g, i in dc * g * i * (1 - i) }
                    // df = dc ⊙ c ⊙ σ'(f)
                    zip3Elements(hidden, UnsafePointer(dcr), cp + r * hidden, a + hidden, dg + hidden) { dc, c, f in dc * c * f * (1 - f) }
                    // dg = dc ⊙ σ(i) ⊙ (1 − tanh²(g))
                    zip3Elements(hidden, UnsafePointer(dcr), a, a + 2 * hidden, dg + 2 * hidden) { dc, i, g in dc * i * (1 - g * g) }
                    // dc_prev = dc ⊙ σ(f)
                    zipElements(hidden, UnsafePointer(dcr), a + hidden, dcr, *)
                }
            } }
        } } } }
        if gates.requiresGrad { gates.accumulateGrad(dgates) }
        if cell.requiresGrad { cell.accumulateGrad(dc) }
    }
}
