#include "core/ops/Gemm.h"

#include "core/Parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>
#include <memory>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tessera::ops {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class MatA, class MatB>
void multiplyInto(MutMap& c, const MatA& a, const MatB& b, float alpha, float beta)
{
    if (beta == 0.0f) {
        if (alpha == 1.0f)
            c.noalias() = a * b;
        else
            c.noalias() = alpha * (a * b);
        return;
    }
    if (beta != 1.0f)
        c *= beta;
    if (alpha == 1.0f)
        c.noalias() += a * b;
    else
        c.noalias() += alpha * (a * b);
}

void eigenGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
    ConstMap am(a, transA ? k : m, transA ? m : k, Eigen::OuterStride<>(lda));
    ConstMap bm(b, transB ? n : k, transB ? k : n, Eigen::OuterStride<>(ldb));
    if (!transA && !transB)
        multiplyInto(cm, am, bm, alpha, beta);
    else if (transA && !transB)
        multiplyInto(cm, am.transpose(), bm, alpha, beta);
    else if (!transA && transB)
        multiplyInto(cm, am, bm.transpose(), alpha, beta);
    else
        multiplyInto(cm, am.transpose(), bm.transpose(), alpha, beta);
}

// The epilogue as a separate pass (the Eigen path, and products with k == 0).
void applyEpilogue(const GemmEpilogue& e, int64_t m, int64_t n, float* c, int64_t ldc)
{
    if (!e.rowBias && !e.clamp)
        return;
    for (int64_t i = 0; i < m; ++i) {
        float* row = c + i * ldc;
        const float bias = e.rowBias ? e.rowBias[i] : 0.0f;
        for (int64_t j = 0; j < n; ++j) {
            float v = e.rowBias ? row[j] + bias : row[j];
            row[j] = e.clamp ? std::min(std::max(v, e.lo), e.hi) : v;
        }
    }
}

#if defined(__AVX512F__)
// A GotoBLAS-style blocked GEMM with an 8 x 48 AVX-512 micro-kernel. Eigen reaches about
// 70% of what ONNX Runtime's MLAS does on the benchmark convs; packing both operands into
// panels and keeping 24 accumulators in registers closes most of that gap.
constexpr int64_t kMr = 8;   // rows of A per micro-panel
constexpr int64_t kNr = 48;  // columns of B per micro-panel (3 vectors of 16)
constexpr int64_t kKc = 256; // depth of one packed block
constexpr int64_t kMc = 128; // rows of A packed at once (L2)
constexpr int64_t kNc = 1536; // columns of B packed at once

struct AlignedBuffer {
    std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
    size_t size = 0;
    float* get(size_t count)
    {
        if (count > size) {
            size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
            data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
            if (!data)
                throw std::bad_alloc();
            size = count;
        }
        return data.get();
    }
};

// op(A) rows [i0, i0+mc) x depth [p0, p0+kc) into panels of kMr rows: panel[k * kMr + i].
void packA(bool trans, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out)
{
    for (int64_t q = 0; q < mc; q += kMr) {
        const int64_t rows = std::min(kMr, mc - q);
        float* panel = out + q * kc;
        for (int64_t kk = 0; kk < kc; ++kk) {
            float* dst = panel + kk * kMr;
            for (int64_t i = 0; i < rows; ++i) {
                const int64_t r = i0 + q + i, d = p0 + kk;
                dst[i] = trans ? a[d * lda + r] : a[r * lda + d];
            }
            for (int64_t i = rows; i < kMr; ++i)
                dst[i] = 0.0f;
        }
    }
}

// op(B) depth [p0, p0+kc) x columns [j0, j0+nc) into panels of kNr columns: panel[k * kNr + j].
void packB(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out)
{
    for (int64_t q = 0; q < nc; q += kNr) {
        const int64_t cols = std::min(kNr, nc - q);
        float* panel = out + q * kc;
        for (int64_t kk = 0; kk < kc; ++kk) {
            float* dst = panel + kk * kNr;
            if (!trans) {
                const float* src = b + (p0 + kk) * ldb + j0 + q;
                std::copy(src, src + cols, dst);
            } else {
                for (int64_t j = 0; j < cols; ++j)
                    dst[j] = b[(j0 + q + j) * ldb + p0 + kk];
            }
            std::fill(dst + cols, dst + kNr, 0.0f);
        }
    }
}

