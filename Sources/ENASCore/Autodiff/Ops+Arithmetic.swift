// Elementwise arithmetic and reductions to a scalar, each forward next to its backward.

/// a + b, same shape.
public func add(_ a: Variable, _ b: Variable) throws -> Variable {
    try ensureShape(a.shape == b.shape, "[add] shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) differ")
    let n = a.value.count
    let out = a.value.withPointer { x in b.value.withPointer { y in makeTensor(a.shape) { parallelZipElements(n, x, y, $0, +) } } }
    return record(out, parents: [a, b]) { g in
        if a.requiresGrad { a.accumulateGrad(g) }
        if b.requiresGrad { b.accumulateGrad(g) }
    }
}

/// Σ of several same-shaped variables (skip connections, loose ends).
public func sum(_ terms: [Variable]) throws -> Variable {
    guard var total = terms.first else { throw ENASError.invalidArgument("[sum] needs at least one term") }
    for term in terms.dropFirst() { total = try add(total, term) }
    return total
}

/// a − b, same shape.
public func subtract(_ a: Variable, _ b: Variable) throws -> Variable {
    try ensureShape(a.shape == b.shape, "[subtract] shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) differ")
    let n = a.value.count
    let out = a.value.withPointer { x in b.value.withPointer { y in makeTensor(a.shape) { zipElements(n, x, y, $0, -) } } }
    return record(out, parents: [a, b]) { g in
        if a.requiresGrad { a.accumulateGrad(g) }
        if b.requiresGrad { g.withPointer { gp in b.accumulateGrad { axpy(n, alpha: -1, gp, $0) } } }
    }
}

/// a ⊙ b, same shape.
public func multiply(_ a: Variable, _ b: Variable) throws -> Variable {
    try ensureShape(a.shape == b.shape, "[multiply] shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) differ")
    let n = a.value.count
    let out = a.value.withPointer { x in b.value.withPointer { y in makeTensor(a.shape) { zipElements(n, x, y, $0, *) } } }
    return record(out, parents: [a, b]) { g in
        g.withPointer { gp in
            if a.requiresGrad { b.value.withPointer { y in a.accumulateGrad { zip3Elements(n, gp, y, $0, $0) { g, y, acc in acc.addingProduct(g, y) } } } }
            if b.requiresGrad { a.value.withPointer { x in b.accumulateGrad { zip3Elements(n, gp, x, $0, $0) { g, x, acc in acc.addingProduct(g, x) } } } }
        }
    }
}

/// x ⊙ mask for a constant mask of the same shape (dropout: the mask holds 0 or 1/(1−p)).
public func multiply(_ x: Variable, mask: Tensor) throws -> Variable {
    try ensureShape(x.shape == mask.shape, "[dropout] mask \(Shape.describe(mask.shape)) does not match input \(Shape.describe(x.shape))")
    let n = x.value.count
    let out = x.value.withPointer { xp in mask.withPointer { m in makeTensor(x.shape) { zipElements(n, xp, m, $0, *) } } }
    return record(out, parents: [x]) { g in
        g.withPointer { gp in mask.withPointer { m in x.accumulateGrad { zip3Elements(n, gp, m, $0, $0) { g, m, acc in acc.addingProduct(g, m) } } } }
    }
}

/// scale · x.
public func scale(_ x: Variable, by factor: Float) -> Variable {
    let n = x.value.count
    let s = FloatVector(repeating: factor)
    let out = x.value.withPointer { xp in makeTensor(x.shape) { mapElements(n, xp, $0) { $0 * s } } }
    return record(out, parents: [x]) { g in g.withPointer { gp in x.accumulateGrad { axpy(n, alpha: factor, gp, $0) } } }
}

/// x + b with b broadcast over axis 1 (x (R, C) + b (C); or x (N, C, H, W) + b (C) per channel).
public func addBias(_ x: Variable, _ b: Variable) throws -> Variable {
    try ensureShape(x.shape.count >= 2 && b.shape == [x.shape[1]],
                    "[addBias] bias \(Shape.describe(b.shape)) does not match axis 1 of \(Shape.describe(x.shape))")
    let outer = x.shape[0], channels = x.shape[1], inner = x.value.count / max(1, outer * channels)
    var out = x.value
    b.value.withPointer { bp in
        out.withMutablePointer { o in
            for r in 0..<outer {
                if inner == 1 { axpy(channels, alpha: 1, bp, o + r * channels); continue }
                for c in 0..<channels {
                    let v = FloatVector(repeating: bp[c]), base = o + (r * channels + c) * inner
                    mapElements(inner, base, base) { $0 + v }
                }
            }
        }
    }
    return record(out, parents: [x, b]) { g in
        if x.requiresGrad { x.accumulateGrad(g) }
        if b.requiresGrad {
            g.withPointer { gp in
                b.accumulateGrad { db in
                    for r in 0..<outer {
                        if inner == 1 { axpy(channels, alpha: 1, gp + r * channels, db) } else {
                            for c in 0..<channels { db[c] += sumElements(inner, gp + (r * channels + c) * inner) }
                        }
                    }
                }
            }
        }
    }
}

/// Σ of all elements, as a scalar.
public func sumAll(_ x: Variable) -> Variable {
    let total = x.value.withPointer { sumElements(x.value.count, $0) }
    return record(Tensor(scalar: total), parents: [x]) { g in
        let s = FloatVector(repeating: g.scalar)
        x.accumulateGrad { mapElements(x.value.count, UnsafePointer($0), $0) { $0 + s } }
    }
}

/// Mean of all elements, as a scalar.
public func meanAll(_ x: Variable) -> Variable { scale(sumAll(x), by: 1 / Float(max(1, x.value.count))) }
