// Winograd F(4x4, 3x3) convolution (see Winograd.h). Layouts, for a block of images with T
// output tiles in all (tile t = (image * tileRows + ty) * tileCols + tx):
//   V [36] x [inChannels][T] transformed input tiles, point xi = 6 * k + l, written
//                           straight into each point's PackedRhs (the GEMM's panels)
//   M [64][36][T]           the GEMM products of 64 output channels at a time,
//                           M[.][xi] = U[xi] x V[xi] (C rows 36 T apart), so the inverse
//                           transform of one channel reads one contiguous block
// so each GEMM reads and writes whole rows, and both transforms run along t, 16 tiles per
// vector.
#include "core/ops/Winograd.h"

#include "core/Parallel.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tessera::ops {

namespace {

constexpr int64_t kTile = 4;    // output tile edge
constexpr int64_t kAlpha = 6;   // input tile edge
constexpr int64_t kPoints = 36; // kAlpha * kAlpha
// Tiles per GEMM aimed at: wide enough for the micro-kernel, small enough that V and M of a
// block stay near the L2/L3 boundary.
constexpr int64_t kTargetTiles = 96;

// G (6x3) of F(4x4, 3x3) with interpolation points 0, +-1, +-2 and infinity.
constexpr double kG[kAlpha][3] = {{1.0 / 4, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};

int64_t tileRows(const Geometry& g) { return (g.out[1] + kTile - 1) / kTile; }
int64_t tileCols(const Geometry& g) { return (g.out[2] + kTile - 1) / kTile; }

// out[k] = (B^T d)[k] for the six inputs d0..d5 (B^T rows as in Lavin & Gray, 2016).
#define TESSERA_WINOGRAD_BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5)                                      \
    do {                                                                                                          \
        o0 = 4.0f * (d0) - 5.0f * (d2) + (d4);                                                                    \
        o1 = -4.0f * ((d1) + (d2)) + (d3) + (d4);                                                                 \
        o2 = 4.0f * ((d1) - (d2)) - (d3) + (d4);                                                                  \
        o3 = 2.0f * ((d3) - (d1)) - (d2) + (d4);                                                                  \
        o4 = 2.0f * ((d1) - (d3)) - (d2) + (d4);                                                                  \
        o5 = 4.0f * (d1) - 5.0f * (d3) + (d5);                                                                    \
    } while (0)

// out[j] = (A^T m)[j] for the six inputs m0..m5.
#define TESSERA_WINOGRAD_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                                               \
    do {                                                                                                          \
        const auto s12 = (m1) + (m2), d12 = (m1) - (m2), s34 = (m3) + (m4), d34 = (m3) - (m4);                   \
        o0 = (m0) + s12 + s34;                                                                                    \
        o1 = d12 + 2.0f * d34;                                                                                    \
        o2 = s12 + 4.0f * s34;                                                                                    \
        o3 = d12 + 8.0f * d34 + (m5);                                                                             \
    } while (0)

// Sixteen tiles side by side: every transform runs on one such vector per tile point, so the
// same code serves any plane size (7x7 planes have only two tiles per row). GCC's generic
// vectors compile to AVX-512 with TESSERA_NATIVE and to narrower code elsewhere.
constexpr int64_t kLanes = 16;
static_assert(kLanes == PackedRhs::kWriteRun, "a vector of tiles is one contiguous run of a packed row");
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
// Lanes are returned by value only between functions of this file, so the ABI note GCC gives
// for builds without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

Lanes loadLanes(const float* p, int64_t n)
{
    Lanes v = {};
    if (n == kLanes)
        std::memcpy(&v, p, sizeof v);
    else
        std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
    return v;
}

// Zero-bordered copies of one channel's planes for every image of the block, each
// (tileRows * 4 + 2) x (tileCols * 4 + 2), one after another.
void padChannel(const Geometry& g, const float* x, int64_t count, int64_t imageStride, float* padded)
{
    const int64_t pitch = tileCols(g) * kTile + 2, rows = tileRows(g) * kTile + 2;
    std::fill(padded, padded + count * rows * pitch, 0.0f);
    const int64_t w1 = std::min(g.in[2], pitch - g.pad[2]);
    for (int64_t i = 0; i < count; ++i)
        for (int64_t h = 0; h < g.in[1] && h + g.pad[1] < rows && w1 > 0; ++h) {
            const float* src = x + i * imageStride + h * g.in[2];
            float* dst = padded + (i * rows + h + g.pad[1]) * pitch + g.pad[2];
            for (int64_t w = 0; w < w1; ++w) // rows are short (7, 14): no memmove call
                dst[w] = src[w];
        }
}

// Offset in padChannel's buffer of every tile's top-left input element.
std::vector<int32_t> tileOffsets(const Geometry& g, int64_t count)
{
    const int64_t tr = tileRows(g), tc = tileCols(g), pitch = tc * kTile + 2, rows = tr * kTile + 2;
    std::vector<int32_t> offsets;
    offsets.reserve(static_cast<size_t>(count * tr * tc));
    for (int64_t i = 0; i < count; ++i)
        for (int64_t ty = 0; ty < tr; ++ty)
            for (int64_t tx = 0; tx < tc; ++tx)
                offsets.push_back(static_cast<int32_t>((i * rows + ty * kTile) * pitch + tx * kTile));
    return offsets;
}

#if defined(__AVX512F__)
// r[k][lane] = r[lane][k] for 16 registers of 16 floats. (GCC 12 takes the intrinsics'
// _mm512_undefined_ps() for an uninitialized read here: a false -Wuninitialized.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
void transpose16(__m512* r)
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
    }
}
#pragma GCC diagnostic pop
#endif

