/// Shape helpers: element counts with overflow checks, so a hostile shape from the C ABI is an error, not a trap.
public enum Shape {
    /// The number of elements of `dims`, or an error naming `op` when a dimension is negative or the product overflows.
    public static func elementCount(_ dims: [Int], op: String = "shape") throws -> Int {
        var count = 1
        for d in dims {
            guard d >= 0 else { throw ENASError.shape("[\(op)] negative dimension \(d) in \(dims)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int(Int32.max) * 64 else {
                throw ENASError.shape("[\(op)] shape \(dims) has too many elements")
            }
            count = product
        }
        return count
    }

    /// Human form used in error messages: `(2, 3, 4)`.
    public static func describe(_ dims: [Int]) -> String { "(" + dims.map(String.init).joined(separator: ", ") + ")" }
}
