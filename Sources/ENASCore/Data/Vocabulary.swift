/// Word ↔ id mapping built from a training split. Ids are assigned by descending frequency, ties broken by the
/// word's byte order, so the same text always gives the same ids. `<eos>` ends every line.
public struct Vocabulary: Codable, Equatable, Sendable {
    public static let endOfSentence = "<eos>"
    public static let unknown = "<unk>"

    /// Words by id.
    public let words: [String]
    private let ids: [String: Int32]

    /// Builds the vocabulary of `lines` (each line's whitespace-separated words plus one `<eos>`).
    public init<S: Sequence>(lines: S) where S.Element: StringProtocol {
        var counts: [String: Int] = [Vocabulary.endOfSentence: 0]
        for line in lines {
            for word in line.split(whereSeparator: \.isWhitespace) { counts[String(word), default: 0] += 1 }
            counts[Vocabulary.endOfSentence, default: 0] += 1
        }
        let ordered = counts.sorted { $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }
        self.init(words: ordered.map(\.key))
    }

    /// A vocabulary with exactly these words (ids = positions).
    public init(words: [String]) {
        self.words = words
        var ids: [String: Int32] = [:]
        for (i, w) in words.enumerated() { ids[w] = Int32(i) }
        self.ids = ids
    }

    public var count: Int { words.count }

    public func id(of word: String) -> Int32? { ids[word] }

    /// Token ids of `lines`, one `<eos>` after each line. A word outside the vocabulary becomes `<unk>` when the
    /// vocabulary has it, else it is an error naming the word, its line and `source`.
    public func encode<S: Sequence>(lines: S, source: String) throws -> [Int32] where S.Element: StringProtocol {
        let unknownId = ids[Vocabulary.unknown]
        guard let eos = ids[Vocabulary.endOfSentence] else {
            throw ENASError.invalidArgument("[vocabulary] has no '\(Vocabulary.endOfSentence)' word")
        }
        var tokens: [Int32] = []
        for (number, line) in lines.enumerated() {
            for word in line.split(whereSeparator: \.isWhitespace) {
                if let id = ids[String(word)] { tokens.append(id) } else if let unknownId { tokens.append(unknownId) } else {
                    throw ENASError.format("'\(source)' line \(number + 1): word '\(word)' is not in the training vocabulary, which has no '\(Vocabulary.unknown)'")
                }
            }
            tokens.append(eos)
        }
        return tokens
    }

    private enum CodingKeys: String, CodingKey { case words }
    public init(from decoder: Decoder) throws {
        self.init(words: try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .words))
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(words, forKey: .words)
    }
}
