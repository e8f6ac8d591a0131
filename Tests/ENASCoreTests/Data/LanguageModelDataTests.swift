import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Language-model data: vocabulary, corpora, BPTT windows")
struct LanguageModelDataTests {
    @Test func vocabularyIsFrequencyOrderedAndAppendsEndOfSentence() throws {
        let vocabulary = Vocabulary(lines: ["a b a", "b a c"])
        #expect(vocabulary.words == ["a", "<eos>", "b", "c"])
        #expect(try vocabulary.encode(lines: ["c a"], source: "x") == [3, 0, 1])
        #expect(throws: ENASError.self) { try vocabulary.encode(lines: ["a zebra"], source: "valid.txt") }
        let withUnknown = Vocabulary(lines: ["<unk> a"])
        #expect(try withUnknown.encode(lines: ["zebra"], source: "x") == [withUnknown.id(of: "<unk>")!, withUnknown.id(of: "<eos>")!])
    }

    @Test func callerStreamsAreValidated() throws {
        #expect(throws: ENASError.self) { try TokenCorpus(train: [0, 1, 5], valid: [0, 1], test: [0, 1], vocabularySize: 5) }
        #expect(throws: ENASError.self) { try TokenCorpus(train: [0, 1], valid: [], test: [0, 1], vocabularySize: 5) }
        #expect(try TokenCorpus(train: [0, 1, 4], valid: [0, 1], test: [2, 3], vocabularySize: 5).vocabulary.count == 5)
    }

    @Test func windowsReadColumnsWithShiftedTargets() throws {
        let batches = try LanguageModelBatches(tokens: (0..<21).map(Int32.init), batchSize: 2)
        #expect(batches.columnLength == 10)
        let w = try batches.window(start: 3, length: 4)
        #expect(w.inputs == [3, 4, 5, 6, 13, 14, 15, 16] && w.targets == [4, 5, 6, 7, 14, 15, 16, 17])
        let tail = try batches.window(start: 7, length: 35)
        #expect(tail.length == 2 && tail.targets == [8, 9, 18, 19])
        #expect(batches.windowCount(length: 4) == 3)
        #expect(throws: ENASError.self) { try batches.window(start: 9, length: 1) }
    }

    @Test func randomLengthsFollowTheAuthorsDistribution() {
        var rng = RandomSource(seed: 4)
        let lengths = (0..<4000).map { _ in LanguageModelBatches.randomLength(base: 35, rng: &rng) }
        #expect(lengths.allSatisfy { $0 >= 1 && $0 <= 55 })
        let short = lengths.filter { $0 < 28 }.count
        #expect(short > 100 && short < 600)   // the 5% drawn around 17.5, plus the lower tail of N(35, 5)
        let mean = Double(lengths.reduce(0, +)) / 4000
        #expect(mean > 32 && mean < 35)
    }

    @Test func pennTreebankHasTheDocumentedCounts() throws {
        guard let directory = Fixtures.ptbDirectory else {
            Issue.record("PTB not found at $ENAS_DATA/ptb or ../shared/data/ptb — skipping")
            return
        }
        let corpus = try TokenCorpus.pennTreebank(directory: directory)
        #expect(corpus.vocabulary.count == 10_000)
        #expect(corpus.train.count == 929_589 && corpus.valid.count == 73_760 && corpus.test.count == 82_430)
        #expect(corpus.vocabulary.words[0] == "the")
    }
}
