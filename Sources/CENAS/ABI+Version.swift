// Version, status and message functions, and the kernels' thread count.
import ENASCore

/// The ABI version of enas.h (`ENAS_ABI_VERSION`).
let abiVersion: Int32 = 3

/// The library's version.
let libraryVersion = "0.1.0"

/// The most threads `enas_set_num_threads` accepts.
let maximumThreadCount: Int32 = 1024

nonisolated(unsafe) private let versionCString = staticCString(libraryVersion)
nonisolated(unsafe) private let statusCStrings = ABIStatus.allCases.map { staticCString($0.text) }
nonisolated(unsafe) private let unknownStatusCString = staticCString("unknown status")

/// `int32_t enas_abi_version(void)`
@_cdecl("enas_abi_version")
public func enas_abi_version() -> Int32 { abiVersion }

/// `const char *enas_version_string(void)`
@_cdecl("enas_version_string")
public func enas_version_string() -> UnsafePointer<CChar> { versionCString }

/// `const char *enas_status_string(int32_t status)`
@_cdecl("enas_status_string")
public func enas_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    guard let known = ABIStatus(rawValue: status) else { return unknownStatusCString }
    return statusCStrings[Int(known.rawValue)]
}

/// `const char *enas_last_error(void)`
@_cdecl("enas_last_error")
public func enas_last_error() -> UnsafePointer<CChar> { lastErrorCString() }

/// `int32_t enas_set_num_threads(int32_t n)`
@_cdecl("enas_set_num_threads")
public func enas_set_num_threads(_ n: Int32) -> Int32 {
    abiCall("enas_set_num_threads") {
        guard n >= 1, n <= maximumThreadCount else {
            throw ABIError.invalidArgument("n = \(n) is outside 1...\(maximumThreadCount)")
        }
        Parallel.threadCount = Int(n)
    }
}

/// `int32_t enas_get_num_threads(int32_t *out)`
@_cdecl("enas_get_num_threads")
public func enas_get_num_threads(_ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall("enas_get_num_threads") {
        let out = try required(out, "out")
        out.pointee = Int32(clamping: Parallel.threadCount)
    }
}
