// The AVX2 micro-kernel. vpmaddubsw (u8 x s8 -> int16 pairs) would saturate (2 x 255 x 127
// > 32767), so the bytes are widened instead: a broadcast quad (u0 u1 u2 u3) becomes the
// int16 pairs (u0, u2) and (u1, u3); levels are packed as the matching int16 pairs
// (w0, w2) and (w1, w3); vpmaddwd gives exact int32 sums. A tile is MR vectors x NV panels
// of 8 columns (4 x 2: 8 accumulators). Compiled with -mavx2 (core/CMakeLists.txt), called
// only when the CPU has AVX2; no standard headers (see IntGemmKernels.h).
#include "core/kernels/IntGemmKernels.h"

#if defined(__AVX2__)
#include <immintrin.h>

namespace tessera::kernels::detail {

namespace {

constexpr int kMr = 4, kNv = 2;

template <int MR, int NV>
void tile(const KernelArgs& k, int64_t i0, int64_t panel0)
{
    __m256i acc[MR][NV];
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
            acc[r][v] = _mm256_setzero_si256();
    const uint8_t* a = k.a + i0 * k.lda;
    const uint8_t* w = k.w + panel0 * k.panelStride;
    const __m256i lowBytes = _mm256_set1_epi16(0x00FF);
    const int64_t nq = k.nq, lda = k.lda, ps = k.panelStride;
    for (int64_t q = 0; q < nq; ++q) {
        __m256i even[NV], odd[NV];
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
            even[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + v * ps + q * 64));
            odd[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + v * ps + q * 64 + 32));
        }
        #pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            int32_t quad;
            __builtin_memcpy(&quad, a + r * lda + q * 4, 4);
            const __m256i av = _mm256_set1_epi32(quad);
            const __m256i ae = _mm256_and_si256(av, lowBytes); // (u0, u2) per lane
            const __m256i ao = _mm256_srli_epi16(av, 8);       // (u1, u3)
            #pragma GCC unroll 8
            for (int v = 0; v < NV; ++v)
                acc[r][v] = _mm256_add_epi32(
                    acc[r][v], _mm256_add_epi32(_mm256_madd_epi16(ae, even[v]), _mm256_madd_epi16(ao, odd[v])));
        }
    }
    const int64_t mul = int64_t{1} << k.shift;
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
            alignas(32) int32_t sums[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(sums), acc[r][v]);
            const int64_t col0 = (panel0 + v) * 8;
            int64_t* out = k.out + (i0 + r) * k.ldo + col0;
            for (int64_t c = 0; c < 8 && col0 + c < k.ng; ++c)
                out[c] = (k.store ? 0 : out[c]) + static_cast<int64_t>(sums[c]) * mul;
        }
}

using TileFn = void (*)(const KernelArgs&, int64_t, int64_t);
template <int MR>
constexpr TileFn kRow[kNv] = {tile<MR, 1>, tile<MR, 2>};
constexpr const TileFn* kTiles[kMr] = {kRow<1>, kRow<2>, kRow<3>, kRow<4>};

} // namespace

bool avx2Compiled() { return true; }

void gemmAvx2(const KernelArgs& args) { runTiles<8, kMr, kNv>(args, kTiles); }

} // namespace tessera::kernels::detail

#else

namespace tessera::kernels::detail {
bool avx2Compiled() { return false; }
void gemmAvx2(const KernelArgs&) {}
} // namespace tessera::kernels::detail

#endif
