import Foundation
import Testing

import ENASCore

/// Freed multi-megabyte tensors stay in the heap for the next step instead of going back to the kernel.
@Suite("Memory policy")
struct MemoryPolicyTests {
    /// Minor page faults of the calling thread (other tests' threads do not count).
    func threadPageFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)    // RUSAGE_THREAD
        return usage.ru_minflt
    }

    /// A training step holds many activations and frees them all at its end: glibc's default policy then trims
    /// the freed heap top back to the kernel, and the next step faults every page in again.
    @Test func aStepsActivationsAreNotFaultedInAgainNextStep() throws {
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil, getenv("MALLOC_TRIM_THRESHOLD_") == nil else { return }
        // 1 MiB each, 16 MiB a step: within one heap of a thread's own glibc arena (64 MiB), where tests run.
        let shape = [8, 32, 32, 32]
        var checksum: Float = 0
        func step(_ value: Float) {
            let activations = (0..<16).map { _ in Tensor(zeros: shape, value: value) }
            checksum += activations.reduce(0) { $0 + $1.storage[$1.count - 1] }
        }
        step(1)    // the first step faults its pages in
        let before = threadPageFaults()
        for s in 2...4 { step(Float(s)) }
        let faults = threadPageFaults() - before
        #expect(checksum == 16 * 10)
        // Re-faulting one step's 16 MiB would be 4,096 faults a step.
        #expect(faults < 2_000, "\(faults) page faults over three steps that reuse 16 MiB")
    }
}
