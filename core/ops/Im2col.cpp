#include "core/ops/Im2col.h"

#include "core/Error.h"
#include "core/Parallel.h"

#include <algorithm>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tessera::ops {

namespace {

// Division rounding toward -inf / +inf for a positive divisor (numerators may be negative).
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// Largest pad, stride or dilation accepted: far beyond any real model, small enough that
// window arithmetic (in + pads - dilated kernel) cannot overflow 64 bits.
constexpr int64_t kMaxWindowValue = int64_t(1) << 31;

int64_t dilatedKernel(const Window& w, size_t i) { return (w.kernel[i] - 1) * w.dilations[i] + 1; }

void readPads(const Node& node, Window& w, size_t rank)
{
    std::vector<int64_t> pads = node.attrs.getInts("pads", std::vector<int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank)
        fail(describeNode(node), ": 'pads' has ", pads.size(), " values, expected ", 2 * rank, " (begin and end for ",
             rank, " spatial dims)");
    for (int64_t p : pads)
        if (p < 0 || p > kMaxWindowValue)
            fail(describeNode(node), ": 'pads' must be in 0..", kMaxWindowValue, ", got ", p);
    w.padsBegin.assign(pads.begin(), pads.begin() + rank);
    w.padsEnd.assign(pads.begin() + rank, pads.end());
}

} // namespace

AutoPad readAutoPad(const Node& node)
{
    std::string mode = attrOf<std::string>(node, "auto_pad");
    if (mode == "NOTSET" || mode.empty())
        return AutoPad::NotSet;
    if (mode == "SAME_UPPER")
        return AutoPad::SameUpper;
    if (mode == "SAME_LOWER")
        return AutoPad::SameLower;
    if (mode == "VALID")
        return AutoPad::Valid;
    fail(describeNode(node), ": unknown auto_pad '", mode, "' (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)");
}

std::vector<int64_t> spatialInts(const Node& node, const char* name, size_t rank, int64_t fallback, int64_t minValue)
{
    std::vector<int64_t> values = node.attrs.getInts(name, std::vector<int64_t>(rank, fallback));
    if (values.size() != rank)
        fail(describeNode(node), ": '", name, "' has ", values.size(), " values, expected ", rank,
             " (one per spatial dim)");
    for (int64_t v : values)
        if (v < minValue || v > kMaxWindowValue)
            fail(describeNode(node), ": '", name, "' values must be in ", minValue, "..", kMaxWindowValue, ", got ", v);
    return values;
}

void checkSpatialRank(const Node& node, const Shape& input, const char* what)
{
    if (input.size() < 3 || input.size() > 2 + kMaxSpatialRank)
        fail(describeNode(node), ": ", what, " ", shapeToString(input),
             " must be [N, C, spatial...] with 1 to 3 spatial dims");
}

namespace {

// Kernel, strides, dilations and explicit pads: where Conv and ConvTranspose windows start.
Window readWindowAttrs(const Node& node, const Shape& kernel, size_t rank)
{
    Window w;
    w.kernel = kernel;
    w.strides = spatialInts(node, "strides", rank, 1, 1);
    w.dilations = spatialInts(node, "dilations", rank, 1, 1);
    readPads(node, w, rank);
    return w;
}

} // namespace

Window convWindow(const Node& node, const Shape& inSpatial, const Shape& kernel, bool ceilMode)
{
    const size_t rank = inSpatial.size();
    Window w = readWindowAttrs(node, kernel, rank);
    const AutoPad autoPad = readAutoPad(node);
    w.outSpatial.resize(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t dk = dilatedKernel(w, i), s = w.strides[i], in = inSpatial[i];
        if (autoPad == AutoPad::SameUpper || autoPad == AutoPad::SameLower) {
            w.outSpatial[i] = ceilDiv(in, s);
            int64_t total = std::max<int64_t>(0, (w.outSpatial[i] - 1) * s + dk - in);
            w.padsBegin[i] = autoPad == AutoPad::SameUpper ? total / 2 : total - total / 2;
            w.padsEnd[i] = total - w.padsBegin[i];
            continue;
        }
        if (autoPad == AutoPad::Valid)
            w.padsBegin[i] = w.padsEnd[i] = 0;
        const int64_t span = in + w.padsBegin[i] + w.padsEnd[i] - dk;
        if (span < 0)
            fail(describeNode(node), ": kernel extent ", dk, " along spatial dim ", i, " exceeds the padded input ",
                 in + w.padsBegin[i] + w.padsEnd[i]);
        int64_t out = (ceilMode ? ceilDiv(span, s) : span / s) + 1;
        // ceil_mode must not start a window in the end padding (ONNX/ORT rule).
        if (ceilMode && (out - 1) * s >= in + w.padsBegin[i])
            --out;
        w.outSpatial[i] = out;
    }
    return w;
}

