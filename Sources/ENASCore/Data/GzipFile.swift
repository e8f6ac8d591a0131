import CZlib

/// Reads a whole file, transparently gunzipping it when it is gzip-compressed (zlib's gzread passes plain files
/// through). Errors name the path: missing file → `.io`, corrupt or truncated gzip stream → `.format`.
public func readPossiblyGzippedFile(_ path: String) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else { throw ENASError.io("cannot open '\(path)'") }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        if read < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
            throw ENASError.format("'\(path)' is corrupt or truncated: \(message)")
        }
        if read == 0 { break }
        bytes.append(contentsOf: chunk[0..<Int(read)])
    }
    // gzread returns 0 at a truncated stream's end without an error on some zlib versions; gzerror tells.
    var code: Int32 = 0
    _ = gzerror(file, &code)
    if code != Z_OK && code != Z_STREAM_END {
        throw ENASError.format("'\(path)' is corrupt or truncated (zlib error \(code))")
    }
    return bytes
}
