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

    /// The tensors whose names start with `prefix`, keyed by the rest of the name (optimizer buffers).
    public func tensors(withPrefix prefix: String) -> [String: Tensor] {
        Dictionary(tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// Serializes and writes atomically (temp file, fsync, rename).
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

// What every search and retraining checkpoint does alike: a typed JSON state, a kind check, the data check.
extension Checkpoint {
    /// A checkpoint of `kind` whose state is `state` as JSON with sorted keys (equal states write equal bytes).
    init<State: Encodable>(kind: String, encoding state: State, tensors: [(name: String, tensor: Tensor)]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(kind: kind, state: try encoder.encode(state), tensors: tensors)
    }

    /// Reads the checkpoint at `path`, which must hold a `kind`, and decodes its state; a foreign kind or a state
    /// that does not decode is a `.format` error.
    static func read<State: Decodable>(from path: String, kind: String, as: State.Type) throws -> (checkpoint: Checkpoint, state: State) {
        let checkpoint = try read(from: path)
        guard checkpoint.kind == kind else {
            throw ENASError.format("'\(path)' holds a \(checkpoint.kind) checkpoint, not a \(kind)")
        }
        do { return (checkpoint, try JSONDecoder().decode(State.self, from: checkpoint.state)) } catch {
            throw ENASError.format("'\(path)' has a corrupt \(kind) state: \(error)")
        }
    }

    /// Throws unless the data a run was saved with (`saved` fingerprint) is the data given to resume it.
    static func ensureSameData(saved: String, given: String, path: String, context: String) throws {
        guard saved == given else {
            throw ENASError.invalidArgument("[\(context)] '\(path)' was made on other data (\(saved), given \(given))")
        }
    }

    /// A search's log records as one JSON array text (they are free-form dictionaries).
    static func encodeHistory(_ history: [[String: Any]]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: history, options: [.sortedKeys]), as: UTF8.self)
    }

    static func decodeHistory(_ text: String, path: String) throws -> [[String: Any]] {
        guard let history = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw ENASError.format("'\(path)' has a corrupt history")
        }
        return history
    }

    /// A saved search phase: only the two a search can be in between steps.
    static func searchPhase(_ raw: String, path: String) throws -> SearchEvent.Phase {
        guard let phase = SearchEvent.Phase(rawValue: raw), phase == .sharedWeights || phase == .controller else {
            throw ENASError.format("'\(path)' names an unknown phase '\(raw)'")
        }
        return phase
    }
}

extension ReinforceTrainer {
    /// θ and Adam's moments, as a search checkpoint names them.
    var checkpointTensors: [(name: String, tensor: Tensor)] {
        controller.parameters.map { (name: "theta/" + $0.name, tensor: $0.value) }
            + optimizer.firstMoment.sorted { $0.key < $1.key }.map { (name: "adam.m/" + $0.key, tensor: $0.value) }
            + optimizer.secondMoment.sorted { $0.key < $1.key }.map { (name: "adam.v/" + $0.key, tensor: $0.value) }
    }

    /// Restores what `checkpointTensors` saved, and the scalars kept in the search's JSON state.
    func restore(from checkpoint: Checkpoint, rng: RandomSource, baseline: Double?, adamSteps: Int) throws {
        try controller.restoreParameters(from: checkpoint, prefix: "theta/")
        optimizer.firstMoment = checkpoint.tensors(withPrefix: "adam.m/")
        optimizer.secondMoment = checkpoint.tensors(withPrefix: "adam.v/")
        optimizer.stepCount = adamSteps
        (self.rng, self.baseline) = (rng, baseline)
    }
}
