import Foundation

/// A structured metrics log: one JSON object per line, appended and flushed per record so a notebook can plot a
/// run while it is going (and a crash loses at most the line being written).
public final class JSONLinesLog {
    private let handle: FileHandle
    public let path: String

    /// Creates (or truncates) the file at `path`, creating its folder.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch { throw ENASError.io("cannot create the folder of log '\(path)': \(error.localizedDescription)") }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ENASError.io("cannot create log '\(path)'")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Appends one record. Keys are sorted so lines are stable across runs.
    public func write(_ record: [String: Any]) throws {
        guard JSONSerialization.isValidJSONObject(record) else {
            throw ENASError.invalidArgument("[log] record is not JSON-serializable: \(record)")
        }
        var data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        data.append(0x0A)
        do { try handle.write(contentsOf: data) } catch { throw ENASError.io("cannot write log '\(path)': \(error.localizedDescription)") }
    }
}