Window convTransposeWindow(const Node& node, const Shape& inSpatial, const Shape& kernel)
{
    const size_t rank = inSpatial.size();
    Window w = readWindowAttrs(node, kernel, rank);
    std::vector<int64_t> outputPadding = spatialInts(node, "output_padding", rank, 0, 0);
    std::vector<int64_t> outputShape = attrOf<std::vector<int64_t>>(node, "output_shape");
    if (outputShape.size() == rank + 2) // some exporters give [N, C, spatial...]
        outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
    if (!outputShape.empty() && outputShape.size() != rank)
        fail(describeNode(node), ": 'output_shape' has ", outputShape.size(), " values, expected ", rank);
    const AutoPad autoPad = readAutoPad(node);
    w.outSpatial.resize(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t full = w.strides[i] * (inSpatial[i] - 1) + outputPadding[i] + dilatedKernel(w, i);
        if (autoPad == AutoPad::Valid)
            w.padsBegin[i] = w.padsEnd[i] = 0;
        int64_t target = full - w.padsBegin[i] - w.padsEnd[i];
        if (!outputShape.empty())
            target = outputShape[i];
        else if (autoPad == AutoPad::SameUpper || autoPad == AutoPad::SameLower)
            target = inSpatial[i] * w.strides[i];
        if (!outputShape.empty() || autoPad == AutoPad::SameUpper || autoPad == AutoPad::SameLower) {
            // Pads follow from the target size; SAME_UPPER puts the odd one at the end.
            const int64_t total = full - target;
            w.padsBegin[i] = autoPad == AutoPad::SameUpper ? floorDiv(total, 2) : total - floorDiv(total, 2);
            w.padsEnd[i] = total - w.padsBegin[i];
        }
        if (target <= 0)
            fail(describeNode(node), ": output spatial dim ", i, " would be ", target);
        w.outSpatial[i] = target;
    }
    return w;
}

Geometry makeGeometry(const Window& window, const Shape& inSpatial, const Shape& outSpatial)
{
    Geometry g;
    const size_t rank = inSpatial.size(), skip = kMaxSpatialRank - rank;
    assert(rank <= kMaxSpatialRank && outSpatial.size() == rank && window.kernel.size() == rank);
    for (size_t i = 0; i < rank; ++i) {
        g.in[skip + i] = inSpatial[i];
        g.out[skip + i] = outSpatial[i];
        g.kernel[skip + i] = window.kernel[i];
        g.stride[skip + i] = window.strides[i];
        g.dilation[skip + i] = window.dilations[i];
        g.pad[skip + i] = window.padsBegin[i];
    }
    return g;
}

void validRange(int64_t start, int64_t stride, int64_t limit, int64_t count, int64_t& lo, int64_t& hi)
{
    lo = std::clamp<int64_t>(ceilDiv(-start, stride), 0, count);
    hi = std::clamp<int64_t>(ceilDiv(limit - start, stride), lo, count);
}

