/// A building block holding named parameters. Names are dotted paths (`cell.w0`) and are the checkpoint keys;
/// `docs/parameters.md` lists their shapes and layouts.
public protocol Layer: AnyObject {
    /// The trainable parameters, in a fixed order.
    var parameters: [Variable] { get }
}

extension Layer {
    /// Total number of scalars in `parameters`.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}
