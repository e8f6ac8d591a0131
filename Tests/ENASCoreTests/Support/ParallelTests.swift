import Foundation
import Synchronization
import Testing

import ENASCore

/// `Parallel.forEach` on the persistent worker pool: every chunk runs exactly once per job, over thousands of short
/// jobs (the wake-up path), nested calls and submissions from several threads at once.
@Suite("Parallel.forEach on the worker pool", .serialized)
struct ParallelTests {
    /// A shared counter that escaping closures can hold (an `Atomic` itself cannot be copied into one).
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func add(_ n: Int) { value.add(n, ordering: .relaxed) }
        var total: Int { value.load(ordering: .relaxed) }
    }

    /// Runs `body` with this thread's kernels on `threads` threads.
    func withThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        try Parallel.withThreadCount(threads, body)
    }

    @Test func threadCountOverrideIsPerThreadAndNests() {
        let processWide = Parallel.threadCount
        Parallel.withThreadCount(3) {
            #expect(Parallel.threadCount == 3)
            Parallel.withThreadCount(1) { #expect(Parallel.threadCount == 1) }
            #expect(Parallel.threadCount == 3)
            let seenElsewhere = Counter()
            let other = Thread { seenElsewhere.add(Parallel.threadCount) }
            other.start()
            while !other.isFinished { usleep(100) }
            #expect(seenElsewhere.total == processWide)
        }
        #expect(Parallel.threadCount == processWide)
    }

    @Test func everyChunkRunsOnceInManyShortJobs() {
        withThreads(2) {
            for job in 0..<5_000 {
                let chunks = 2 + job % 7
                let counts = (0..<chunks).map { _ in Counter() }
                Parallel.forEach(chunks: chunks) { c in counts[c].add(1) }
                let ran = counts.map(\.total)
                #expect(ran == [Int](repeating: 1, count: chunks), "job \(job): \(ran)")
                if ran != [Int](repeating: 1, count: chunks) { return }
            }
        }
    }

    @Test func nestedCallsRunAndFinish() {
        withThreads(2) {
            let total = Counter()
            Parallel.forEach(chunks: 4) { outer in
                Parallel.forEach(chunks: 3) { inner in total.add(outer * 3 + inner + 1) }
            }
            #expect(total.total == (1...12).reduce(0, +))
        }
    }

    @Test func submissionsFromSeveralThreadsAllComplete() {
        withThreads(2) {
            let finished = Counter()
            let group = DispatchGroup()
            for submitter in 0..<4 {
                group.enter()
                Thread {
                    var sum = 0
                    for _ in 0..<500 {
                        let partial = (0..<5).map { _ in Counter() }
                        Parallel.forEach(chunks: 5) { c in partial[c].add(c + submitter) }
                        sum += partial.reduce(0) { $0 + $1.total }
                    }
                    if sum == 500 * (10 + 5 * submitter) { finished.add(1) }
                    group.leave()
                }.start()
            }
            group.wait()
            #expect(finished.total == 4)
        }
    }
}
