/// Halves H and W without losing half the pixels (the authors' factorized reduction): path 1 subsamples at
/// stride 2 and applies a 1×1 conv to ⌊O/2⌋ channels; path 2 shifts by one pixel first (so it sees the skipped
/// pixels) and maps to the other ⌈O/2⌉; the two are concatenated and batch-normalized.
/// x (N, C, H, W) → (N, O, ⌈H/2⌉, ⌈W/2⌉).
public final class FactorizedReduction: Layer {
    let path1, path2: Conv2D
    let norm: BatchNorm2D

    public init(_ name: String, inChannels: Int, outChannels: Int, rng: inout RandomSource) throws {
        try ensureArgument(outChannels >= 2, "[factorized reduction] needs at least 2 output channels, got \(outChannels)")
        path1 = Conv2D("\(name).path1", inChannels: inChannels, outChannels: outChannels / 2, kernel: 1, rng: &rng)
        path2 = Conv2D("\(name).path2", inChannels: inChannels, outChannels: outChannels - outChannels / 2, kernel: 1, rng: &rng)
        norm = BatchNorm2D("\(name).bn", channels: outChannels, rng: &rng)
    }

    public var parameters: [Variable] { path1.parameters + path2.parameters + norm.parameters }

    public func callAsFunction(_ x: Variable, training: Bool) throws -> Variable {
        let first = try path1(try subsample2(x, shifted: false))
        let second = try path2(try subsample2(x, shifted: true))
        return try norm(try concat([first, second]), training: training)
    }
}
