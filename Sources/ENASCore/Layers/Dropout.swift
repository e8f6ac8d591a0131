/// Inverted dropout: kept units are scaled by 1/(1 − p) in training, so evaluation is the identity.
/// Masks come from the "dropout" random stream. A *locked* (variational) mask is drawn once and reused across
/// time steps, as the recurrent search's hidden-state dropout does; an *embedding* mask drops whole word rows.
public enum Dropout {
    /// A fresh mask of `shape`: each element 0 with probability p, else 1/(1 − p).
    public static func mask(_ shape: [Int], rate p: Float, rng: inout RandomSource) -> Tensor {
        let keep = 1 / (1 - p)
        return Tensor(shape: shape) { rng.nextFloat() < p ? 0 : keep }
    }

    /// x ⊙ mask in training with a fresh mask; identity when not training or p = 0.
    public static func apply(_ x: Variable, rate p: Float, training: Bool, rng: inout RandomSource) throws -> Variable {
        guard training, p > 0 else { return x }
        try ensureArgument(p < 1, "[dropout] rate \(p) must be in [0, 1)")
        return try multiply(x, mask: mask(x.shape, rate: p, rng: &rng))
    }

    /// A per-row mask (R, E) that keeps or drops whole rows (embedding dropout drops words, not coordinates).
    public static func rowMask(rows: Int, width: Int, rate p: Float, rng: inout RandomSource) -> Tensor {
        let keep = 1 / (1 - p)
        var t = Tensor(zeros: [rows, width])
        for r in 0..<rows {
            let v: Float = rng.nextFloat() < p ? 0 : keep
            for c in 0..<width { t.storage[r * width + c] = v }
        }
        return t
    }
}

extension Dropout {
    /// Drop-path (Larsson et al.; the authors' `drop_path`): each sample's whole tensor is kept with probability
    /// `keep` and scaled by 1/keep, else zeroed. Identity when not training or keep ≥ 1.
    public static func dropPath(_ x: Variable, keep: Float, training: Bool, rng: inout RandomSource) throws -> Variable {
        guard training, keep < 1 else { return x }
        try ensureArgument(keep > 0, "[drop path] keep probability \(keep) must be in (0, 1]")
        let n = x.shape[0], perSample = x.value.count / max(1, n)
        var mask = Tensor(zeros: x.shape)
        for i in 0..<n where rng.nextFloat() < keep {
            for j in 0..<perSample { mask.storage[i * perSample + j] = 1 / keep }
        }
        return try multiply(x, mask: mask)
    }
}