namespace {

// dst[j] = src[j * stride] for j < n. Rows of small planes are 7..28 taps: with AVX-512 one
// masked load/store per 16 (stride 1) or a two-vector shuffle (stride 2) replaces the
// scalar loop's per-element cost.
inline void copyRun(float* dst, const float* src, int64_t n, int64_t stride)
{
#if defined(__AVX512F__)
    if (stride == 1 || stride == 2) {
        const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (int64_t j = 0; j < n; j += 16) {
            const int64_t left = std::min<int64_t>(16, n - j);
            const __mmask16 mask = left == 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
            __m512 v;
            if (stride == 1) {
                v = _mm512_maskz_loadu_ps(mask, src + j);
            } else { // elements 2j .. 2j + 2 * left - 2: two masked halves, then the even lanes
                const int64_t span = 2 * left - 1;
                const __mmask16 lo = span >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << span) - 1);
                const __mmask16 hi = span > 16 ? __mmask16((1u << (span - 16)) - 1) : __mmask16(0);
                v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(lo, src + 2 * j), evens,
                                           _mm512_maskz_loadu_ps(hi, src + 2 * j + 16));
            }
            _mm512_mask_storeu_ps(dst + j, mask, v);
        }
        return;
    }
#endif
    for (int64_t j = 0; j < n; ++j)
        dst[j] = src[j * stride];
}

} // namespace

int64_t paddedExtent(const Geometry& g, int dim)
{
    return (g.out[dim] - 1) * g.stride[dim] + (g.kernel[dim] - 1) * g.dilation[dim] + 1;
}

void padPlane(const Geometry& g, const float* plane, float* out)
{
    const int64_t extH = paddedExtent(g, 1), extW = paddedExtent(g, 2);
    const int64_t w0 = std::max<int64_t>(0, -g.pad[2]), w1 = std::min(g.in[2], extW - g.pad[2]);
    std::fill(out, out + extH * extW, 0.0f);
    for (int64_t h = 0; h < g.in[1]; ++h) {
        const int64_t ph = h + g.pad[1];
        if (ph >= 0 && ph < extH && w1 > w0)
            std::copy(plane + h * g.in[2] + w0, plane + h * g.in[2] + w1, out + ph * extW + w0 + g.pad[2]);
    }
}

namespace {

// One copy of a panel's rows: `count` elements from column offset `src` to `dst`.
struct ColumnRun {
    int64_t src, dst, count;
};

// Columns [col, col + count) of the plane matrix as runs along output rows (shared by
// every row of the panel; a row only moves the base).
void columnRuns(const PlaneRows& p, int64_t col, int64_t count, std::vector<ColumnRun>& runs)
{
    const Geometry& g = p.g;
    const int64_t outSize = g.outSize();
    int64_t image = col / outSize, oh = (col % outSize) / g.out[2], ow = col % g.out[2], done = 0;
    runs.clear();
    while (done < count) {
        const int64_t run = std::min(count - done, g.out[2] - ow);
        runs.push_back({image * p.imageStride + oh * g.stride[1] * p.rowPitch + ow * g.stride[2], done, run});
        done += run;
        ow = 0;
        if (++oh == g.out[1]) {
            oh = 0;
            ++image;
        }
    }
}

// Stride-1 runs of at most 16 (small planes): one masked move each.
inline void copyShortRuns(float* out, const float* base, const std::vector<ColumnRun>& runs)
{
#if defined(__AVX512F__)
    for (const ColumnRun& run : runs) {
        const __mmask16 mask = __mmask16((1u << run.count) - 1);
        _mm512_mask_storeu_ps(out + run.dst, mask, _mm512_maskz_loadu_ps(mask, base + run.src));
    }
#else
    for (const ColumnRun& run : runs)
        copyRun(out + run.dst, base + run.src, run.count, 1);
#endif
}

void fillPlaneRows(const void* context, int64_t row, int64_t rows, int64_t col, int64_t count, float* dst,
                   int64_t dstStride)
{
    const PlaneRows& p = *static_cast<const PlaneRows*>(context);
    const Geometry& g = p.g;
    thread_local std::vector<ColumnRun> runs;
    columnRuns(p, col, count, runs);
    bool shortRuns = g.stride[2] == 1;
    for (const ColumnRun& run : runs)
        shortRuns = shortRuns && run.count <= 16;
    const int64_t kernelSize = g.kernelSize();
    int64_t channel = row / kernelSize, kh = (row % kernelSize) / g.kernel[2], kw = row % g.kernel[2];
    for (int64_t r = 0; r < rows; ++r) {
        const float* base = p.base + channel * p.planeStride + kh * g.dilation[1] * p.rowPitch + kw * g.dilation[2];
        float* out = dst + r * dstStride;
        if (shortRuns)
            copyShortRuns(out, base, runs);
        else
            for (const ColumnRun& run : runs)
                copyRun(out + run.dst, base + run.src, run.count, g.stride[2]);
        if (++kw == g.kernel[2]) { // next row: (channel, kh, kw) in ONNX weight order
            kw = 0;
            if (++kh == g.kernel[1]) {
                kh = 0;
                ++channel;
            }
        }
    }
}

} // namespace

