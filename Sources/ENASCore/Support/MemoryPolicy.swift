#if canImport(Glibc)
import Glibc
#endif

/// How freed tensor memory goes back to the allocator. glibc serves blocks of more than 128 KiB (raised up to the
/// largest freed one) with mmap and trims the heap's free top back to the kernel once it exceeds twice that, so
/// every training step unmapped its multi-megabyte activations and faulted them back in page by page: 15–19 % of
/// a W2/W2f step ran in the kernel. Keeping freed memory in the heap (trimming only above 1 GiB free) lets the next
/// step reuse it. mallopt caps the mmap threshold at 32 MiB, and a PTB retraining window's logits and their
/// gradient are 90 MB each (their fresh pages were 10% of the step), so the main arena — the thread the Python,
/// REPL and C callers train on — does not mmap at all; other threads' arenas still mmap blocks beyond their 64 MiB
/// heaps (glibc falls back to it whatever the setting). Process-wide; skipped when the user set glibc's own
/// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or MALLOC_MMAP_MAX_.
enum MemoryPolicy {
    /// Applied once, on the first tensor allocation.
    static let applied: Bool = {
        #if canImport(Glibc)
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil, getenv("MALLOC_TRIM_THRESHOLD_") == nil,
              getenv("MALLOC_MMAP_MAX_") == nil else { return false }
        // mallopt is declared in <malloc.h>, which the Glibc module does not export: look it up by name.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, mmapMax: Int32 = -4  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX
        return mallopt(mmapThreshold, 32 << 20) == 1 && mallopt(trimThreshold, 1 << 30) == 1 && mallopt(mmapMax, 0) == 1
        #else
        return false
        #endif
    }()
}
