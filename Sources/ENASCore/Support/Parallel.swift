import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The core's thread count: `ENAS_NUM_THREADS` if set, else the number of online cores; `Parallel.threadCount = n`
/// overrides it (configs carry a `threads` field). Results are deterministic for a given thread count.
public enum Parallel {
    private static let configured = Atomic<Int>(0)

    /// Threads the kernels split work over (≥ 1).
    public static var threadCount: Int {
        get {
            let n = configured.load(ordering: .relaxed)
            return n > 0 ? n : defaultThreadCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// `ENAS_NUM_THREADS`, else the online core count.
    public static let defaultThreadCount: Int = {
        if let text = getenv("ENAS_NUM_THREADS"), let n = Int(String(cString: text)), n > 0 { return n }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Runs `body(chunk)` for chunk in 0..<chunks, concurrently when more than one thread is configured.
    /// The chunking is fixed by the caller, so each chunk's arithmetic is the same whatever thread runs it.
    @inline(__always)
    public static func forEach(chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 || threadCount == 1 {
            for c in 0..<chunks { body(c) }
        } else {
            WorkerPool.shared.run(chunks: chunks, threads: threadCount, body)
        }
    }

    /// Splits 0..<count into at most `threadCount` contiguous ranges aligned to `granule` and runs them in parallel.
    /// Work smaller than `minimumPerThread` items per thread stays on the calling thread.
    public static func forRanges(count: Int, granule: Int = 1, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let granules = (count + granule - 1) / granule
        let threads = min(threadCount, granules, max(1, count / max(1, minimumPerThread)))
        if threads <= 1 { body(0..<count); return }
        let perThread = (granules + threads - 1) / threads * granule
        let chunks = (count + perThread - 1) / perThread
        forEach(chunks: chunks) { c in body(c * perThread..<min(count, (c + 1) * perThread)) }
    }
}
