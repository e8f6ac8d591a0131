/// Whether ops record backward closures. On by default; `withoutGradients` turns it off for evaluation, so no
/// graph is built and intermediates are freed as soon as they are used.
public enum GradientMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients (evaluation, derive, the controller's greedy decode).
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

/// The result of an op: records `backward` only when gradients are on and some parent needs one.
@inline(__always)
func record(_ value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
    if GradientMode.isEnabled && parents.contains(where: { $0.requiresGrad }) {
        return Variable(value: value, parents: parents, backward: backward)
    }
    return Variable(value)
}

extension Variable {
    /// The extension point for new ops: the result `value` of an op on `parents`, whose `backward` receives
    /// dL/d(result) and accumulates into the parents (through `accumulateGrad`). Records only when gradients are on.
    public static func operation(_ value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> Void) -> Variable {
        record(value, parents: parents, backward: backward)
    }

    /// Back-propagates from this scalar: topological order of the recorded graph, then each node's closure in
    /// reverse. Leaf gradients accumulate (call `zeroGrad` between steps) and are complete when it returns (batched
    /// weight gradients are summed at the end); intermediate gradients are released.
    public func backward() throws {
        try ensureShape(value.count == 1, "[backward] needs a scalar loss, got shape \(Shape.describe(shape))")
        guard requiresGrad else { return }
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents where parent.requiresGrad && parent.backwardFunction != nil {
                if !visited.contains(ObjectIdentifier(parent)) { stack.append((parent, false)) }
            }
        }
        accumulateGrad(Tensor(zeros: value.shape, value: 1))
        BackwardPass.run {
            for node in order.reversed() {
                guard let g = node.grad, let function = node.backwardFunction else { continue }
                function(g)
                node.grad = nil
            }
        }
    }
}
