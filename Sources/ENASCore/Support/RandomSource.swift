/// A seeded, splittable random source (xoshiro256**, seeded through SplitMix64).
///
/// One seed fixes every random choice: `split("init")`, `split("data")`, `split("arch")`, `split("dropout")` give
/// independent streams, so adding a draw to one stream never shifts another. Value type: copying it forks the
/// stream; its `state` is what checkpoints store.
public struct RandomSource: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four 64-bit words of xoshiro256** state.
    public private(set) var state: [UInt64]

    /// A source fully determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        state = (0..<4).map { _ in RandomSource.splitMix(&s) }
    }

    /// Restores a source from saved state (four words, not all zero).
    public init(state: [UInt64]) throws {
        try ensureArgument(state.count == 4 && state.contains { $0 != 0 },
                           "[RandomSource] state must be 4 words, not all zero; got \(state)")
        self.state = state
    }

    /// An independent stream named `name`, derived from this source's state without advancing it.
    public func split(_ name: String) -> RandomSource {
        // FNV-1a: Swift's Hasher is seeded per process, which would break reproducibility.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var s = state[0] ^ state[2] ^ hash
        var child = RandomSource(seed: RandomSource.splitMix(&s))
        child.state[3] ^= state[1] &+ state[3]
        if child.state.allSatisfy({ $0 == 0 }) { child.state[0] = 1 }
        return child
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9e37_79b9_7f4a_7c15
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((state[1] &* 5) << 7 | (state[1] &* 5) >> 57) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = state[3] << 45 | state[3] >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextFloat() }

    /// Standard normal (Box–Muller; one value per call so the stream position is simple to reason about).
    public mutating func normal() -> Float {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<bound (bound > 0), without modulo bias.
    public mutating func int(below bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }

    /// Fisher–Yates shuffle driven by this stream.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, int(below: i + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
