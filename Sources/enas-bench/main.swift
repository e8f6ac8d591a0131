import ENASCore
import Foundation
for size in [(512,512,512),(1024,1024,1024),(32,512,512),(1120,256,10000)] {
  let (m,n,k) = size
  var rng = RandomSource(seed: 1)
  let a = (0..<m*k).map{_ in rng.normal()}, b = (0..<k*n).map{_ in rng.normal()}
  var c = [Float](repeating: 0, count: m*n)
  for threads in [1,2] {
    Parallel.threadCount = threads
    var best = 1e9
    for _ in 0..<5 {
      let t0 = Date()
      a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
        gemm(transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n) }}}
      best = min(best, Date().timeIntervalSince(t0))
    }
    print(m,n,k,threads, String(format: "%.1f GFLOP/s", 2.0*Double(m*n*k)/best/1e9))
  }
}
