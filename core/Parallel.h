#pragma once
// A fixed pool of worker threads for the FP32 kernels (GEMM panels, im2col channels,
// depthwise channels). One thread (the default) runs everything on the caller, like the
// single-threaded ORT the benchmarks compare with. Results never depend on the thread
// count: parallelFor hands each index to exactly one chunk, and the kernels that use it
// compute every output element with the same arithmetic whichever chunk owns it.
#include <cstdint>
#include <functional>

namespace tessera {

// Threads the kernels may use (the caller included); 0 = every hardware thread.
void setThreadCount(int count);
int threadCount();

// Splits [begin, end) into at most threadCount() contiguous chunks of at least `grain`
// indices (chunk edges on multiples of `grain` from `begin`) and calls fn(lo, hi) once per
// chunk, the caller running the first. Returns when all are done; rethrows the first
// exception. Nested calls, and calls while another thread uses the pool, run inline.
void parallelFor(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

} // namespace tessera
