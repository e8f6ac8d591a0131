// Activations: the recurrent cell's four choices plus exp, forward and backward side by side.

/// f(x) elementwise for one of the cell's activations.
public func activation(_ x: Variable, _ f: Activation) -> Variable {
    if f == .identity { return x }
    let n = x.value.count
    let y = x.value.withPointer { xp in makeTensor(x.shape) { parallelMapElements(n, xp, $0) { f.forward($0) } } }
    return record(y, parents: [x]) { g in
        g.withPointer { gp in y.withPointer { yp in
            x.writeOrAccumulateGrad { dx, overwrite in
                if overwrite { parallelZipElements(n, yp, gp, dx) { y, g in f.backward(y: y, dy: g) } } else {
                    parallelZip3Elements(n, yp, gp, dx, dx) { y, g, acc in acc + f.backward(y: y, dy: g) }
                }
            }
        } }
    }
}

public func tanh(_ x: Variable) -> Variable { activation(x, .tanh) }
public func sigmoid(_ x: Variable) -> Variable { activation(x, .sigmoid) }
public func relu(_ x: Variable) -> Variable { activation(x, .relu) }

/// e^x elementwise.
public func exp(_ x: Variable) -> Variable {
    let n = x.value.count
    let y = x.value.withPointer { xp in makeTensor(x.shape) { mapElements(n, xp, $0) { exp($0) } } }
    return record(y, parents: [x]) { g in
        g.withPointer { gp in y.withPointer { yp in x.accumulateGrad { dx in
            zip3Elements(n, gp, yp, dx, dx) { g, y, acc in acc.addingProduct(g, y) }
        } } }
    }
}
