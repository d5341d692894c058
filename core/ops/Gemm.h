#pragma once
// Single-precision matrix multiply for the FP32 reference kernels (Conv, ConvTranspose,
// Gemm, MatMul). Built with AVX-512 (TESSERA_NATIVE on such a machine) it is a packed,
// blocked GEMM with an AVX-512 micro-kernel; otherwise Eigen's GEMM. Single-threaded by
// design: the executor is an oracle, benchmarks compare it with single-threaded ORT.
#include <cstdint>

namespace tessera::ops {

// Row-major C[M x N] = alpha * op(A) * op(B) + beta * C, where op(A) is M x K (A stored
// K x M when transA) and op(B) is K x N (B stored N x K when transB). lda/ldb/ldc are
// the row strides of the stored matrices. beta == 0 ignores C's old contents (NaN too).
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The same contract computed by Eigen alone: an independent implementation that tests
// compare sgemm against.
void sgemmReference(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

} // namespace tessera::ops
