/// Global-norm gradient clipping: if ‖g‖₂ over all gradients exceeds `maxNorm`, every gradient is scaled by
/// maxNorm / ‖g‖. Returns the norm before clipping. Parameters without a gradient (unused by this child) are skipped.
@discardableResult
public func clipGradientsByGlobalNorm(_ parameters: [Variable], maxNorm: Float) throws -> Float {
    var squares: Double = 0
    for p in parameters { if let g = p.grad { squares += Double(g.withPointer { dotElements(g.count, $0, $0) }) } }
    let norm = Float(squares.squareRoot())
    guard norm.isFinite else { throw ENASError.numeric("[clip] gradient norm is \(norm)") }
    if maxNorm > 0 && norm > maxNorm {
        let factor = FloatVector(repeating: maxNorm / norm)
        for p in parameters where p.grad != nil {
            let n = p.grad!.count
            p.grad!.withMutablePointer { g in mapElements(n, g, g) { $0 * factor } }
        }
    }
    return norm
}
