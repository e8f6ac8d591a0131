/// The operations of the two CNN spaces, in one table (DESIGN §2). Codes are each space's integers in the
/// authors' strings; raw values name them in JSON.
public enum MacroOperation: String, CaseIterable, Codable, Sendable {
    case conv3x3 = "conv3x3", separable3x3 = "sep_conv3x3", conv5x5 = "conv5x5", separable5x5 = "sep_conv5x5"
    case averagePool3x3 = "avg_pool3x3", maxPool3x3 = "max_pool3x3"
}

public enum MicroOperation: String, CaseIterable, Codable, Sendable {
    case separable3x3 = "sep_conv3x3", separable5x5 = "sep_conv5x5", averagePool3x3 = "avg_pool3x3"
    case maxPool3x3 = "max_pool3x3", identity
}

/// Parses a whitespace- or comma-separated integer string, naming the offending token.
func parseIntegers(_ text: String, what: String) throws -> [Int] {
    try text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" || $0 == "|" }).map { token in
        guard let v = Int(token) else { throw ENASError.format("[\(what)] '\(token)' in '\(text)' is not an integer") }
        return v
    }
}
