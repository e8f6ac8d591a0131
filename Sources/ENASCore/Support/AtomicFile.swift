import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to `path` atomically: a temporary file beside it, fsync, then rename over the target. A crash
/// leaves either the old file or the new one, never a torn mix.
public func writeFileAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
        throw ENASError.io("cannot create folder '\(directory)': \(error.localizedDescription)")
    }
    let temporary = directory + "/.\(url.lastPathComponent).\(getpid()).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ENASError.io("cannot write '\(temporary)': \(String(cString: strerror(errno)))") }
    var failure: String?
    data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); return }
            offset += written
        }
    }
    if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
    close(fd)
    if let failure {
        unlink(temporary)
        throw ENASError.io("cannot write '\(path)': \(failure)")
    }
    guard rename(temporary, path) == 0 else {
        let message = String(cString: strerror(errno))
        unlink(temporary)
        throw ENASError.io("cannot move the checkpoint into '\(path)': \(message)")
    }
}
