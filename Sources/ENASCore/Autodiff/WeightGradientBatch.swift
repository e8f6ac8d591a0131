#if canImport(Glibc)
import Glibc
#endif

/// The gradient of a weight that many small products read in one backward pass — a recurrent cell's matrices at
/// every time step of a window — summed as few large products instead of one per read. dW = Σ_t A_tᵀ · g_t with
/// A_t only B rows tall (32 in W1s) made each product a depth-32 GEMM that loads and stores all of dW for 32
/// multiply-adds per element; stacking the A_t and g_t of a full depth block (`gemmKC` rows) first gives the
/// micro-kernel depth to work with (the PTB recipe's H-400, B-64 retraining window: 4.01 → 3.59 s at 1 thread; W1s
/// +2–4%). The rows are summed in a fixed order (the order the tape sends them), so the result is deterministic; it
/// differs from per-read sums only by rounding.
final class WeightGradientBatch {
    /// A leaf weight (I, O) read as the untransposed right operand of `matmul`.
    let weight: Variable
    /// The left operands (rows, I) and the gradients of the products (rows, O) not yet summed.
    private var inputs: [Tensor] = [], gradients: [Tensor] = []
    private var pendingRows = 0
    /// Rows collected before they are summed: one depth block of the blocked GEMM.
    private let flushRows: Int

    init(weight: Variable, flushRows: Int = gemmKC) {
        self.weight = weight
        self.flushRows = max(1, flushRows)
    }

    /// Takes one product's A (rows, I) and dL/d(A·W) (rows, O). Returns false outside a backward pass (nothing would
    /// sum what is left at its end); the caller then adds the gradient itself.
    func collect(input: Tensor, gradient: Tensor) -> Bool {
        guard BackwardPass.flushAtEnd(self) else { return false }
        inputs.append(input)
        gradients.append(gradient)
        pendingRows += input.shape[0]
        if pendingRows >= flushRows { flush() }
        return true
    }

    /// Adds Aᵀ · G over the collected rows into the weight's gradient.
    func flush() {
        guard pendingRows > 0 else { return }
        let (inWidth, outWidth) = (weight.shape[0], weight.shape[1])
        let stackedInputs = Tensor.stackingRows(inputs), stackedGradients = Tensor.stackingRows(gradients)
        stackedInputs.withPointer { a in stackedGradients.withPointer { g in
            weight.writeOrAccumulateGrad { dw, overwrite in
                gemm(transA: true, transB: false, m: inWidth, n: outWidth, k: pendingRows, a: a, lda: inWidth,
                     b: g, ldb: outWidth, beta: overwrite ? 0 : 1, c: dw, ldc: outWidth)
            }
        } }
        inputs.removeAll(keepingCapacity: true)
        gradients.removeAll(keepingCapacity: true)
        pendingRows = 0
    }
}

/// What a backward pass finishes after its last closure: the weight gradients closures left in batches. Kept per
/// thread, so passes running concurrently on different threads stay apart.
enum BackwardPass {
    private final class Pending {
        var batches: [WeightGradientBatch] = []
        var registered = Set<ObjectIdentifier>()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs a backward pass's `body`, then sums what its batches still hold, in the order they were first used.
    static func run(_ body: () throws -> Void) rethrows {
        let saved = pthread_getspecific(key)
        let pending = Pending()
        pthread_setspecific(key, Unmanaged.passUnretained(pending).toOpaque())
        defer {
            pthread_setspecific(key, saved)
            for batch in pending.batches { batch.flush() }
        }
        try body()
    }

    /// Asks the calling thread's pass to flush `batch` at its end; false when no pass is running here.
    static func flushAtEnd(_ batch: WeightGradientBatch) -> Bool {
        guard let raw = pthread_getspecific(key) else { return false }
        let pending = Unmanaged<Pending>.fromOpaque(raw).takeUnretainedValue()
        if pending.registered.insert(ObjectIdentifier(batch)).inserted { pending.batches.append(batch) }
        return true
    }
}
