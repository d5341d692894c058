#pragma once
// The micro-kernel contract shared by IntGemm.cpp (packing, blocking, dispatch) and the
// ISA files (IntGemmAvx512.cpp, IntGemmAvx2.cpp, compiled with their own -m flags).
// Only plain data here: no inline functions, so nothing compiled for AVX-512 can be
// merged into code that runs on a plain x86-64 CPU.
#include <cstdint>

namespace tessera::kernels::detail {

// Packed rows are in quads of 4 (each row block padded to a multiple of 4 with zeros).
// Input plane a: vector i's packed rows at a + i * lda (bytes, u8: one byte of x + offset).
// Levels (PackedLevels::group): column panels `panelStride` bytes apart, layout per path:
//   portable:   panel = 1 column,  per quad 4 int8 (the levels of rows 4q..4q+3)
//   avx512vnni: panel = 16 columns, per quad 16 x 4 int8 (column-major within the quad)
//   avx2:       panel = 8 columns,  per quad 8 x (w0, w2) int16 then 8 x (w1, w3) int16
// a and w point at the first quad of the range; a kernel adds (sum over quads [0, nq) of
// a * w) * 2^shift to out[i * ldo + j] for i < m, j < ng (stores it when `store` is set:
// the first chunk of a product, so outputs need no zero fill). Exactness: |a| <= 255, |w| <= 128, nq * 4 <= kMaxChunkRows rows, so every
// int32 partial sum is below 65536 * 255 * 128 = 2,139,095,040 < 2^31 - 1.
constexpr int64_t kMaxChunkRows = 65536;

struct KernelArgs {
    const uint8_t* a = nullptr;
    int64_t lda = 0;
    int64_t m = 0;
    const uint8_t* w = nullptr;
    int64_t panelStride = 0;
    int64_t nq = 0;
    int64_t ng = 0;
    int64_t* out = nullptr;
    int64_t ldo = 0;
    int shift = 0;
    bool store = false;
};

// Columns per panel of each path (a panel's quad is 4 bytes per column for portable, 64 bytes otherwise).
constexpr int64_t kPanelPortable = 1, kPanelAvx2 = 8, kPanelAvx512 = 16;

// The tile loop of the SIMD paths: column panels of `panelWidth`, tiles of up to `maxRows`
// vectors x `maxPanels` panels; tiles[mr - 1][nv - 1] computes an mr x nv tile at (i0, p0).
// A template so that each ISA file instantiates it with its own instruction set.
template <int64_t panelWidth, int64_t maxRows, int64_t maxPanels, class TileTable>
inline void runTiles(const KernelArgs& args, const TileTable& tiles)
{
    const int64_t panels = (args.ng + panelWidth - 1) / panelWidth;
    for (int64_t p0 = 0; p0 < panels; p0 += maxPanels) {
        const int64_t nv = panels - p0 < maxPanels ? panels - p0 : maxPanels;
        for (int64_t i0 = 0; i0 < args.m; i0 += maxRows) {
            const int64_t mr = args.m - i0 < maxRows ? args.m - i0 : maxRows;
            tiles[mr - 1][nv - 1](args, i0, p0);
        }
    }
}

void gemmPortable(const KernelArgs& args);
// Defined only when the compiler can target the ISA (false otherwise; never call then).
bool avx2Compiled();
void gemmAvx2(const KernelArgs& args);
bool avx512VnniCompiled();
void gemmAvx512Vnni(const KernelArgs& args);

} // namespace tessera::kernels::detail