// packB for a B given by rows.
void packBRows(const RhsRows& rows, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out)
{
    for (int64_t q = 0; q < nc; q += kNr) {
        const int64_t cols = std::min(kNr, nc - q);
        float* panel = out + q * kc;
        rows.fill(rows.context, p0, kc, j0 + q, cols, panel, kNr);
        if (cols < kNr)
            for (int64_t kk = 0; kk < kc; ++kk)
                std::fill(panel + kk * kNr + cols, panel + (kk + 1) * kNr, 0.0f);
    }
}

// C tile [rows x cols] (rows <= 8, cols <= 16 * kVectors) = alpha * A_panel * B_panel
// + beta * C (beta == 0: C is not read). `last` (the final depth block) adds `bias`
// (one value per row, may be null) and clamps to [lo, hi] when `clamp`.
template <int kVectors>
void microKernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t rows, int64_t cols,
                 float alpha, float beta, const GemmEpilogue* last)
{
    __m512 acc[kMr][kVectors];
#pragma GCC unroll 8
    for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 3
        for (int v = 0; v < kVectors; ++v)
            acc[i][v] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k) {
        __m512 bv[kVectors];
#pragma GCC unroll 3
        for (int v = 0; v < kVectors; ++v)
            bv[v] = _mm512_load_ps(b + v * 16);
#pragma GCC unroll 8
        for (int i = 0; i < kMr; ++i) {
            const __m512 av = _mm512_set1_ps(a[i]);
#pragma GCC unroll 3
            for (int v = 0; v < kVectors; ++v)
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
        a += kMr;
        b += kNr;
    }
    const __m512 alphaV = _mm512_set1_ps(alpha), betaV = _mm512_set1_ps(beta);
    const bool clamp = last && last->clamp;
    const __m512 lo = _mm512_set1_ps(clamp ? last->lo : 0.0f), hi = _mm512_set1_ps(clamp ? last->hi : 0.0f);
    for (int64_t i = 0; i < rows; ++i) {
        const bool biased = last && last->rowBias;
        const __m512 bias = _mm512_set1_ps(biased ? last->rowBias[i] : 0.0f);
        for (int v = 0; v < kVectors; ++v) {
            const int64_t left = cols - v * 16;
            if (left <= 0)
                break;
            const __mmask16 mask = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
            float* p = c + i * ldc + v * 16;
            __m512 r = _mm512_mul_ps(alphaV, acc[i][v]);
            if (beta != 0.0f)
                r = _mm512_fmadd_ps(betaV, _mm512_maskz_loadu_ps(mask, p), r);
            if (biased)
                r = _mm512_add_ps(r, bias);
            if (clamp)
                r = _mm512_min_ps(hi, _mm512_max_ps(lo, r)); // NaN passes, like std::min/max
            _mm512_mask_storeu_ps(p, mask, r);
        }
    }
}

// Offset of the packed A block for depth block `pc` and row block `ic` in a PackedLhs.
int64_t lhsBlockOffset(int64_t m, int64_t pc, int64_t ic)
{
    const int64_t rowBlocks = (m + kMc - 1) / kMc;
    return ((pc / kKc) * rowBlocks + ic / kMc) * kMc * kKc;
}

// The operands of one product, and the part [rows) x [cols) of C that a call computes.
struct GemmJob {
    bool transA = false, transB = false;
    int64_t m = 0, n = 0, k = 0;
    float alpha = 1, beta = 0;
    const float* a = nullptr;
    const float* b = nullptr;
    float* c = nullptr;
    int64_t lda = 0, ldb = 0, ldc = 0;
    const float* prepacked = nullptr; // every A block in lhsBlockOffset order, or null
    GemmEpilogue epilogue;
    const RhsRows* rows = nullptr; // B by rows instead of b
    const float* prepackedB = nullptr; // every B panel in rhsPanelOffset order, or null
};

