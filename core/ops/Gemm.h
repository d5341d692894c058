#pragma once
// Single-precision matrix multiply for the FP32 reference kernels (Conv, ConvTranspose,
// Gemm, MatMul). Built with AVX-512 (TESSERA_NATIVE on such a machine) it is a packed,
// blocked GEMM with an AVX-512 micro-kernel; otherwise Eigen's GEMM. The packed GEMM splits
// C over core/Parallel.h's threads (one by default); every element is computed by one
// thread in the same order, so results are identical for any thread count.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::ops {

// Row-major C[M x N] = alpha * op(A) * op(B) + beta * C, where op(A) is M x K (A stored
// K x M when transA) and op(B) is K x N (B stored N x K when transB). lda/ldb/ldc are
// the row strides of the stored matrices. beta == 0 ignores C's old contents (NaN too).
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Work folded into the last store of each C element (conv bias and fused ReLU / Clip):
// C[i][j] = clamp(alpha * sum + beta * C[i][j] + rowBias[i], lo, hi). The bias is added
// after the whole sum, like a separate pass would, so results do not change.
struct GemmEpilogue {
    const float* rowBias = nullptr; // one value per row of C, or null
    bool clamp = false;
    float lo = 0.0f, hi = 0.0f;
};

// B given by a function instead of a matrix (an implicit im2col): fill(context, row, rows,
// col, count, dst, dstStride) writes B[row + r][col + j] to dst[r * dstStride + j] for
// r < rows, j < count. The packed GEMM calls it for each panel it packs, so B is never
// stored whole.
struct RhsRows {
    void (*fill)(const void* context, int64_t row, int64_t rows, int64_t col, int64_t count, float* dst,
                 int64_t dstStride) = nullptr;
    const void* context = nullptr;
};

// op(A) packed once for many sgemm calls with the same A (a conv's weights over blocks of
// images). Keeps a pointer to A: A must outlive it and stay unchanged.
class PackedLhs {
public:
    PackedLhs(bool transA, int64_t m, int64_t k, const float* a, int64_t lda);
    int64_t rows() const { return m_m; }
    int64_t depth() const { return m_k; }

private:
    friend void sgemmPacked(const PackedLhs&, int64_t, float, const float*, int64_t, float, float*, int64_t,
                            const GemmEpilogue&);
    friend void sgemmPackedRows(const PackedLhs&, int64_t, const RhsRows&, float*, int64_t, const GemmEpilogue&);
    friend void sgemmPackedBoth(const PackedLhs&, const class PackedRhs&, float*, int64_t);
    bool m_trans;
    int64_t m_m, m_k, m_lda;
    const float* m_a;
    std::vector<float> m_panels; // empty without the packed AVX-512 kernel
};

// sgemm(transA, false, ...) with a pre-packed A (B not transposed).
void sgemmPacked(const PackedLhs& a, int64_t n, float alpha, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);
// The same, with `epilogue` applied to every element of C.
void sgemmPacked(const PackedLhs& a, int64_t n, float alpha, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const GemmEpilogue& epilogue);

// C[M x n] = op(A) * B (+ epilogue), B [K x n] given by `b`.
void sgemmPackedRows(const PackedLhs& a, int64_t n, const RhsRows& b, float* c, int64_t ldc,
                     const GemmEpilogue& epilogue);

// op(B) packed once for many sgemm calls with the same B: Gemm/MatMul weights, and a conv's
// weights as the right-hand side when its output is only a few columns wide (7x7 at batch 1),
// computed transposed.
// Keeps a pointer to B: B must outlive it and stay unchanged.
class PackedRhs {
public:
    PackedRhs(bool transB, int64_t k, int64_t n, const float* b, int64_t ldb);
    PackedRhs() = default;
    // Packs another B into this one, reusing its storage (no new pages per call).
    void pack(bool transB, int64_t k, int64_t n, const float* b, int64_t ldb);
    int64_t depth() const { return m_k; }
    int64_t cols() const { return m_n; }
    // Lets a producer write B (not transposed) straight into the packed layout instead of
    // packing a matrix: prepare(k, n) sizes the storage (kept from earlier calls), then
    // at(row, col) is where B[row][col] goes. For col a multiple of kWriteRun, the
    // kWriteRun elements B[row][col .. col + kWriteRun) follow contiguously from there, also
    // past n (padding columns, which the kernels read but never store).
    static constexpr int64_t kWriteRun = 16;
    void prepare(int64_t k, int64_t n);
    float* at(int64_t row, int64_t col);

private:
    friend void sgemmPackedRhs(bool, int64_t, float, const float*, int64_t, const PackedRhs&, float, float*, int64_t);
    friend void sgemmPackedBoth(const PackedLhs&, const PackedRhs&, float*, int64_t);
    bool m_trans = false;
    int64_t m_k = 0, m_n = 0, m_ldb = 0;
    const float* m_b = nullptr;
    std::vector<float> m_storage; // empty without the packed AVX-512 kernel
    size_t m_offset = 0;          // of the 64-byte aligned panels in m_storage
    const float* panels() const { return m_storage.data() + m_offset; }
};

// sgemm(transA, transB, ...) with a pre-packed op(B).
void sgemmPackedRhs(bool transA, int64_t m, float alpha, const float* a, int64_t lda, const PackedRhs& b, float beta,
                    float* c, int64_t ldc);

// C[M x N] = A * B with both operands pre-packed (A.depth() == B.depth()): Winograd's
// per-point products, whose B feeds several blocks of A's rows.
void sgemmPackedBoth(const PackedLhs& a, const PackedRhs& b, float* c, int64_t ldc);

// The same contract computed by Eigen alone: an independent implementation that tests
// compare sgemm against.
void sgemmReference(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

} // namespace tessera::ops
