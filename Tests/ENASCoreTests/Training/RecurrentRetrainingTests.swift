import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Recurrent retraining: averaged SGD")
struct RecurrentRetrainingTests {
    static let corpus = try! TokenCorpus(train: (0..<3_000).map { Int32(($0 * 3 + $0 / 7) % 40) },
                                         valid: (0..<600).map { Int32(($0 * 5) % 40) },
                                         test: (0..<600).map { Int32(($0 * 3) % 40) }, vocabularySize: 40)
    static let cell = try! RecurrentCellArchitecture.parse("0 2 1 0 2 1", encoding: .enasLM)

    func config(averagingFrom epoch: Int?) throws -> RecurrentRetrainConfig {
        let averaging = epoch.map { #", "averaging_start_epoch": \#($0)"# } ?? ""
        return try RecurrentRetrainConfig.fromJSON(#"{"epochs": 2, "child": {"hidden_size": 12}, "training": {"batch_size": 6, "bptt": 10}\#(averaging)}"#)
    }

    @Test func theAverageIsTheMeanOfTheWeightsAfterEveryStepFromTheStartEpoch() throws {
        let retraining = try RecurrentRetraining(architecture: Self.cell, config: try config(averagingFrom: 1), corpus: Self.corpus)
        var sums: [[Double]]? = nil
        var counted = 0
        try retraining.train { event in
            // The event of a step comes after it; steps taken while the epoch counter was ≥ 1 are averaged.
            if event.epoch >= 1 {
                let values = retraining.model.parameters.map { $0.value.storage.map(Double.init) }
                sums = sums.map { zip($0, values).map { zip($0, $1).map { $0 + $1 } } } ?? values
                counted += 1
            }
            return true
        }
        #expect(counted > 5 && retraining.averagedSteps == counted)
        let averages = try #require(retraining.averagedParameters)
        for (average, sum) in zip(averages, sums!) {
            #expect(maxAbsDifference(average.storage, sum.map { Float($0 / Double(counted)) }) < 1e-5)
        }
        // Evaluation uses the average and leaves the trained weights in the model.
        let trained = retraining.model.parameters.map(\.value)
        let averagedPPL = try retraining.perplexity(split: "valid")
        #expect(retraining.model.parameters.map(\.value) == trained)
        let plain = try RecurrentRetraining(architecture: Self.cell, config: try config(averagingFrom: nil), corpus: Self.corpus)
        try plain.train()
        #expect(plain.averagedParameters == nil)
        #expect(plain.model.parameters.map(\.value) == trained)    // averaging never changes the training itself
        #expect(try plain.perplexity(split: "valid") != averagedPPL)
    }

    @Test func averagingResumesFromACheckpoint() throws {
        let config = try config(averagingFrom: 1)
        let whole = try RecurrentRetraining(architecture: Self.cell, config: config, corpus: Self.corpus)
        try whole.train()
        let part = try RecurrentRetraining(architecture: Self.cell, config: config, corpus: Self.corpus)
        var steps = 0
        let stopAt = whole.trainer.windowsPerEpoch + 10    // inside epoch 1, after averaging started
        #expect(throws: ENASError.self) { try part.train { _ in steps += 1; return steps < stopAt } }
        #expect(part.averagedSteps > 0)
        let path = try Fixtures.temporaryDirectory() + "/averaged.ckpt"
        try part.save(to: path)
        let resumed = try RecurrentRetraining.load(from: path, corpus: Self.corpus)
        try resumed.train(epochs: 2 - resumed.trainer.epoch)
        #expect(resumed.averagedSteps == whole.averagedSteps)
        #expect(resumed.averagedParameters == whole.averagedParameters)
        #expect(try resumed.perplexity(split: "test") == whole.perplexity(split: "test"))
    }

    @Test func configsWithoutTheFieldDecodeWithAveragingOff() throws {
        let saved = try JSONEncoder().encode(try config(averagingFrom: nil))
        var object = try #require(try JSONSerialization.jsonObject(with: saved) as? [String: Any])
        #expect(object.removeValue(forKey: "averagingStartEpoch") != nil)
        let old = try JSONDecoder().decode(RecurrentRetrainConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.averagingStartEpoch == -1)
        #expect(throws: ENASError.self) { try RecurrentRetrainConfig.fromJSON(#"{"averaging_start_epoch": -2}"#) }
    }
}