RhsRows planeRows(const PlaneRows& planes) { return RhsRows{fillPlaneRows, &planes}; }

namespace {

// 1-D/2-D im2col: each channel is first copied into a zero-bordered plane that covers every
// window, so each col row is plain row copies with no padding logic (small planes such as
// 7x7 or 8x8 spend most of the generic walk in per-row bookkeeping).
void im2colPlanar(const Geometry& g, const float* input, int64_t channels, float* col, int64_t colStride)
{
    const int64_t extH = paddedExtent(g, 1), extW = paddedExtent(g, 2);
    thread_local std::vector<float> paddedBuffer;
    paddedBuffer.resize(static_cast<size_t>(extH * extW));
    float* padded = paddedBuffer.data();
    const int64_t kernelSize = g.kernelSize(), sw = g.stride[2];
    for (int64_t c = 0; c < channels; ++c) {
        padPlane(g, input + c * g.inSize(), padded);
        for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
            for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                float* row = col + (c * kernelSize + kh * g.kernel[2] + kw) * colStride;
                for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                    const float* src = padded + (oh * g.stride[1] + kh * g.dilation[1]) * extW + kw * g.dilation[2];
                    copyRun(row + oh * g.out[2], src, g.out[2], sw);
                }
            }
    }
}


// The generic walk (3-D, or any padding): one kernel offset at a time.
void im2colWalk(const Geometry& g, const float* input, int64_t channels, float* col, int64_t colStride)
{
    const int64_t inSize = g.inSize(), kernelSize = g.kernelSize();
    const int64_t sw = g.stride[2];
    for (int64_t c = 0; c < channels; ++c) {
        const float* plane = input + c * inSize;
        forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t k) {
            float* row = col + (c * kernelSize + k) * colStride;
            forEachWindowRun(
                g, kd, kh, kw,
                [&](int64_t o, int64_t n, int64_t i) { copyRun(row + o, plane + i, n, sw); },
                [&](int64_t o, int64_t n) {
                    for (int64_t j = 0; j < n; ++j)
                        row[o + j] = 0.0f;
                });
        });
    }
}

} // namespace

void im2col(const Geometry& g, const float* input, int64_t channels, float* col, int64_t colStride)
{
    if (colStride == 0)
        colStride = g.outSize();
    const int64_t rowsPerChannel = g.kernelSize(), inSize = g.inSize();
    const bool planar = g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1;
    // Channels split over the threads, each writing its own rows of col.
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, rowsPerChannel * g.outSize()));
    parallelFor(0, channels, grain, [&](int64_t c0, int64_t c1) {
        const float* in = input + c0 * inSize;
        float* out = col + c0 * rowsPerChannel * colStride;
        if (planar)
            im2colPlanar(g, in, c1 - c0, out, colStride);
        else
            im2colWalk(g, in, c1 - c0, out, colStride);
    });
}

void col2imAdd(const Geometry& g, const float* col, int64_t channels, float* planes)
{
    const int64_t inSize = g.inSize(), outSize = g.outSize(), kernelSize = g.kernelSize();
    const int64_t sw = g.stride[2];
    for (int64_t c = 0; c < channels; ++c) {
        float* plane = planes + c * inSize;
        forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t k) {
            const float* row = col + (c * kernelSize + k) * outSize;
            forEachWindowRun(
                g, kd, kh, kw,
                [&](int64_t o, int64_t n, int64_t i) {
                    for (int64_t j = 0; j < n; ++j)
                        plane[i + j * sw] += row[o + j];
                },
                [](int64_t, int64_t) {});
        });
    }
}

} // namespace tessera::ops