// tile[lane][4j + q] = o[4j + q][lane]: the 16 x 16 transpose that turns lanes (tiles) into
// rows (one tile's 16 outputs each).
void transposeLanes(const Lanes* o, float (*tile)[kTile * kTile])
{
#if defined(__AVX512F__)
    __m512 r[16];
    for (int i = 0; i < 16; ++i)
        r[i] = reinterpret_cast<__m512>(o[i]);
    transpose16(r);
    for (int i = 0; i < 16; ++i)
        _mm512_storeu_ps(tile[i], r[i]);
#else
    for (int64_t lane = 0; lane < kLanes; ++lane)
        for (int64_t k = 0; k < kTile * kTile; ++k)
            tile[lane][k] = o[k][lane];
#endif
}

// Each tile's 6x6 input is loaded as six rows of 8 floats (the last two belong to the next
// tile), 16 tiles side by side, and turned into one vector per input element by 16 x 16
// transposes in registers: d[8r + c][lane] = tile lane's element (r, c). Row loads instead
// of AVX-512 gathers, which cost about 28 cycles each here. Lanes past n are zero.
constexpr int64_t kRowLoad = 8;
constexpr int64_t kLoaded = kAlpha * kRowLoad; // 48: three 16 x 16 blocks

void loadTiles(const float* padded, int64_t pitch, const int32_t* offsets, int64_t n, Lanes* d)
{
#if defined(__AVX512F__)
    for (int64_t b = 0; b < kLoaded / kLanes; ++b) { // input rows 2b and 2b + 1
        __m512 r[16];
        for (int64_t lane = 0; lane < kLanes; ++lane) {
            const float* src = padded + offsets[std::min(lane, n - 1)] + 2 * b * pitch;
            const __m512 both = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(src)),
                                                   _mm256_loadu_ps(src + pitch), 1);
            r[lane] = lane < n ? both : _mm512_setzero_ps();
        }
        transpose16(r);
        for (int64_t k = 0; k < kLanes; ++k)
            d[b * kLanes + k] = reinterpret_cast<Lanes>(r[k]);
    }
#else
    for (int64_t e = 0; e < kLoaded; ++e)
        for (int64_t lane = 0; lane < kLanes; ++lane)
            d[e][lane] = lane < n ? padded[offsets[lane] + e / kRowLoad * pitch + e % kRowLoad] : 0.0f;
#endif
}

// (B^T d_t B)[xi] for every tile t of one channel `c`, written straight into each point's
// GEMM right-hand side (row c, column t of points[xi]).
void transformChannel(const float* padded, int64_t pitch, const int32_t* offsets, int64_t tiles, int64_t c,
                      std::vector<PackedRhs>& points)
{
    for (int64_t t0 = 0; t0 < tiles; t0 += kLanes) {
        Lanes d[kLoaded], e[kPoints];
        loadTiles(padded, pitch, offsets + t0, std::min(kLanes, tiles - t0), d);
        for (int64_t c6 = 0; c6 < kAlpha; ++c6) // B^T down each column
            TESSERA_WINOGRAD_BT(d[c6], d[8 + c6], d[16 + c6], d[24 + c6], d[32 + c6], d[40 + c6], e[c6], e[6 + c6],
                                e[12 + c6], e[18 + c6], e[24 + c6], e[30 + c6]);
        for (int64_t k = 0; k < kAlpha; ++k) { // then along each row
            const Lanes* r = e + k * kAlpha;
            Lanes o[kAlpha];
            TESSERA_WINOGRAD_BT(r[0], r[1], r[2], r[3], r[4], r[5], o[0], o[1], o[2], o[3], o[4], o[5]);
            for (int64_t l = 0; l < kAlpha; ++l) // zero lanes past the last tile: padding columns
                std::memcpy(points[static_cast<size_t>(k * kAlpha + l)].at(c, t0), &o[l], sizeof(Lanes));
        }
    }
}

