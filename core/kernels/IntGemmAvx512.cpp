// The AVX-512 VNNI micro-kernel: vpdpbusd multiplies 4 unsigned input bytes by 4 signed
// levels and adds the 4 products to an int32 lane. A tile is MR vectors x NV panels of 16
// columns (6 x 4: 24 accumulators in registers). Compiled with -mavx512vnni (core/CMakeLists.txt)
// and called only when the CPU has it; no standard headers, so no inline function compiled
// here can replace a generic one elsewhere.
#include "core/kernels/IntGemmKernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>

namespace tessera::kernels::detail {

namespace {

constexpr int kMr = 6, kNv = 4;

// acc += dot4(a, w) per lane. Inline asm: GCC 12 routes the intrinsic's tied accumulator
// through a scratch register (two extra moves per vpdpbusd, half the speed of this form).
inline void dpbusd(__m512i& acc, __m512i a, __m512i w) { asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w)); }

// out[0..cols) += acc * 2^shift (= when store), widened to int64 (cols <= 16).
inline void addWidened(int64_t* out, __m512i acc, int cols, __m512i shift, bool store)
{
    const __mmask8 mlo = cols >= 8 ? 0xFF : static_cast<__mmask8>((1u << cols) - 1);
    const __mmask8 mhi = cols >= 16 ? 0xFF : (cols <= 8 ? 0 : static_cast<__mmask8>((1u << (cols - 8)) - 1));
    const __m512i lo = _mm512_sllv_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)), shift);
    const __m512i hi = _mm512_sllv_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1)), shift);
    if (store) {
        _mm512_mask_storeu_epi64(out, mlo, lo);
        _mm512_mask_storeu_epi64(out + 8, mhi, hi);
        return;
    }
    _mm512_mask_storeu_epi64(out, mlo, _mm512_add_epi64(_mm512_maskz_loadu_epi64(mlo, out), lo));
    _mm512_mask_storeu_epi64(out + 8, mhi, _mm512_add_epi64(_mm512_maskz_loadu_epi64(mhi, out + 8), hi));
}

template <int MR, int NV>
void tile(const KernelArgs& k, int64_t i0, int64_t panel0)
{
    __m512i acc[MR][NV];
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
            acc[r][v] = _mm512_setzero_si512();
    const uint8_t* a = k.a + i0 * k.lda;
    const uint8_t* w = k.w + panel0 * k.panelStride;
    const int64_t nq = k.nq, lda = k.lda, ps = k.panelStride; // locals: the asm could alias k
    for (int64_t q = 0; q < nq; ++q) {
        __m512i wv[NV];
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
            wv[v] = _mm512_loadu_si512(w + v * ps + q * 64);
        #pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            int32_t quad;
            __builtin_memcpy(&quad, a + r * lda + q * 4, 4);
            const __m512i av = _mm512_set1_epi32(quad);
            #pragma GCC unroll 8
            for (int v = 0; v < NV; ++v)
                dpbusd(acc[r][v], av, wv[v]);
        }
    }
    const __m512i shift = _mm512_set1_epi64(k.shift);
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
            const int64_t col0 = (panel0 + v) * 16;
            const int64_t cols = k.ng - col0 < 16 ? k.ng - col0 : 16;
            addWidened(k.out + (i0 + r) * k.ldo + col0, acc[r][v], static_cast<int>(cols), shift, k.store);
        }
}

using TileFn = void (*)(const KernelArgs&, int64_t, int64_t);
template <int MR>
constexpr TileFn kRow[kNv] = {tile<MR, 1>, tile<MR, 2>, tile<MR, 3>, tile<MR, 4>};
constexpr const TileFn* kTiles[kMr] = {kRow<1>, kRow<2>, kRow<3>, kRow<4>, kRow<5>, kRow<6>};

} // namespace

bool avx512VnniCompiled() { return true; }

void gemmAvx512Vnni(const KernelArgs& args) { runTiles<16, kMr, kNv>(args, kTiles); }

} // namespace tessera::kernels::detail

#else

namespace tessera::kernels::detail {
bool avx512VnniCompiled() { return false; }
void gemmAvx512Vnni(const KernelArgs&) {}
} // namespace tessera::kernels::detail

#endif
