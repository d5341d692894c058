#pragma once
// Sliding-window geometry shared by Conv, ConvTranspose and the pools: reading the
// kernel/stride/dilation/pad/auto_pad attributes, output sizes, and walking one kernel
// offset over the output in contiguous runs. That walk is the core of im2col, col2im,
// the direct depthwise loop and pooling, so padding and edge handling live in one place.
#include "core/OpRegistry.h"
#include "core/ops/Gemm.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace tessera::ops {

constexpr size_t kMaxSpatialRank = 3;

enum class AutoPad { NotSet, SameUpper, SameLower, Valid };
// Reads "auto_pad"; fails naming the node on an unknown value.
AutoPad readAutoPad(const Node& node);

// Reads an int-list attribute with one entry per spatial dim (`fallback` when absent);
// fails naming the node when its length is wrong or a value is below `minValue`.
std::vector<int64_t> spatialInts(const Node& node, const char* name, size_t rank, int64_t fallback,
                                 int64_t minValue);

// Checks the input rank of a windowed op (N, C, 1..3 spatial dims).
void checkSpatialRank(const Node& node, const Shape& input, const char* what);

// Per-spatial-dim window of one node, pads resolved (auto_pad applied).
struct Window {
    Shape kernel, strides, dilations, padsBegin, padsEnd;
    Shape outSpatial;
};

// Conv and pool form: output size from input size, kernel and the node's attributes
// (strides, dilations, pads, auto_pad). `ceilMode` rounds the window count up (pools).
Window convWindow(const Node& node, const Shape& inSpatial, const Shape& kernel, bool ceilMode);

// ConvTranspose form: output size from output_shape / output_padding / pads / auto_pad.
Window convTransposeWindow(const Node& node, const Shape& inSpatial, const Shape& kernel);

// A window normalized to three spatial dims (D, H, W): 1-D and 2-D get leading unit
// dims, so one loop nest serves every rank. `in` is the padded-over side, `out` the
// side with one element per window position.
struct Geometry {
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1};
    int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
    int64_t inSize() const { return in[0] * in[1] * in[2]; }
    int64_t outSize() const { return out[0] * out[1] * out[2]; }
    int64_t kernelSize() const { return kernel[0] * kernel[1] * kernel[2]; }
};
Geometry makeGeometry(const Window& window, const Shape& inSpatial, const Shape& outSpatial);

// First window position whose tap (offset `start` + position * stride) is >= 0, and the
// end of those below `limit`, clamped to [0, count).
void validRange(int64_t start, int64_t stride, int64_t limit, int64_t count, int64_t& lo, int64_t& hi);

// Walks kernel offset (kd, kh, kw) over every output position. For each row of the
// output it calls valid(outIndex, count, inIndex) for the positions whose input tap is
// inside the input (input index advances by stride[2] per output), and
// padding(outIndex, count) for the others.
template <class Valid, class Padding>
void forEachWindowRun(const Geometry& g, int64_t kd, int64_t kh, int64_t kw, Valid&& valid, Padding&& padding)
{
    const int64_t offW = kw * g.dilation[2] - g.pad[2];
    int64_t wLo, wHi;
    validRange(offW, g.stride[2], g.in[2], g.out[2], wLo, wHi);
    for (int64_t od = 0; od < g.out[0]; ++od) {
        const int64_t id = od * g.stride[0] + kd * g.dilation[0] - g.pad[0];
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
            const int64_t ih = oh * g.stride[1] + kh * g.dilation[1] - g.pad[1];
            const int64_t row = (od * g.out[1] + oh) * g.out[2];
            if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || wLo >= wHi) {
                padding(row, g.out[2]);
                continue;
            }
            if (wLo > 0)
                padding(row, wLo);
            valid(row + wLo, wHi - wLo, (id * g.in[1] + ih) * g.in[2] + wLo * g.stride[2] + offW);
            if (wHi < g.out[2])
                padding(row + wHi, g.out[2] - wHi);
        }
    }
}

// Calls fn(kd, kh, kw, kernelIndex) for every kernel offset in row-major order.
template <class Fn> void forEachKernelOffset(const Geometry& g, Fn&& fn)
{
    int64_t index = 0;
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
        for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
            for (int64_t kw = 0; kw < g.kernel[2]; ++kw)
                fn(kd, kh, kw, index++);
}

// Unfolds `channels` input planes into col [channels * kernelSize, outSize] (zero where
// a tap falls in the padding), row order (channel, kd, kh, kw) like ONNX weights. Rows
// are `colStride` apart (0: outSize; larger: several images side by side feed one GEMM).
void im2col(const Geometry& g, const float* input, int64_t channels, float* col, int64_t colStride = 0);

// 1-D/2-D windows (Geometry with in[0] == out[0] == kernel[0] == 1) can skip col: the GEMM
// packs the rows it needs from zero-bordered planes of paddedExtent(g, 1) x paddedExtent(g, 2).
int64_t paddedExtent(const Geometry& g, int dim);
// Copies one input plane into its zero-bordered plane (covering every window, no more).
void padPlane(const Geometry& g, const float* plane, float* out);

// The im2col matrix of several images side by side (columns image-major, then oh, ow),
// read from planes: row (channel, kh, kw) of column (image, oh, ow) is
// base[image * imageStride + channel * planeStride + (oh * sh + kh * dh) * rowPitch + ow * sw + kw * dw].
// Padded planes (padPlane) or, when the window never leaves the input, the input itself.
struct PlaneRows {
    Geometry g;
    const float* base = nullptr;
    int64_t imageStride = 0, planeStride = 0, rowPitch = 0;
};
// Rows for sgemmPackedRows; `planes` must outlive the GEMM.
RhsRows planeRows(const PlaneRows& planes);

// The adjoint: accumulates col [channels * kernelSize, outSize] into `channels` planes
// of size g.inSize() (ConvTranspose). Taps outside the planes are dropped.
void col2imAdd(const Geometry& g, const float* col, int64_t channels, float* planes);

} // namespace tessera::ops
