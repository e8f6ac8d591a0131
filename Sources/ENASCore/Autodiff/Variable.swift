/// A node of the define-by-run graph: a value, its gradient, and how to send a gradient to its parents.
///
/// Parameters are leaf variables with `requiresGrad`; every op result that depends on one records a backward
/// closure next to its forward computation (see the `Ops+*.swift` files). The graph lives as long as its last
/// result, so dropping the loss frees it.
public final class Variable {
    /// The forward value.
    public var value: Tensor
    /// dL/d(value), accumulated by `backward()`; nil until something flows in.
    public var grad: Tensor?
    /// Whether gradients flow to (and through) this variable.
    public let requiresGrad: Bool
    /// For parameters: the checkpoint key. Empty for intermediates.
    public let name: String
    let parents: [Variable]
    /// Receives dL/d(self) and accumulates into the parents' gradients.
    let backwardFunction: ((Tensor) -> Void)?

    /// A leaf: a parameter (`requiresGrad: true`) or a constant input.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String = "") {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.parents = []
        self.backwardFunction = nil
    }

    init(value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.name = ""
        self.parents = parents
        self.backwardFunction = backward
    }

    public var shape: [Int] { value.shape }

    /// Adds into the gradient buffer through a pointer, allocating zeros first if needed.
    @inline(__always)
    func accumulateGrad(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        if grad == nil { grad = Tensor(zeros: value.shape) }
        grad!.withMutablePointer(body)
    }

    /// Sends a gradient through a pointer without zero-filling a fresh buffer: when no gradient is held yet, `body`
    /// gets an uninitialized buffer and `overwrite == true` and must write every element; otherwise it gets the
    /// held gradient and `overwrite == false` and must add into it.
    @inline(__always)
    func writeOrAccumulateGrad(_ body: (UnsafeMutablePointer<Float>, _ overwrite: Bool) -> Void) {
        if grad == nil { grad = makeTensor(value.shape) { body($0, true) }; return }
        grad!.withMutablePointer { body($0, false) }
    }

    /// grad += t (same element count).
    public func accumulateGrad(_ t: Tensor) {
        if grad == nil { grad = t; return }
        t.withPointer { src in accumulateGrad { dst in parallelZipElements(t.count, src, UnsafePointer(dst), dst, +) } }
    }

    /// Clears the gradient (parameters before a step).
    public func zeroGrad() { grad = nil }
}

/// A new leaf over `v`'s value (the same storage until either side writes) with its own gradient.
func leafReplica(_ v: Variable) -> Variable {
    Variable(v.value, requiresGrad: v.requiresGrad, name: v.name)
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(name.isEmpty ? "" : name + ", ")\(value))" }
}