GemmJob makeJob(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    GemmJob job;
    job.transA = transA, job.transB = transB, job.m = m, job.n = n, job.k = k, job.alpha = alpha, job.beta = beta;
    job.a = a, job.b = b, job.c = c, job.lda = lda, job.ldb = ldb, job.ldc = ldc;
    return job;
}

// Offset of B's panels for depth block `pc` from column `jc` (a multiple of kNr) in a
// PackedRhs: depth blocks one after another, each all columns in panels of kNr.
int64_t rhsPanelOffset(int64_t n, int64_t k, int64_t pc, int64_t jc)
{
    const int64_t width = (n + kNr - 1) / kNr * kNr;
    return pc * width + jc * std::min(kKc, k - pc);
}

void runTile(const GemmJob& job, const float* aPanel, const float* bPanel, float* cTile, int64_t kc, int64_t rows,
             int64_t cols, float beta, const GemmEpilogue* last)
{
    if (cols > 32)
        microKernel<3>(kc, aPanel, bPanel, cTile, job.ldc, rows, cols, job.alpha, beta, last);
    else if (cols > 16)
        microKernel<2>(kc, aPanel, bPanel, cTile, job.ldc, rows, cols, job.alpha, beta, last);
    else
        microKernel<1>(kc, aPanel, bPanel, cTile, job.ldc, rows, cols, job.alpha, beta, last);
}

// Rows [r0, r1) x columns [c0, c1) of C. With a prepacked A, r0 is a multiple of kMc.
void blockedGemm(const GemmJob& job, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    thread_local AlignedBuffer bufferA, bufferB;
    float* packedA = bufferA.get(static_cast<size_t>(kMc * kKc));
    float* packedB = bufferB.get(static_cast<size_t>((kNc + kNr) * kKc));
    const bool epilogue = job.epilogue.rowBias || job.epilogue.clamp;
    for (int64_t jc = c0; jc < c1; jc += kNc) {
        const int64_t nc = std::min(kNc, c1 - jc);
        for (int64_t pc = 0; pc < job.k; pc += kKc) {
            const int64_t kc = std::min(kKc, job.k - pc);
            const float* bBlock = packedB;
            if (job.prepackedB)
                bBlock = job.prepackedB + rhsPanelOffset(job.n, job.k, pc, jc);
            else if (job.rows)
                packBRows(*job.rows, pc, kc, jc, nc, packedB);
            else
                packB(job.transB, job.b, job.ldb, pc, kc, jc, nc, packedB);
            const float betaBlock = pc == 0 ? job.beta : 1.0f; // later depth blocks accumulate
            const bool lastBlock = epilogue && pc + kc == job.k;
            for (int64_t ic = r0; ic < r1; ic += kMc) {
                const int64_t mc = std::min(kMc, r1 - ic);
                const float* aBlock = packedA;
                if (job.prepacked)
                    aBlock = job.prepacked + lhsBlockOffset(job.m, pc, ic);
                else
                    packA(job.transA, job.a, job.lda, ic, mc, pc, kc, packedA);
                for (int64_t jr = 0; jr < nc; jr += kNr)
                    for (int64_t ir = 0; ir < mc; ir += kMr) {
                        GemmEpilogue rowEpilogue = job.epilogue;
                        if (rowEpilogue.rowBias)
                            rowEpilogue.rowBias += ic + ir;
                        runTile(job, aBlock + ir * kc, bBlock + jr * kc, job.c + (ic + ir) * job.ldc + jc + jr, kc,
                                std::min(kMr, mc - ir), std::min(kNr, nc - jr), betaBlock,
                                lastBlock ? &rowEpilogue : nullptr);
                    }
            }
        }
    }
}

