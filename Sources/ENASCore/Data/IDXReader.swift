/// The IDX format of (Fashion-)MNIST, optionally gzip'd: two zero bytes, a type byte (0x08 = unsigned byte),
/// a dimension count, one big-endian UInt32 per dimension, then the row-major payload.
public struct IDXArray: Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Parses an IDX file; wrong magic, an unsupported type, or a payload shorter or longer than the header
    /// promises are `.format` errors naming the file.
    public init(contentsOf path: String) throws {
        try self.init(data: try readPossiblyGzippedFile(path), source: path)
    }

    public init(data: [UInt8], source: String = "IDX data") throws {
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw ENASError.format("'\(source)' is not an IDX file (bad magic number)")
        }
        guard data[2] == 0x08 else {
            throw ENASError.format("'\(source)' has IDX element type 0x\(String(data[2], radix: 16)); only unsigned bytes (0x08) are supported")
        }
        let rank = Int(data[3])
        guard rank >= 1, data.count >= 4 + 4 * rank else { throw ENASError.format("'\(source)' has a truncated IDX header") }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        let expected = try Shape.elementCount(dims, op: "IDX")
        let payload = data.count - 4 - 4 * rank
        guard payload == expected else {
            throw ENASError.format("'\(source)' is truncated or padded: header \(dims) promises \(expected) bytes, found \(payload)")
        }
        dimensions = dims
        bytes = Array(data[(4 + 4 * rank)...])
    }
}
