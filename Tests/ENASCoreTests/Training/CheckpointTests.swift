import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Checkpoints: atomic files, bit-identical resume, named errors", .serialized)
struct CheckpointTests {
    let corpus = try! TokenCorpus(train: (0..<8_000).map { Int32(($0 * 7 + $0 / 5) % 60) }, valid: (0..<1_500).map { Int32(($0 * 11) % 60) },
                                  test: (0..<600).map { Int32($0 % 60) }, vocabularySize: 60)

    func config() throws -> RecurrentSearchConfig {
        var c = try smallSearchConfig(seed: 11)
        c.windowsPerEpoch = 7
        c.controllerStepsPerEpoch = 3
        c.child.embeddingDropout = 0.1
        return c
    }

    func weights(_ search: RecurrentSearch) -> Data {
        var bytes = Data()
        for p in search.sharedModel.parameters + search.controller.parameters { p.value.storage.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The log without wall-clock fields.
    func log(_ search: RecurrentSearch) throws -> Data {
        let timeless = search.history.map { $0.filter { $0.key != "seconds" && $0.key != "eta_seconds" } }
        return try JSONSerialization.data(withJSONObject: timeless, options: [.sortedKeys])
    }

    @Test(arguments: [4, 7 + 2])   // stop inside phase 1, and inside phase 2
    func resumedSearchEndsByteIdenticalToAnUninterruptedOne(stopAfter: Int) throws {
        let whole = try RecurrentSearch(config: try config(), corpus: corpus)
        try whole.run(epochs: 2)

        let first = try RecurrentSearch(config: try config(), corpus: corpus)
        var seen = 0
        #expect(throws: ENASError.self) { try first.run(epochs: 2) { _ in seen += 1; return seen < stopAfter } }
        let path = try Fixtures.temporaryDirectory() + "/search.ckpt"
        try first.save(to: path)
        let resumed = try RecurrentSearch.load(from: path, corpus: corpus)
        #expect(resumed.phase == first.phase && resumed.stepInPhase == first.stepInPhase)
        try resumed.run(epochs: 2 - resumed.epoch)
        #expect(weights(resumed) == weights(whole))
        #expect(try log(resumed) == log(whole))
        #expect(try resumed.derive(samples: 3).architecture == whole.derive(samples: 3).architecture)
    }

    @Test func truncatedForeignAndMismatchedFilesAreNamedErrors() throws {
        let search = try RecurrentSearch(config: try config(), corpus: corpus)
        let directory = try Fixtures.temporaryDirectory()
        let path = directory + "/a.ckpt"
        try search.save(to: path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count - 100).write(to: URL(fileURLWithPath: directory + "/cut.ckpt"))
        #expect(throws: ENASError.self) { try RecurrentSearch.load(from: directory + "/cut.ckpt", corpus: corpus) }
        try whole.prefix(30).write(to: URL(fileURLWithPath: directory + "/header.ckpt"))
        #expect(throws: ENASError.self) { try RecurrentSearch.load(from: directory + "/header.ckpt", corpus: corpus) }
        try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: directory + "/foreign.ckpt"))
        #expect(throws: ENASError.format("'\(directory)/foreign.ckpt' is not an enas checkpoint (bad magic)")) {
            try RecurrentSearch.load(from: directory + "/foreign.ckpt", corpus: corpus)
        }
        let other = try TokenCorpus(train: Array(corpus.train.dropFirst()), valid: corpus.valid, test: corpus.test, vocabularySize: 60)
        #expect(throws: ENASError.self) { try RecurrentSearch.load(from: path, corpus: other) }
        #expect(throws: ENASError.self) { try RecurrentSearch.load(from: directory + "/missing.ckpt", corpus: corpus) }
        // No temporary files are left beside the checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }
}

@Suite("Retraining checkpoints")
struct RetrainingCheckpointTests {
    @Test func resumedRetrainingMatchesAnUninterruptedOne() throws {
        let corpus = try TokenCorpus(train: (0..<5_000).map { Int32(($0 * 3 + $0 / 7) % 40) }, valid: (0..<800).map { Int32(($0 * 5) % 40) },
                                     test: (0..<800).map { Int32(($0 * 3) % 40) }, vocabularySize: 40)
        let cell = try RecurrentCellArchitecture.parse("0 2 1 0 2 1", encoding: .enasLM)
        let config = try RecurrentRetrainConfig.fromJSON(#"{"epochs": 2, "child": {"hidden_size": 16, "input_dropout": 0.2}, "training": {"batch_size": 8, "bptt": 10}}"#)
        let whole = try RecurrentRetraining(architecture: cell, config: config, corpus: corpus)
        try whole.train()
        let part = try RecurrentRetraining(architecture: cell, config: config, corpus: corpus)
        var steps = 0
        #expect(throws: ENASError.self) { try part.train { _ in steps += 1; return steps < 30 } }
        let path = try Fixtures.temporaryDirectory() + "/retrain.ckpt"
        try part.save(to: path)
        let resumed = try RecurrentRetraining.load(from: path, corpus: corpus)
        try resumed.train(epochs: 2 - resumed.trainer.epoch)
        #expect(resumed.model.parameters.map(\.value) == whole.model.parameters.map(\.value))
        #expect(try resumed.perplexity(split: "test") == whole.perplexity(split: "test"))
        #expect(throws: ENASError.self) { try RecurrentSearch.load(from: path, corpus: corpus) }
    }
}
