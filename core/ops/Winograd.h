#pragma once
// Winograd F(4x4, 3x3) convolution for the FP32 Conv kernel (core/ops/ConvOps.cpp): 2-D,
// 3x3 kernel, stride 1, dilation 1, one group, any pads. Each 6x6 input tile d and each
// 3x3 filter g are transformed (V = B^T d B, U = G g G^T); the 36 points of the tile then
// multiply independently, one packed GEMM per point over all channels and tiles
// (M[xi] = U[xi] x V[xi], sgemmPackedBoth); Y's 4x4 tile is A^T M A, with bias and the
// fused activation applied in that store. 36 multiplies per 16 outputs instead of 144.
//
// Numerics: the same sum in another basis, so results differ from the direct convolution
// by float rounding only, but more of it than a direct dot product: the transforms scale by
// up to 10 (B^T rows), 1/4..1/24 (G, done in double and rounded once) and 8 (A^T), and the
// products cancel again. With S the sum over an output's taps of |w| * |x| (plus |bias|),
// tests/core/test_winograd.cpp checks |y - exact| <= 1e-5 * S + 1e-6 against a
// double-precision direct convolution; the worst seen is about 1e-6 * S (6.5e-4 on outputs
// near 65 from 256 channels of inputs and weights in [-1, 1]; a direct FP32 dot product is
// about 1e-7 * S). Every output is computed by one thread with the same arithmetic, so
// results are identical for any thread count.
#include "core/ops/Gemm.h"
#include "core/ops/Im2col.h"

#include <cstdint>
#include <vector>

namespace tessera::ops {

// The rule ConvOps.cpp chooses Winograd by: a 2-D 3x3 stride-1 dilation-1 window, one
// group, at least kWinogradMinChannels input and output channels and inChannels x
// outChannels >= kWinogradMinChannelProduct (the transforms cost per channel what the GEMM
// saves per channel pair), and at least kWinogradMinTiles 4x4 output tiles per GEMM
// (`tiles`, summed over the images of one block; 7x7 at batch 1 has 4 and stays on the
// transposed direct path). Measured per layer on this machine (docs/benchmarks.md,
// `tessera-bench --profile-nodes`, CPU time, alternating binaries). Round 1 (gathers): 128->256
// at 7x7 1.4-1.5x faster than direct, 128x128 at 28x28 and 256x256 at 14x14 1.15-1.3x, 64->128
// at 7x7 1.1x, 64x64 at 56x56 even, 32->64 at 14x14 15% slower. Round 2 (row loads, V written
// in the GEMM's panels, products [channel][point][tile]): 128->256 and 64->128 at 7x7 another
// 10-20% faster; 64x64 at 56x56 (ResNet-50 layer1) 1.1-1.3x faster than direct (4 of 4
// alternations); 32->64 at 14x14 (mnist_wide conv2) even to 1.15x, the model 4-6% faster in
// 3 of 3. Hence 32 x 64 channel pairs.
constexpr int64_t kWinogradMinChannels = 32;
constexpr int64_t kWinogradMinChannelProduct = 32 * 64;
constexpr int64_t kWinogradMinTiles = 16;
bool winogradFits(const Geometry& g, int64_t inChannels, int64_t outChannels, int64_t group);
// 4x4 output tiles of one image, and the images per block (about 96 tiles per GEMM).
int64_t winogradTilesPerImage(const Geometry& g);
int64_t winogradBlockImages(const Geometry& g);

// The transformed weights, packed once per executor (KernelContext::cached): for each of the
// 36 tile points, the [outChannels x inChannels] matrix U[xi] as a PackedLhs.
class WinogradWeights {
public:
    WinogradWeights(const float* w, int64_t outChannels, int64_t inChannels);
    WinogradWeights(const WinogradWeights&) = delete;
    WinogradWeights& operator=(const WinogradWeights&) = delete;
    int64_t outChannels() const { return m_out; }
    int64_t inChannels() const { return m_in; }
    // Output channels are multiplied kOutChunk at a time, so that one chunk's 36 products stay
    // in cache until the inverse transform reads them.
    static constexpr int64_t kOutChunk = 64;
    int64_t chunks() const { return (m_out + kOutChunk - 1) / kOutChunk; }
    const PackedLhs& point(int64_t chunk, int64_t xi) const { return m_points[static_cast<size_t>(chunk * 36 + xi)]; }

private:
    int64_t m_out, m_in;
    std::vector<float> m_u; // [36][out][in], read by m_points
    std::vector<PackedLhs> m_points; // [chunk][36]
};

// Scratch floats winogradConv needs for a block of `count` images.
size_t winogradScratch(const Geometry& g, int64_t inChannels, int64_t outChannels, int64_t count);

// y (count images of [outChannels, out[1], out[2]]) = conv(x (count images of
// [inChannels, in[1], in[2]])) with `epilogue` (per output channel bias, clamp) applied.
void winogradConv(const WinogradWeights& w, const Geometry& g, const float* x, int64_t count, float* y,
                  const GemmEpilogue& epilogue, float* scratch);

} // namespace tessera::ops
