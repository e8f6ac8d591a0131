import Foundation

/// Paths of shared test data. Data folders are resolved from the repository root (never the working directory).
public enum Fixtures {
    /// The repository root: three levels above this file (Tests/ENASTestSupport/Fixtures.swift).
    public static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    /// Fashion-MNIST's directory, or nil when Debian's `dataset-fashion-mnist` is not installed.
    public static var fashionMNISTDirectory: String? {
        let directory = ProcessInfo.processInfo.environment["ENAS_FASHION_MNIST"] ?? "/usr/share/datasets/fashion-mnist"
        return FileManager.default.fileExists(atPath: directory + "/train-images-idx3-ubyte.gz") ? directory : nil
    }

    /// A fresh temporary directory for a test's files.
    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "enas-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

extension Fixtures {
    /// Penn Treebank's folder: `$ENAS_DATA/ptb`, else `../shared/data/ptb` beside the repository; nil when absent.
    public static var ptbDirectory: String? {
        var candidates: [String] = []
        if let data = ProcessInfo.processInfo.environment["ENAS_DATA"] { candidates.append(data + "/ptb") }
        candidates.append(URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().path + "/shared/data/ptb")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/ptb.train.txt") }
    }
}
