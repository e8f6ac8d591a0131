// Corpora across the ABI: Penn Treebank from its folder, or the caller's token id streams (int32 or int64).
import ENASCore

/// The object behind an `enas_corpus *`: immutable train/valid/test token streams over one vocabulary.
final class CorpusObject: HandleObject {
    static let kind = HandleKind.corpus
    let corpus: TokenCorpus

    init(_ corpus: TokenCorpus) { self.corpus = corpus }
}

/// The largest vocabulary `enas_corpus_from_tokens` accepts: every id stays exact as a float32, and the embedding
/// (vocab × hidden floats) of anything larger would not fit a CPU run anyway.
let maximumVocabularySize: Int64 = 1 << 24

/// Copies `count` token ids of `type` (I32 or I64) at `data`, checking each lies in 0..<vocabularySize.
/// `split` names the pointer argument ("train") and `countArgument` its count ("n_train") in messages.
private func readTokens(
    _ data: UnsafeRawPointer?, _ count: Int64, type: ABIDType, vocabularySize: Int64, split: String,
    countArgument: String
) throws -> [Int32] {
    guard count >= 0 else { throw ABIError.invalidArgument("\(countArgument) = \(count) is negative") }
    guard count == 0 || data != nil else {
        throw ABIError.invalidArgument("\(split) is NULL with \(countArgument) = \(count)")
    }
    var length = count
    let (_, n) = try readShape(&length, ndim: 1, elementSize: type.size, argument: countArgument)
    guard n > 0, let data else { return [] }
    var tokens = [Int32](repeating: 0, count: n)
    for i in 0..<n {
        let id: Int64 =
            type == .i32
            ? Int64(data.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
            : data.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        guard id >= 0, id < vocabularySize else {
            throw ABIError.invalidArgument("\(split)[\(i)] = \(id) is outside 0..<\(vocabularySize) (vocab_size)")
        }
        tokens[i] = Int32(truncatingIfNeeded: id)
    }
    return tokens
}

/// `int32_t enas_corpus_load_ptb(const char *directory, enas_corpus **out)`
@_cdecl("enas_corpus_load_ptb")
public func enas_corpus_load_ptb(
    _ directory: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_corpus_load_ptb") {
        let out = try required(out, "out")
        out.pointee = nil
        let directory = try readText(directory, "directory")
        guard !directory.isEmpty else { throw ABIError.invalidArgument("directory is empty") }
        let corpus = try TokenCorpus.pennTreebank(directory: directory)
        out.pointee = HandleRegistry.shared.register(CorpusObject(corpus))
    }
}

/// `int32_t enas_corpus_from_tokens(const void *train, int64_t n_train, const void *valid, int64_t n_valid,
///                                  const void *test, int64_t n_test, int32_t dtype, int64_t vocab_size,
///                                  enas_corpus **out)`
@_cdecl("enas_corpus_from_tokens")
public func enas_corpus_from_tokens(
    _ train: UnsafeRawPointer?, _ nTrain: Int64, _ valid: UnsafeRawPointer?, _ nValid: Int64,
    _ test: UnsafeRawPointer?, _ nTest: Int64, _ dtype: Int32, _ vocabSize: Int64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_corpus_from_tokens") {
        let out = try required(out, "out")
        out.pointee = nil
        guard let type = ABIDType(rawValue: dtype), type == .i32 || type == .i64 else {
            throw ABIError.invalidArgument(
                "dtype = \(dtype) is not a token type; use ENAS_DTYPE_I32 (\(ABIDType.i32.rawValue)) or "
                    + "ENAS_DTYPE_I64 (\(ABIDType.i64.rawValue))")
        }
        guard vocabSize >= 2, vocabSize <= maximumVocabularySize else {
            throw ABIError.invalidArgument("vocab_size = \(vocabSize) is outside 2...\(maximumVocabularySize)")
        }
        let splits = try [(train, nTrain, "train"), (valid, nValid, "valid"), (test, nTest, "test")].map {
            try readTokens($0.0, $0.1, type: type, vocabularySize: vocabSize, split: $0.2, countArgument: "n_\($0.2)")
        }
        let corpus = try TokenCorpus(
            train: splits[0], valid: splits[1], test: splits[2], vocabularySize: Int(vocabSize))
        out.pointee = HandleRegistry.shared.register(CorpusObject(corpus))
    }
}

/// `int32_t enas_corpus_info(const enas_corpus *corpus, int64_t *vocab_size, int64_t *n_train, int64_t *n_valid,
///                           int64_t *n_test)`
@_cdecl("enas_corpus_info")
public func enas_corpus_info(
    _ corpus: OpaquePointer?, _ vocabSize: UnsafeMutablePointer<Int64>?, _ nTrain: UnsafeMutablePointer<Int64>?,
    _ nValid: UnsafeMutablePointer<Int64>?, _ nTest: UnsafeMutablePointer<Int64>?
) -> Int32 {
    abiCall("enas_corpus_info") {
        let object = try HandleRegistry.shared.lookup(corpus, as: CorpusObject.self, argument: "corpus")
        let outputs = [
            (try required(vocabSize, "vocab_size"), object.corpus.vocabulary.count),
            (try required(nTrain, "n_train"), object.corpus.train.count),
            (try required(nValid, "n_valid"), object.corpus.valid.count),
            (try required(nTest, "n_test"), object.corpus.test.count),
        ]
        for (pointer, value) in outputs { pointer.pointee = Int64(value) }
    }
}

/// `int32_t enas_corpus_subset(const enas_corpus *corpus, int64_t n_train, int64_t n_valid, int64_t n_test,
/// enas_corpus **out)` — the first n tokens of each split; -1 keeps a split whole.
@_cdecl("enas_corpus_subset")
public func enas_corpus_subset(
    _ corpus: OpaquePointer?, _ train: Int64, _ valid: Int64, _ test: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_corpus_subset") {
        let out = try required(out, "out")
        out.pointee = nil
        let object = try HandleRegistry.shared.lookup(corpus, as: CorpusObject.self, argument: "corpus")
        let subset = try object.corpus.prefix(train: try subsetCount(train, "n_train"), valid: try subsetCount(valid, "n_valid"),
                                              test: try subsetCount(test, "n_test"))
        out.pointee = HandleRegistry.shared.register(CorpusObject(subset))
    }
}

/// A subset's count argument: ≥ 1, or -1 for the whole split (nil).
func subsetCount(_ value: Int64, _ name: String) throws -> Int? {
    if value == -1 { return nil }
    guard value >= 1, value <= Int64(Int32.max) else {
        throw ABIError.invalidArgument("\(name) = \(value) must be ≥ 1, or -1 for the whole split")
    }
    return Int(value)
}

/// `int32_t enas_corpus_free(enas_corpus *corpus)`
@_cdecl("enas_corpus_free")
public func enas_corpus_free(_ corpus: OpaquePointer?) -> Int32 {
    abiCall("enas_corpus_free") {
        try HandleRegistry.shared.release(corpus, as: CorpusObject.self, argument: "corpus")
    }
}