// Where each tile of the block lands in an output channel: its first element's offset and how
// many of its rows and columns lie inside the output.
struct TileTargets {
    std::vector<int32_t> offset;
    std::vector<uint8_t> rows, cols;
};

TileTargets tileTargets(const Geometry& g, int64_t count, int64_t imageStride)
{
    TileTargets targets;
    for (int64_t i = 0; i < count; ++i)
        for (int64_t ty = 0; ty < tileRows(g); ++ty)
            for (int64_t tx = 0; tx < tileCols(g); ++tx) {
                targets.offset.push_back(static_cast<int32_t>(i * imageStride + ty * kTile * g.out[2] + tx * kTile));
                targets.rows.push_back(static_cast<uint8_t>(std::min(kTile, g.out[1] - ty * kTile)));
                targets.cols.push_back(static_cast<uint8_t>(std::min(kTile, g.out[2] - tx * kTile)));
            }
    return targets;
}

// dst[q] = row[q] for q < cols (<= 4): one masked store (GCC turns a loop into rep movsq).
inline void storeRow(float* dst, const float* row, int64_t cols)
{
#if defined(__AVX512VL__)
    _mm_mask_storeu_ps(dst, static_cast<__mmask8>((1u << cols) - 1), _mm_load_ps(row));
#else
    std::memcpy(dst, row, static_cast<size_t>(cols) * sizeof(float));
#endif
}

// One output channel y = A^T M[.][t] A + bias for every tile t of the block, clamped by the
// epilogue, cropped to the output (row pitch `width`).
void inverseChannel(const float* m, int64_t pointStride, int64_t tiles, const TileTargets& targets, int64_t width,
                    float bias, const GemmEpilogue& e, float* y)
{
    Lanes lo, hi;
    for (int64_t lane = 0; lane < kLanes; ++lane)
        lo[lane] = e.lo, hi[lane] = e.hi;
    for (int64_t t0 = 0; t0 < tiles; t0 += kLanes) {
        const int64_t n = std::min(kLanes, tiles - t0);
        Lanes p[kPoints], col[kAlpha][kTile], o[kTile * kTile];
        for (int64_t xi = 0; xi < kPoints; ++xi)
            p[xi] = loadLanes(m + xi * pointStride + t0, n);
        for (int64_t l = 0; l < kAlpha; ++l) // A^T down each column
            TESSERA_WINOGRAD_AT(p[l], p[6 + l], p[12 + l], p[18 + l], p[24 + l], p[30 + l], col[l][0], col[l][1],
                                col[l][2], col[l][3]);
        for (int64_t j = 0; j < kTile; ++j) {
            Lanes* r = o + j * kTile;
            TESSERA_WINOGRAD_AT(col[0][j], col[1][j], col[2][j], col[3][j], col[4][j], col[5][j], r[0], r[1], r[2],
                                r[3]);
        }
        for (Lanes& v : o) {
            v += bias;
            if (e.clamp) // NaN passes, like std::min/max and the GEMM's epilogue
                v = v < lo ? lo : (v > hi ? hi : v);
        }
        alignas(64) float tile[kLanes][kTile * kTile];
        transposeLanes(o, tile);
        for (int64_t lane = 0; lane < n; ++lane) {
            const size_t t = static_cast<size_t>(t0 + lane);
            float* dst = y + targets.offset[t];
            const int64_t cols = targets.cols[t];
            for (int64_t j = 0; j < targets.rows[t]; ++j)
                storeRow(dst + j * width, tile[lane] + j * kTile, cols);
        }
    }
}

} // namespace

bool winogradFits(const Geometry& g, int64_t inChannels, int64_t outChannels, int64_t group)
{
    return group == 1 && g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1 && g.kernel[1] == 3 && g.kernel[2] == 3 &&
           g.stride[1] == 1 && g.stride[2] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1 && g.pad[1] >= 0 &&
           g.pad[2] >= 0 && inChannels >= kWinogradMinChannels && outChannels >= kWinogradMinChannels &&
           inChannels * outChannels >= kWinogradMinChannelProduct;
}

int64_t winogradTilesPerImage(const Geometry& g) { return tileRows(g) * tileCols(g); }

int64_t winogradBlockImages(const Geometry& g)
{
    return std::max<int64_t>(1, kTargetTiles / std::max<int64_t>(1, winogradTilesPerImage(g)));
}

