import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Persistent worker threads behind `Parallel.forEach`. A training step makes thousands of short parallel calls
/// (a 32-row GEMM, one batch-norm pass), so the cost of waking a thread decides 2-thread scaling: GCD's
/// `concurrentPerform` paid 35–45 µs per call here. Workers spin for a while after each job, so the next one starts
/// in well under a microsecond, and only then park on a condition variable (an idle process burns no CPU).
///
/// A job is `chunks` calls of one body; the caller and the workers claim chunk indices from one atomic word that
/// also holds the job's generation, so a worker that wakes late can never claim a chunk of a newer job. The chunking
/// is fixed by the caller, so results do not depend on which thread runs a chunk.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker polls for the next job before parking (iterations of an atomic load, ~100 µs).
    private static let spinIterations = 20_000

    /// generation << 32 | next unclaimed chunk.
    private let claim = Atomic<UInt64>(0)
    /// Chunks of the current job not yet finished; the caller waits for 0.
    private let unfinished = Atomic<Int>(0)
    /// Workers inside `work`. The caller also waits for 0 before the job's body goes away: a worker's copy of the
    /// body (a retained closure context) can be released after its last chunk's `unfinished` decrement, and a
    /// context still retained when `withoutActuallyEscaping` returns is a crash ("closure argument was escaped").
    /// With many short chunks per job that window was hit in about one test run in three.
    private let working = Atomic<Int>(0)
    /// The current job's generation, published after its fields (acquire/release pairs with the workers' reads).
    private let generation = Atomic<UInt32>(0)
    private let chunkCount = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// The current job's body, valid while `unfinished` > 0.
    private var body: UnsafeRawPointer?

    // Heap-allocated: pthread objects must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// One submission at a time: a second thread calling in meanwhile runs its chunks itself.
    private let submitLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var workerCount = 0

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_mutex_init(submitLock, nil)
    }

    /// Whether the calling thread is inside a job (as caller or worker): nested calls run serially.
    private static let insideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    private static var isInside: Bool { pthread_getspecific(insideKey) != nil }
    private static func setInside(_ inside: Bool) {
        pthread_setspecific(insideKey, inside ? UnsafeRawPointer(bitPattern: 1) : nil)
    }

    /// Runs body(c) for c in 0..<chunks on the calling thread and up to `threads` − 1 workers; returns when all ran.
    func run(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        if WorkerPool.isInside || pthread_mutex_trylock(submitLock) != 0 {
            for c in 0..<chunks { body(c) }
            return
        }
        defer { pthread_mutex_unlock(submitLock) }
        startWorkers(upTo: threads - 1)
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                self.body = UnsafeRawPointer(pointer)
                chunkCount.store(chunks, ordering: .relaxed)
                unfinished.store(chunks, ordering: .relaxed)
                let next = generation.load(ordering: .relaxed) &+ 1
                claim.store(UInt64(next) << 32, ordering: .relaxed)
                // Sequentially consistent with the worker's park check: it either sees this generation or is
                // counted in `sleepers` here. (Were a wake-up ever missed, the caller runs every chunk itself.)
                generation.store(next, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    pthread_mutex_lock(mutex)
                    pthread_cond_broadcast(wake)
                    pthread_mutex_unlock(mutex)
                }
                WorkerPool.setInside(true)
                work(generation: next)
                WorkerPool.setInside(false)
                // A worker still running a chunk may have been preempted (more busy threads than cores): after a
                // short spin, give the core away rather than burn the rest of the time slice.
                var spins = 0
                while unfinished.load(ordering: .acquiring) > 0 || working.load(ordering: .acquiring) > 0 {
                    spins += 1
                    if spins > 2_000 { sched_yield() }
                }
                self.body = nil
            }
        }
    }

    /// Claims and runs chunks of job `generation` until none is left (or a newer job replaced it). Not inlined, so
    /// every copy of the body it made is released before it returns.
    @inline(never)
    private func work(generation: UInt32) {
        while true {
            let current = claim.load(ordering: .acquiring)
            guard UInt32(truncatingIfNeeded: current >> 32) == generation else { return }
            let index = Int(current & 0xFFFF_FFFF)
            guard index < chunkCount.load(ordering: .acquiring) else { return }
            guard claim.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            // The job cannot end (nor `body` change) while this claimed chunk is unfinished.
            body!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(index)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    private func startWorkers(upTo count: Int) {
        guard workerCount < count else { return }
        // Workers block every signal (they inherit the mask they are created with), so a process-directed signal such
        // as Ctrl-C's SIGINT reaches a thread that can handle it: CPython notices a signal promptly only when its C
        // handler runs on the main thread.
        var all = sigset_t(), previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        while workerCount < count {
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { _ in
                WorkerPool.shared.workerLoop()
                return nil
            }, nil)
            guard started == 0 else { return }   // fewer workers: the caller runs the chunks left over
            pthread_detach(thread)
            workerCount += 1
        }
    }

    private func workerLoop() {
        WorkerPool.setInside(true)
        var seen = generation.load(ordering: .acquiring)
        while true {
            var spins = 0
            var next = generation.load(ordering: .acquiring)
            while next == seen && spins < WorkerPool.spinIterations {
                spins += 1
                next = generation.load(ordering: .acquiring)
            }
            if next == seen {
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                next = generation.load(ordering: .sequentiallyConsistent)
                while next == seen {
                    pthread_cond_wait(wake, mutex)
                    next = generation.load(ordering: .acquiring)
                }
                sleepers.subtract(1, ordering: .relaxed)
                pthread_mutex_unlock(mutex)
            }
            seen = next
            // Counted before claiming anything: a worker that claims a chunk is counted before the caller can see
            // that chunk finished (release/acquire through `claim` and `unfinished`).
            working.add(1, ordering: .sequentiallyConsistent)
            work(generation: next)
            working.subtract(1, ordering: .releasing)
        }
    }
}
