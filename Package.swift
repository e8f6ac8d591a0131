// swift-tools-version: 6.0
// The enas package: ENASCore (all search and training logic), libenas.so (the C ABI), enas-repl, enas-bench.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment

// ENASCore is built for the host CPU by default: without a CPU target, SIMD16.addingProduct lowers to
// per-lane fmaf calls (~100x slower). ENAS_TARGET_CPU=haswell (or empty) makes a portable build.
let targetCPU = environment["ENAS_TARGET_CPU"] ?? "native"

/// Whether the target CPU has AVX-512 (32 vector registers of 16 floats): the GEMM's register tile is sized for it
/// (8 × 32) or, without it, for AVX2's 16 registers of 8 floats (6 × 16: an 8 × 32 tile spills there).
func targetHasAVX512(_ cpu: String) -> Bool {
    if cpu == "native" {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        return flags.split(separator: " ").contains("avx512f")
    }
    return cpu.contains("avx512") || ["cascadelake", "cooperlake", "icelake-client", "icelake-server", "tigerlake",
                                      "sapphirerapids", "graniterapids", "emeraldrapids", "znver4", "znver5"].contains(cpu)
}
/// ENAS_AVX512=1 or 0 overrides the detection (=1 on an AVX2 machine runs the AVX-512 tiles' code, spilling, to test it).
let avx512Tiles = environment["ENAS_AVX512"].map { $0 == "1" } ?? targetHasAVX512(targetCPU)
let coreFlags: [SwiftSetting] = (targetCPU.isEmpty ? [] : [.unsafeFlags(["-target-cpu", targetCPU])])
    + (avx512Tiles ? [.define("ENAS_AVX512")] : [])

/// The CPython whose packages users want (`$ENAS_PYTHON`, else `python3` on PATH): include dir, LIBDIR, library name.
func pythonBuildFacts() -> (include: String, libDir: String, library: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [environment["ENAS_PYTHON"] ?? "python3", "-c",
        "import sysconfig as s; print(s.get_path('include')); print(s.get_config_var('LIBDIR')); print('python' + s.get_config_var('LDVERSION'))"]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { return nil }
    process.waitUntilExit()
    let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .split(separator: "\n").map(String.init)
    guard process.terminationStatus == 0, lines.count == 3 else { return nil }
    return (lines[0], lines[1], lines[2])
}
let python = pythonBuildFacts()
let replSwiftFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-D_GNU_SOURCE"] + (python.map { ["-Xcc", "-I\($0.include)"] } ?? []))]
let replLinkFlags: [LinkerSetting] = python.map {
    [.unsafeFlags(["-L\($0.libDir)", "-l\($0.library)", "-Xlinker", "-rpath", "-Xlinker", $0.libDir, "-ldl"])]
} ?? []

let package = Package(
    name: "enas",
    products: [
        // MARK: - Public API
        .library(name: "ENASCore", targets: ["ENASCore"]),
        .library(name: "enas", type: .dynamic, targets: ["CENAS"]),
        .executable(name: "enas-repl", targets: ["enas-repl"]),
        // MARK: - Tools
        .executable(name: "enas-bench", targets: ["enas-bench"]),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "ENASCore", dependencies: ["CZlib"], swiftSettings: coreFlags),
        .target(
            name: "CENAS", dependencies: ["ENASCore"], swiftSettings: coreFlags,
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libenas.so"])]),
        // The REPL does not link ENASCore: it dlopens the libenas.so beside it, so the process holds one core.
        .executableTarget(
            name: "enas-repl", dependencies: ["CPython"],
            swiftSettings: replSwiftFlags + [.swiftLanguageMode(.v5)], linkerSettings: replLinkFlags),

        // MARK: - Implementation details
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPython", path: "Sources/CPython"),
        .target(name: "ENASTestSupport", dependencies: ["ENASCore"], path: "Tests/ENASTestSupport", swiftSettings: coreFlags),

        // MARK: - Unit test bundles
        .testTarget(name: "ENASCoreTests", dependencies: ["ENASCore", "ENASTestSupport"], swiftSettings: coreFlags),

        // MARK: - Tools
        .executableTarget(name: "enas-bench", dependencies: ["ENASCore"], swiftSettings: coreFlags),
    ]
)