WinogradWeights::WinogradWeights(const float* w, int64_t outChannels, int64_t inChannels)
    : m_out(outChannels), m_in(inChannels), m_u(static_cast<size_t>(kPoints * outChannels * inChannels))
{
    const int64_t plane = outChannels * inChannels;
    for (int64_t m = 0; m < outChannels; ++m)
        for (int64_t c = 0; c < inChannels; ++c) {
            const float* g = w + (m * inChannels + c) * 9;
            double gt[kAlpha][3]; // G g
            for (int64_t k = 0; k < kAlpha; ++k)
                for (int64_t b = 0; b < 3; ++b)
                    gt[k][b] = kG[k][0] * g[b] + kG[k][1] * g[3 + b] + kG[k][2] * g[6 + b];
            for (int64_t k = 0; k < kAlpha; ++k)
                for (int64_t l = 0; l < kAlpha; ++l)
                    m_u[static_cast<size_t>((k * kAlpha + l) * plane + m * inChannels + c)] =
                        static_cast<float>(gt[k][0] * kG[l][0] + gt[k][1] * kG[l][1] + gt[k][2] * kG[l][2]);
        }
    m_points.reserve(static_cast<size_t>(kPoints * chunks()));
    for (int64_t m0 = 0; m0 < outChannels; m0 += WinogradWeights::kOutChunk)
        for (int64_t xi = 0; xi < kPoints; ++xi)
            m_points.emplace_back(false, std::min(WinogradWeights::kOutChunk, outChannels - m0), inChannels,
                                  m_u.data() + xi * plane + m0 * inChannels, inChannels);
}

size_t winogradScratch(const Geometry& g, int64_t /*inChannels*/, int64_t outChannels, int64_t count)
{
    const int64_t tiles = count * winogradTilesPerImage(g);
    return static_cast<size_t>(kPoints * std::min(WinogradWeights::kOutChunk, outChannels) * tiles);
}

void winogradConv(const WinogradWeights& w, const Geometry& g, const float* x, int64_t count, float* y,
                  const GemmEpilogue& epilogue, float* scratch)
{
    const int64_t in = w.inChannels(), out = w.outChannels(), tiles = count * winogradTilesPerImage(g);
    const int64_t pitch = tileCols(g) * kTile + 2, padded = count * (tileRows(g) * kTile + 2) * pitch;
    float* m = scratch;
    const std::vector<int32_t> offsets = tileOffsets(g, count);
    const TileTargets targets = tileTargets(g, count, out * g.outSize());
    // Each point's V, the right-hand side of its products with every chunk of output
    // channels, in storage kept from the last call (fresh pages per block cost as much as the
    // transforms); the input transform writes it in the GEMM's packed layout.
    thread_local std::vector<PackedRhs> kept(kPoints);
    std::vector<PackedRhs>& points = kept; // the caller's, also inside the workers
    for (PackedRhs& point : points)
        point.prepare(in, tiles);
    parallelFor(0, in, 1, [&](int64_t lo, int64_t hi) {
        thread_local std::vector<float> planes;
        planes.resize(static_cast<size_t>(padded + kRowLoad)); // loadTiles reads 2 past a tile's row
        for (int64_t c = lo; c < hi; ++c) {
            padChannel(g, x + c * g.inSize(), count, in * g.inSize(), planes.data());
            transformChannel(planes.data(), pitch, offsets.data(), tiles, c, points);
        }
    });
    for (int64_t m0 = 0, chunk = 0; m0 < out; m0 += WinogradWeights::kOutChunk, ++chunk) {
        const int64_t rows = std::min(WinogradWeights::kOutChunk, out - m0);
        // One thread per point's product (a nested parallelFor inside the GEMM runs inline):
        // one pool dispatch instead of 36 small ones; each product is the same at any count.
        parallelFor(0, kPoints, 1, [&](int64_t lo, int64_t hi) {
            for (int64_t xi = lo; xi < hi; ++xi)
                sgemmPackedBoth(w.point(chunk, xi), points[static_cast<size_t>(xi)], m + xi * tiles, kPoints * tiles);
        });
        parallelFor(0, rows, 1, [&](int64_t lo, int64_t hi) {
            for (int64_t oc = m0 + lo; oc < m0 + hi; ++oc)
                inverseChannel(m + (oc - m0) * kPoints * tiles, tiles, tiles, targets, g.out[2],
                               epilogue.rowBias ? epilogue.rowBias[oc] : 0.0f, epilogue, y + oc * g.outSize());
        });
    }
}

} // namespace tessera::ops
