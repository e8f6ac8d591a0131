// enas-repl: an embedded CPython with the enas package imported, In [n]: / Out[n]: prompts, multi-line cells,
// tracebacks that never end the session; `enas-repl FILE` and `enas-repl -c CODE` run programs non-interactively.
//
// This executable does not link ENASCore: it dlopens the libenas.so beside it and tells the Python package to open
// that same file (ENAS_LIBRARY_PATH), so the process holds one copy of the core (DESIGN.md §1).
#if canImport(Glibc)
    import Glibc
#endif

/// The directory of this executable (symlinks resolved), from /proc/self/exe.
func executableDirectory() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let path = String(cString: buffer)
    guard let slash = path.lastIndex(of: "/") else { return nil }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

func fail(_ message: String) -> Never {
    fputs("enas-repl: \(message)\n", stderr)
    exit(1)
}

guard let directory = executableDirectory() else { fail("cannot find this executable's path in /proc/self/exe") }
let libraryPath = directory + "/libenas.so"
// RTLD_GLOBAL: the library stays loaded for the process; the Python package's dlopen of the same path returns it.
guard dlopen(libraryPath, RTLD_NOW | RTLD_GLOBAL) != nil else {
    fail("cannot load \(libraryPath): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
}
setenv("ENAS_LIBRARY_PATH", libraryPath, 1)
// numpy's OpenBLAS pool would spin on the cores our kernels use; a user's own setting wins (DESIGN.md §9).
setenv("OPENBLAS_NUM_THREADS", "1", 0)

exit(EmbeddedPython.run(arguments: CommandLine.arguments, executableDirectory: directory))
