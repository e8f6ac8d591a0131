/// K×K max or average pooling (average excludes padding). No parameters.
public final class Pool2D: Layer {
    public enum Kind: String, Codable, Sendable { case max, average }
    public let kind: Kind
    public let kernel, stride, padding: Int

    public init(_ kind: Kind, kernel: Int = 3, stride: Int = 1, padding: Int? = nil) {
        self.kind = kind
        self.kernel = kernel
        self.stride = stride
        self.padding = padding ?? kernel / 2
    }

    public var parameters: [Variable] { [] }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        switch kind {
        case .max: try maxPool2d(x, kernel: kernel, stride: stride, padding: padding)
        case .average: try avgPool2d(x, kernel: kernel, stride: stride, padding: padding)
        }
    }
}
