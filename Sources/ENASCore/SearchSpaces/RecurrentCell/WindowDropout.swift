/// The dropout of one training window, drawn before its forward pass: variational masks (B, H) fixed across the
/// window and per-word keep factors (embedding dropout). Drawn for the whole batch in one fixed order, so a step split
/// into row blocks (`RecurrentLanguageModel.trainingPass`) uses the random stream exactly as an unsplit one.
struct WindowDropout {
    /// Input dropout × cell-input dropout, on x_t.
    var input: Tensor?
    /// Hidden dropout, on each node's input.
    var layer: Tensor?
    /// Output dropout, on the cell output before the softmax.
    var output: Tensor?
    /// Embedding dropout: the factor (0 or 1/(1 − p)) of each word id in the window.
    var wordKeep: [Int32: Float]

    static let none = WindowDropout(input: nil, layer: nil, output: nil, wordKeep: [:])

    init(input: Tensor?, layer: Tensor?, output: Tensor?, wordKeep: [Int32: Float]) {
        (self.input, self.layer, self.output, self.wordKeep) = (input, layer, output, wordKeep)
    }

    /// Draws the masks `config` asks for, for a window of `b` rows.
    init(_ config: RecurrentModelConfig, window: LanguageModelBatches.Window, batchSize b: Int, rng: inout RandomSource) {
        let h = config.hiddenSize
        func mask(_ rate: Float) -> Tensor? { rate > 0 ? Dropout.mask([b, h], rate: rate, rng: &rng) : nil }
        var wordKeep: [Int32: Float] = [:]
        if config.embeddingDropout > 0 {
            for id in Set(window.inputs).sorted() {
                wordKeep[id] = rng.nextFloat() < config.embeddingDropout ? 0 : 1 / (1 - config.embeddingDropout)
            }
        }
        let inputMask = mask(config.inputDropout), cellInputMask = mask(config.cellInputDropout)
        let layer = mask(config.hiddenDropout), output = mask(config.outputDropout)
        var input = inputMask ?? cellInputMask
        if let inputMask, let cellInputMask {
            for k in 0..<(b * h) { input!.storage[k] = inputMask.storage[k] * cellInputMask.storage[k] }
        }
        self.init(input: input, layer: layer, output: output, wordKeep: wordKeep)
    }

    /// The masks of batch rows `rows` (the word factors are per word, so shared).
    func rows(_ rows: Range<Int>) -> WindowDropout {
        WindowDropout(input: input?.rows(rows), layer: layer?.rows(rows), output: output?.rows(rows), wordKeep: wordKeep)
    }
}