// Below this many multiply-adds a product runs on one thread (waking workers costs more).
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// Splits C over the thread pool: column panels when there are enough columns, else row
// blocks. Each element is computed by one thread with the same arithmetic as alone.
void parallelGemm(const GemmJob& job)
{
    const int64_t threads = threadCount();
    if (threads == 1 || job.m * job.n * job.k < kParallelMacs)
        return blockedGemm(job, 0, job.m, 0, job.n);
    if (job.n >= 2 * threads * kNr || job.m <= kMc)
        return parallelFor(0, job.n, kNr, [&](int64_t lo, int64_t hi) { blockedGemm(job, 0, job.m, lo, hi); });
    parallelFor(0, job.m, kMc, [&](int64_t lo, int64_t hi) { blockedGemm(job, lo, hi, 0, job.n); });
}
#endif

} // namespace

void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) { // empty sum: only the beta * C term is left
        MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
        if (beta == 0.0f)
            cm.setZero();
        else
            cm *= beta;
        return;
    }
#if defined(__AVX512F__)
    // No matrix-vector shortcut for m == 1: every row of C is computed the same way at any
    // M, so a sample's outputs do not depend on the batch it runs in (tests rely on it).
    parallelGemm(makeJob(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
#else
    eigenGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

PackedLhs::PackedLhs(bool transA, int64_t m, int64_t k, const float* a, int64_t lda)
    : m_trans(transA), m_m(m), m_k(k), m_lda(lda), m_a(a)
{
#if defined(__AVX512F__)
    if (m == 0 || k == 0)
        return;
    m_panels.resize(static_cast<size_t>(lhsBlockOffset(m, ((k - 1) / kKc) * kKc, ((m - 1) / kMc) * kMc) + kMc * kKc));
    for (int64_t pc = 0; pc < k; pc += kKc)
        for (int64_t ic = 0; ic < m; ic += kMc)
            packA(transA, a, lda, ic, std::min(kMc, m - ic), pc, std::min(kKc, k - pc),
                  m_panels.data() + lhsBlockOffset(m, pc, ic));
#endif
}

void sgemmPacked(const PackedLhs& a, int64_t n, float alpha, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc)
{
    sgemmPacked(a, n, alpha, b, ldb, beta, c, ldc, GemmEpilogue{});
}

void sgemmPacked(const PackedLhs& a, int64_t n, float alpha, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc, const GemmEpilogue& epilogue)
{
#if defined(__AVX512F__)
    if (!a.m_panels.empty() && n > 0) {
        GemmJob job = makeJob(a.m_trans, false, a.m_m, n, a.m_k, alpha, a.m_a, a.m_lda, b, ldb, beta, c, ldc);
        job.prepacked = a.m_panels.data();
        job.epilogue = epilogue;
        return parallelGemm(job);
    }
#endif
    sgemm(a.m_trans, false, a.m_m, n, a.m_k, alpha, a.m_a, a.m_lda, b, ldb, beta, c, ldc);
    applyEpilogue(epilogue, a.m_m, n, c, ldc);
}

void sgemmPackedRows(const PackedLhs& a, int64_t n, const RhsRows& b, float* c, int64_t ldc,
                     const GemmEpilogue& epilogue)
{
#if defined(__AVX512F__)
    if (!a.m_panels.empty() && n > 0) {
        GemmJob job = makeJob(a.m_trans, false, a.m_m, n, a.m_k, 1.0f, a.m_a, a.m_lda, nullptr, 0, 0.0f, c, ldc);
        job.prepacked = a.m_panels.data();
        job.epilogue = epilogue;
        job.rows = &b;
        return parallelGemm(job);
    }
#endif
    std::vector<float> matrix(static_cast<size_t>(a.m_k * n)); // without the packed kernel: B in full
    b.fill(b.context, 0, a.m_k, 0, n, matrix.data(), n);
    sgemmPacked(a, n, 1.0f, matrix.data(), n, 0.0f, c, ldc, epilogue);
}

PackedRhs::PackedRhs(bool transB, int64_t k, int64_t n, const float* b, int64_t ldb) { pack(transB, k, n, b, ldb); }

void PackedRhs::pack(bool transB, int64_t k, int64_t n, const float* b, int64_t ldb)
{
    m_trans = transB, m_k = k, m_n = n, m_ldb = ldb, m_b = b;
#if defined(__AVX512F__)
    if (n == 0 || k == 0) {
        m_storage.clear();
        return;
    }
    // The micro-kernel's aligned loads need 64-byte aligned panels. A repack keeps the
    // storage; packB writes every panel element.
    m_storage.resize(static_cast<size_t>(k * ((n + kNr - 1) / kNr * kNr)) + 16);
    m_offset = (64 - reinterpret_cast<uintptr_t>(m_storage.data()) % 64) % 64 / sizeof(float);
    for (int64_t pc = 0; pc < k; pc += kKc)
        for (int64_t jc = 0; jc < n; jc += kNc)
            packB(transB, b, ldb, pc, std::min(kKc, k - pc), jc, std::min(kNc, n - jc),
                  m_storage.data() + m_offset + rhsPanelOffset(n, k, pc, jc));
#endif
}

void PackedRhs::prepare(int64_t k, int64_t n)
{
    m_trans = false, m_k = k, m_n = n;
#if defined(__AVX512F__)
    // Panels of kNr (3 x kWriteRun) columns, as PackedRhs::pack lays them out.
    m_storage.resize(static_cast<size_t>(k * ((n + kNr - 1) / kNr * kNr)) + 16);
    m_offset = (64 - reinterpret_cast<uintptr_t>(m_storage.data()) % 64) % 64 / sizeof(float);
    m_b = nullptr;
#else
    // A row-major matrix with rows padded to kWriteRun, read by the Eigen GEMM.
    m_ldb = (n + kWriteRun - 1) / kWriteRun * kWriteRun;
    m_storage.resize(static_cast<size_t>(k * m_ldb));
    m_offset = 0;
    m_b = m_storage.data();
#endif
}

float* PackedRhs::at(int64_t row, int64_t col)
{
#if defined(__AVX512F__)
    const int64_t pc = row / kKc * kKc, jc = col / kNr * kNr;
    return m_storage.data() + m_offset + rhsPanelOffset(m_n, m_k, pc, jc) + (row - pc) * kNr + (col - jc);
#else
    return m_storage.data() + row * m_ldb + col;
#endif
}

void sgemmPackedRhs(bool transA, int64_t m, float alpha, const float* a, int64_t lda, const PackedRhs& b, float beta,
                    float* c, int64_t ldc)
{
#if defined(__AVX512F__)
    if (!b.m_storage.empty()) {
        GemmJob job = makeJob(transA, b.m_trans, m, b.m_n, b.m_k, alpha, a, lda, b.m_b, b.m_ldb, beta, c, ldc);
        job.prepackedB = b.panels();
        return parallelGemm(job);
    }
#endif
    sgemm(transA, b.m_trans, m, b.m_n, b.m_k, alpha, a, lda, b.m_b, b.m_ldb, beta, c, ldc);
}

void sgemmPackedBoth(const PackedLhs& a, const PackedRhs& b, float* c, int64_t ldc)
{
#if defined(__AVX512F__)
    if (!a.m_panels.empty() && !b.m_storage.empty()) {
        GemmJob job = makeJob(a.m_trans, b.m_trans, a.m_m, b.m_n, a.m_k, 1.0f, a.m_a, a.m_lda, b.m_b, b.m_ldb, 0.0f,
                              c, ldc);
        job.prepacked = a.m_panels.data();
        job.prepackedB = b.panels();
        return parallelGemm(job);
    }
#endif
    sgemm(a.m_trans, b.m_trans, a.m_m, b.m_n, a.m_k, 1.0f, a.m_a, a.m_lda, b.m_b, b.m_ldb, 0.0f, c, ldc);
}

void sgemmReference(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    if (m == 0 || n == 0 || k == 0)
        return sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    eigenGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace tessera::ops
