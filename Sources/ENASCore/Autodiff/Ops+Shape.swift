// Shape ops: reshape, concatenation and slicing along axis 1 (columns of a matrix, channels of NCHW),
// and the embedding gather. Axis-1 ops view a tensor as (outer = shape[0], shape[1], inner = rest).

/// The same elements under another shape.
public func reshape(_ x: Variable, _ shape: [Int]) throws -> Variable {
    let out = try x.value.reshaped(shape)
    return record(out, parents: [x]) { g in x.accumulateGrad { dx in g.withPointer { axpy(g.count, alpha: 1, $0, dx) } } }
}

/// Concatenation along axis 1; all other dimensions must agree.
public func concat(_ parts: [Variable]) throws -> Variable {
    guard let first = parts.first else { throw ENASError.invalidArgument("[concat] needs at least one input") }
    if parts.count == 1 { return first }
    for p in parts {
        try ensureShape(p.shape.count >= 2 && p.shape[0] == first.shape[0] && Array(p.shape.dropFirst(2)) == Array(first.shape.dropFirst(2)),
                        "[concat] shape \(Shape.describe(p.shape)) does not fit \(Shape.describe(first.shape)) along axis 1")
    }
    let outer = first.shape[0], inner = first.shape.dropFirst(2).reduce(1, *)
    let widths = parts.map { $0.shape[1] * inner }
    let total = widths.reduce(0, +)
    var shape = first.shape
    shape[1] = parts.reduce(0) { $0 + $1.shape[1] }
    let out = makeTensor(shape) { o in
        var offset = 0
        for (p, w) in zip(parts, widths) {
            p.value.withPointer { src in for r in 0..<outer { (o + r * total + offset).update(from: src + r * w, count: w) } }
            offset += w
        }
    }
    return record(out, parents: parts) { g in
        g.withPointer { gp in
            var offset = 0
            for (p, w) in zip(parts, widths) {
                if p.requiresGrad { p.accumulateGrad { dp in for r in 0..<outer { axpy(w, alpha: 1, gp + r * total + offset, dp + r * w) } } }
                offset += w
            }
        }
    }
}

/// x[:, range, ...] along axis 1.
public func slice(_ x: Variable, axis1 range: Range<Int>) throws -> Variable {
    try ensureShape(x.shape.count >= 2 && range.lowerBound >= 0 && range.upperBound <= x.shape[1] && !range.isEmpty,
                    "[slice] range \(range) is outside axis 1 of \(Shape.describe(x.shape))")
    let outer = x.shape[0], inner = x.shape.dropFirst(2).reduce(1, *)
    let rowWidth = x.shape[1] * inner, width = range.count * inner, offset = range.lowerBound * inner
    var shape = x.shape
    shape[1] = range.count
    let out = x.value.withPointer { src in
        makeTensor(shape) { o in for r in 0..<outer { (o + r * width).update(from: src + r * rowWidth + offset, count: width) } }
    }
    return record(out, parents: [x]) { g in
        g.withPointer { gp in x.accumulateGrad { dx in for r in 0..<outer { axpy(width, alpha: 1, gp + r * width, dx + r * rowWidth + offset) } } }
    }
}

/// Rows of an embedding table: table (V, E), ids R ints in 0..<V → (R, E). Backward scatter-adds into the table.
public func gather(_ table: Variable, ids: [Int32]) throws -> Variable {
    try ensureShape(table.shape.count == 2, "[embedding] table must be (vocab, width), got \(Shape.describe(table.shape))")
    let vocab = table.shape[0], width = table.shape[1]
    if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
        throw ENASError.invalidArgument("[embedding] token id \(bad) is outside the vocabulary 0..<\(vocab)")
    }
    let out = table.value.withPointer { tp in ids.withUnsafeBufferPointer { ip in
        makeTensor([ids.count, width]) { embeddingGather(ids: ip.baseAddress!, count: ids.count, table: tp, width: width, out: $0) }
    } }
    return record(out, parents: [table]) { g in
        g.withPointer { gp in ids.withUnsafeBufferPointer { ip in table.accumulateGrad {
            embeddingScatterAdd(ids: ip.baseAddress!, count: ids.count, grad: gp, width: width, tableGrad: $0)
        } } }
    }
}
