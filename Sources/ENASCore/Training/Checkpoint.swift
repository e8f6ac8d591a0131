import Foundation

/// A checkpoint file: named Float32 tensors plus a JSON header describing the run's state.
///
/// Byte layout (all integers little-endian):
/// ```
/// 0   8 bytes  magic "ENASCKPT"
/// 8   UInt32   format version (1)
/// 12  UInt64   header length L
/// 20  L bytes  UTF-8 JSON: {"kind": …, "state": {…}, "tensors": [{"name", "shape", "offset", "count"}, …]}
/// 20+L         the tensors' Float32 payload, back to back; offsets count floats from here
/// ```
/// A wrong magic, an unknown version, or a file shorter than its header promises is a `.format` error.
public struct Checkpoint {
    public static let magic = Array("ENASCKPT".utf8)
    public static let formatVersion: UInt32 = 1

    /// What the file holds ("recurrent_search", …).
    public var kind: String
    /// The JSON state object.
    public var state: Data
    public var tensors: [(name: String, tensor: Tensor)]

    public init(kind: String, state: Data, tensors: [(name: String, tensor: Tensor)]) {
        self.kind = kind
        self.state = state
        self.tensors = tensors
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors.first(where: { $0.name == name })?.tensor else {
            throw ENASError.format("[checkpoint] no tensor '\(name)' in this \(kind) checkpoint")
        }
        return t
    }

    /// Serializes and writes atomically (temp file, fsync, rename).
    /// The tensors whose names start with `prefix`, keyed by the rest of the name (optimizer buffers).
    public func tensors(withPrefix prefix: String) -> [String: Tensor] {
        Dictionary(tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) },
                   uniquingKeysWith: { first, _ in first })
    }

    public func write(to path: String) throws {
        var index: [[String: Any]] = []
        var offset = 0
        for (name, tensor) in tensors {
            index.append(["name": name, "shape": tensor.shape, "offset": offset, "count": tensor.count])
            offset += tensor.count
        }
        guard let stateObject = try? JSONSerialization.jsonObject(with: state) else {
            throw ENASError.invalidArgument("[checkpoint] state is not JSON")
        }
        let header = try JSONSerialization.data(withJSONObject: ["kind": kind, "state": stateObject, "tensors": index], options: [.sortedKeys])
        var data = Data(Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        data.reserveCapacity(data.count + offset * 4)
        for (_, tensor) in tensors {
            tensor.storage.withUnsafeBytes { data.append(contentsOf: $0) }   // x86-64 and arm64 are little-endian
        }
        try writeFileAtomically(data, to: path)
    }

    /// Reads and validates a checkpoint file.
    public static func read(from path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw ENASError.io("cannot read checkpoint '\(path)'") }
        guard data.count >= 20, Array(data.prefix(8)) == magic else {
            throw ENASError.format("'\(path)' is not an enas checkpoint (bad magic)")
        }
        let version = data.subdata(in: 8..<12).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard version == formatVersion else {
            throw ENASError.format("'\(path)' has checkpoint format version \(version); this library reads version \(formatVersion)")
        }
        let headerLength = data.subdata(in: 12..<20).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 20) else { throw ENASError.format("'\(path)' is truncated (header)") }
        let payloadStart = 20 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 20..<payloadStart)) as? [String: Any],
              let kind = header["kind"] as? String, let stateObject = header["state"], let index = header["tensors"] as? [[String: Any]]
        else { throw ENASError.format("'\(path)' has a corrupt checkpoint header") }
        let floats = (data.count - payloadStart) / 4
        var tensors: [(String, Tensor)] = []
        for entry in index {
            guard let name = entry["name"] as? String, let shape = entry["shape"] as? [Int], let offset = entry["offset"] as? Int,
                  let count = entry["count"] as? Int, offset >= 0, count >= 0, offset <= floats - count,
                  (try? Shape.elementCount(shape)) == count
            else { throw ENASError.format("'\(path)' is truncated or corrupt (tensor \(entry["name"] ?? "?"))") }
            var storage = [Float](repeating: 0, count: count)
            storage.withUnsafeMutableBytes { out in
                data.withUnsafeBytes { raw in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(payloadStart + offset * 4)..<(payloadStart + (offset + count) * 4)])) }
            }
            tensors.append((name, try Tensor(shape: shape, storage: storage)))
        }
        return Checkpoint(kind: kind, state: try JSONSerialization.data(withJSONObject: stateObject), tensors: tensors)
    }
}
