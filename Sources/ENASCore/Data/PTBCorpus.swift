import Foundation

/// A language-modelling corpus: train/valid/test token streams over one vocabulary.
public struct TokenCorpus: Sendable {
    public let vocabulary: Vocabulary
    public let train: [Int32]
    public let valid: [Int32]
    public let test: [Int32]

    /// Token streams supplied by the caller (any corpus); every id must lie in 0..<vocabularySize.
    public init(train: [Int32], valid: [Int32], test: [Int32], vocabularySize: Int) throws {
        try ensureArgument(vocabularySize >= 2, "[corpus] vocabulary size \(vocabularySize) must be at least 2")
        for (name, stream) in [("train", train), ("valid", valid), ("test", test)] {
            try ensureArgument(stream.count >= 2, "[corpus] the \(name) split has \(stream.count) tokens; at least 2 are needed")
            if let bad = stream.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw ENASError.invalidArgument("[corpus] \(name) token id \(bad) is outside 0..<\(vocabularySize)")
            }
        }
        self.vocabulary = Vocabulary(words: (0..<vocabularySize).map { "<\($0)>" })
        (self.train, self.valid, self.test) = (train, valid, test)
    }

    init(vocabulary: Vocabulary, train: [Int32], valid: [Int32], test: [Int32]) {
        self.vocabulary = vocabulary
        (self.train, self.valid, self.test) = (train, valid, test)
    }

    /// The first `train`, `valid` and `test` tokens of each split (nil: all of it) over the same vocabulary — runs at a
    /// small budget (a retraining always passes over its whole training split).
    public func prefix(train: Int? = nil, valid: Int? = nil, test: Int? = nil) throws -> TokenCorpus {
        for (name, n, count) in [("train", train, self.train.count), ("valid", valid, self.valid.count), ("test", test, self.test.count)] {
            if let n { try ensureArgument(n >= 2 && n <= count, "[corpus] a subset takes 2…\(count) \(name) tokens, got \(n)") }
        }
        return TokenCorpus(vocabulary: vocabulary, train: Array(self.train.prefix(train ?? self.train.count)),
                           valid: Array(self.valid.prefix(valid ?? self.valid.count)),
                           test: Array(self.test.prefix(test ?? self.test.count)))
    }

    /// Mikolov's Penn Treebank files `ptb.{train,valid,test}.txt` in `directory` (10,000 words with `<eos>`).
    /// The vocabulary comes from the training split only.
    public static func pennTreebank(directory: String) throws -> TokenCorpus {
        func lines(_ split: String) throws -> [Substring] {
            let path = "\(directory)/ptb.\(split).txt"
            guard let data = FileManager.default.contents(atPath: path) else { throw ENASError.io("cannot read '\(path)'") }
            let text = String(decoding: data, as: UTF8.self)
            let result = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.allSatisfy(\.isWhitespace) }
            guard !result.isEmpty else { throw ENASError.format("'\(path)' is empty") }
            return result
        }
        let trainLines = try lines("train")
        let vocabulary = Vocabulary(lines: trainLines)
        return TokenCorpus(vocabulary: vocabulary,
                           train: try vocabulary.encode(lines: trainLines, source: "\(directory)/ptb.train.txt"),
                           valid: try vocabulary.encode(lines: try lines("valid"), source: "\(directory)/ptb.valid.txt"),
                           test: try vocabulary.encode(lines: try lines("test"), source: "\(directory)/ptb.test.txt"))
    }
}
