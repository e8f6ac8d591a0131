import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The core's thread count: `ENAS_NUM_THREADS` if set, else the number of online cores; `Parallel.threadCount = n`
/// overrides it (configs carry a `threads` field). Results are deterministic for a given thread count.
public enum Parallel {
    private static let configured = Atomic<Int>(0)

    /// Threads the kernels split work over (≥ 1): the calling thread's `withThreadCount` override, else the
    /// process-wide setting.
    public static var threadCount: Int {
        get {
            if let override = pthread_getspecific(overrideKey) { return Int(bitPattern: override) }
            let n = configured.load(ordering: .relaxed)
            return n > 0 ? n : defaultThreadCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Runs `body` with kernels called from this thread splitting work over `threads` threads, leaving the
    /// process-wide count (and other threads' kernels, e.g. concurrently running tests) alone.
    public static func withThreadCount<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let saved = pthread_getspecific(overrideKey)
        pthread_setspecific(overrideKey, UnsafeRawPointer(bitPattern: max(1, threads)))
        defer { pthread_setspecific(overrideKey, saved) }
        return try body()
    }

    /// The per-thread override of `withThreadCount` (a thread count stored as the pointer's bits; nil = none).
    private static let overrideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

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

    /// Splits 0..<count into contiguous ranges aligned to `granule`, up to `chunksPerThread` per thread, and runs
    /// them in parallel; threads claim ranges as they finish their last, so with several per thread a core that
    /// started late or runs slower (a shared machine's) takes fewer. Work smaller than `minimumPerThread` items per
    /// thread stays on the calling thread. The ranges depend only on the arguments and the thread count.
    public static func forRanges(count: Int, granule: Int = 1, minimumPerThread: Int = 1, chunksPerThread: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        let granules = (count + granule - 1) / granule
        let threads = min(threadCount, granules, max(1, count / max(1, minimumPerThread)))
        if threads <= 1 { body(0..<count); return }
        let pieces = min(granules, threads * max(1, chunksPerThread))
        let perChunk = (granules + pieces - 1) / pieces * granule
        let chunks = (count + perChunk - 1) / perChunk
        forEach(chunks: chunks) { c in body(c * perChunk..<min(count, (c + 1) * perChunk)) }
    }
}
