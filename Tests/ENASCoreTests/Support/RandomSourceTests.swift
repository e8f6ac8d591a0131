import ENASCore
import Testing

@Suite("Seeded random streams")
struct RandomSourceTests {
    @Test func sameSeedSameStreamAndNamedSplitsAreIndependent() throws {
        var a = RandomSource(seed: 42), b = RandomSource(seed: 42)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        let root = RandomSource(seed: 42)
        var initStream = root.split("init"), dataStream = root.split("data")
        #expect(initStream.next() != dataStream.next())
        #expect(RandomSource(seed: 43).split("init") != root.split("init"))
        #expect(root.split("init") == root.split("init"))
        let restored = try RandomSource(state: a.state)
        #expect(restored == a)
        #expect(throws: ENASError.self) { try RandomSource(state: [0, 0, 0, 0]) }
    }

    @Test func uniformAndNormalHaveTheRightMoments() {
        var rng = RandomSource(seed: 9)
        let u = (0..<20_000).map { _ in rng.nextFloat() }
        let n = (0..<20_000).map { _ in rng.normal() }
        #expect(abs(u.reduce(0, +) / 20_000 - 0.5) < 0.01 && u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = n.reduce(0, +) / 20_000
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20_000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}
