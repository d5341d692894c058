// MaxPool (with optional Indices), AveragePool, GlobalAveragePool, GlobalMaxPool.
// Windowed pools walk each kernel offset over the output in contiguous runs (the same
// walker as im2col), so padding, dilation and ceil_mode are handled in one place.
#include "core/Error.h"
#include "core/ops/GemmOpHelpers.h"
#include "core/ops/Im2col.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tessera {

namespace {

using ops::Geometry;

Shape spatialOf(const Shape& shape) { return Shape(shape.begin() + 2, shape.end()); }

Shape kernelShapeOf(const Node& node, size_t rank)
{
    if (!node.attrs.has("kernel_shape"))
        fail(describeNode(node), ": the kernel_shape attribute is required");
    return ops::spatialInts(node, "kernel_shape", rank, 1, 1);
}

ops::Window poolWindow(const Node& node, const Shape& input)
{
    const Shape spatial = spatialOf(input);
    const bool ceilMode = attrOf<int64_t>(node, "ceil_mode") != 0;
    return ops::convWindow(node, spatial, kernelShapeOf(node, spatial.size()), ceilMode);
}

Shape pooledShape(const Shape& input, const Shape& outSpatial)
{
    Shape out{input[0], input[1]};
    out.insert(out.end(), outSpatial.begin(), outSpatial.end());
    return out;
}

void maxPoolShape(InferContext& ctx)
{
    const DType type = ctx.inType(0);
    if (type != DType::Float32 && type != DType::UInt8 && type != DType::Int8)
        ctx.fail(strCat("element type ", dtypeName(type), " is not supported (float32, uint8, int8)"));
    ops::checkSpatialRank(ctx.node(), ctx.inShape(0), "input");
    const int64_t order = attrOf<int64_t>(ctx.node(), "storage_order");
    if (order != 0 && order != 1)
        ctx.fail(strCat("storage_order must be 0 (row major) or 1 (column major), got ", order));
    const Shape out = pooledShape(ctx.inShape(0), poolWindow(ctx.node(), ctx.inShape(0)).outSpatial);
    ctx.setOutput(0, type, out);
    if (ctx.numOutputs() > 1)
        ctx.setOutput(1, DType::Int64, out);
}

// Index of spatial element `i` (row-major in geometry g) in column-major order.
int64_t columnMajor(const Geometry& g, int64_t i)
{
    const int64_t w = i % g.in[2], h = (i / g.in[2]) % g.in[1], d = i / (g.in[2] * g.in[1]);
    return d + g.in[0] * (h + g.in[1] * w);
}

// The common 2x2 / stride 2 window fully inside the input: two input rows per output row.
bool isPlain2x2(const Geometry& g)
{
    return g.kernel[0] == 1 && g.kernel[1] == 2 && g.kernel[2] == 2 && g.stride[1] == 2 && g.stride[2] == 2 &&
           g.dilation[1] == 1 && g.dilation[2] == 1 && g.pad[1] == 0 && g.pad[2] == 0 && 2 * g.out[1] <= g.in[1] &&
           2 * g.out[2] <= g.in[2];
}

#if defined(__AVX512F__)
// `count` (<= 16) outputs of a 2x2 window row pair. std::max(a, b) keeps a when either is NaN,
// which is _mm512_max_ps(b, a).
inline void max2x2Row16(const float* r0, const float* r1, float* out, int64_t count)
{
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int64_t span = 2 * count;
    const __mmask16 lo = span >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << span) - 1);
    const __mmask16 hi = span >= 32 ? __mmask16(0xFFFF) : span > 16 ? __mmask16((1u << (span - 16)) - 1) : __mmask16(0);
    auto pairMax = [&](const float* r) {
        const __m512 a = _mm512_maskz_loadu_ps(lo, r), b = _mm512_maskz_loadu_ps(hi, r + 16);
        return _mm512_max_ps(_mm512_permutex2var_ps(a, odds, b), _mm512_permutex2var_ps(a, evens, b));
    };
    const __m512 m0 = pairMax(r0), m1 = pairMax(r1);
    _mm512_mask_storeu_ps(out, count == 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1), _mm512_max_ps(m1, m0));
}
#endif

template <class T> void maxPool2x2Plane(const Geometry& g, const T* in, T* out)
{
    const int64_t width = g.in[2];
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
        const T* r0 = in + 2 * oh * width;
        const T* r1 = r0 + width;
        T* o = out + oh * g.out[2];
        int64_t ow = 0;
#if defined(__AVX512F__)
        if constexpr (std::is_same_v<T, float>) // 16 outputs per step; same NaN rule as std::max below
            for (; ow < g.out[2]; ow += 16)
                max2x2Row16(r0 + 2 * ow, r1 + 2 * ow, o + ow, std::min<int64_t>(16, g.out[2] - ow));
#endif
        for (; ow < g.out[2]; ++ow)
            o[ow] = std::max(std::max(r0[2 * ow], r0[2 * ow + 1]), std::max(r1[2 * ow], r1[2 * ow + 1]));
    }
}

template <class T>
void maxPoolPlane(const Geometry& g, const T* in, T* out, int64_t* indices)
{
    if (!indices && g.out[0] == 1 && g.in[0] == 1 && isPlain2x2(g))
        return maxPool2x2Plane(g, in, out);
    const int64_t sw = g.stride[2];
    std::fill(out, out + g.outSize(), std::numeric_limits<T>::lowest());
    if (indices)
        std::fill(indices, indices + g.outSize(), int64_t{-1});
    ops::forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t) {
        ops::forEachWindowRun(
            g, kd, kh, kw,
            [&](int64_t o, int64_t n, int64_t i) {
                if (!indices) {
                    for (int64_t j = 0; j < n; ++j)
                        out[o + j] = std::max(out[o + j], in[i + j * sw]);
                    return;
                }
                for (int64_t j = 0; j < n; ++j) // strict '>': the first maximum wins, like ORT
                    if (in[i + j * sw] > out[o + j] || indices[o + j] < 0) {
                        out[o + j] = in[i + j * sw];
                        indices[o + j] = i + j * sw;
                    }
            },
            [](int64_t, int64_t) {});
    });
}

void maxPoolKernel(KernelContext& ctx)
{
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    const ops::Window window = poolWindow(ctx.node(), x.shape());
    const Geometry g = ops::makeGeometry(window, spatialOf(x.shape()), spatialOf(y.shape()));
    const int64_t planes = x.dim(0) * x.dim(1), inSize = g.inSize(), outSize = g.outSize();
    int64_t* indices = ctx.numOutputs() > 1 ? ctx.out(1).mutableData<int64_t>() : nullptr;
    const bool columnOrder = attrOf<int64_t>(ctx.node(), "storage_order") == 1;
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* in = x.data<T>();
        T* out = y.mutableData<T>();
        for (int64_t p = 0; p < planes; ++p) {
            int64_t* planeIndices = indices ? indices + p * outSize : nullptr;
            maxPoolPlane(g, in + p * inSize, out + p * outSize, planeIndices);
            if (planeIndices) // Indices address the whole input tensor, not the plane
                for (int64_t o = 0; o < outSize; ++o)
                    planeIndices[o] = p * inSize + (columnOrder ? columnMajor(g, planeIndices[o]) : planeIndices[o]);
        }
    };
    switch (x.dtype()) {
    case DType::Float32: run(float{}); break;
    case DType::UInt8: run(uint8_t{}); break;
    case DType::Int8: run(int8_t{}); break;
    default: fail(describeNode(ctx.node()), ": element type ", dtypeName(x.dtype()), " is not supported");
    }
}

void averagePoolShape(InferContext& ctx)
{
    ops::requireFloat32(ctx, 0);
    ops::checkSpatialRank(ctx.node(), ctx.inShape(0), "input");
    ctx.setOutput(0, DType::Float32, pooledShape(ctx.inShape(0), poolWindow(ctx.node(), ctx.inShape(0)).outSpatial));
}

// 1 / (number of taps averaged) per output position: taps inside the input, or with
// count_include_pad also those in the explicit padding (never past it, for ceil_mode).
void averageScales(const ops::Window& window, Geometry g, bool includePad, float* scales)
{
    if (includePad) {
        const size_t rank = window.kernel.size(), skip = ops::kMaxSpatialRank - rank;
        for (size_t i = 0; i < rank; ++i) {
            g.in[skip + i] += window.padsBegin[i] + window.padsEnd[i];
            g.pad[skip + i] = 0;
        }
    }
    std::fill(scales, scales + g.outSize(), 0.0f);
    ops::forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t) {
        ops::forEachWindowRun(
            g, kd, kh, kw,
            [&](int64_t o, int64_t n, int64_t) {
                for (int64_t j = 0; j < n; ++j)
                    scales[o + j] += 1.0f;
            },
            [](int64_t, int64_t) {});
    });
    for (int64_t o = 0; o < g.outSize(); ++o)
        scales[o] = scales[o] > 0.0f ? 1.0f / scales[o] : 0.0f;
}

void averagePoolKernel(KernelContext& ctx)
{
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    const ops::Window window = poolWindow(ctx.node(), x.shape());
    const Geometry g = ops::makeGeometry(window, spatialOf(x.shape()), spatialOf(y.shape()));
    const int64_t planes = x.dim(0) * x.dim(1), inSize = g.inSize(), outSize = g.outSize(), sw = g.stride[2];
    float* scales = ctx.scratch(static_cast<size_t>(outSize));
    averageScales(window, g, attrOf<int64_t>(ctx.node(), "count_include_pad") != 0, scales);
    const float* xData = x.data<float>();
    float* yData = y.mutableData<float>();
    for (int64_t p = 0; p < planes; ++p) {
        const float* in = xData + p * inSize;
        float* out = yData + p * outSize;
        std::fill(out, out + outSize, 0.0f);
        ops::forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t) {
            ops::forEachWindowRun(
                g, kd, kh, kw,
                [&](int64_t o, int64_t n, int64_t i) {
                    for (int64_t j = 0; j < n; ++j)
                        out[o + j] += in[i + j * sw];
                },
                [](int64_t, int64_t) {});
        });
        for (int64_t o = 0; o < outSize; ++o)
            out[o] *= scales[o];
    }
}

OpCost windowPoolCost(const Node& node, const Graph& graph)
{
    const Shape& y = graph.value(node.outputs[0]).shape;
    OpCost cost;
    cost.macs = numElements(y) * numElements(attrOf<std::vector<int64_t>>(node, "kernel_shape"));
    return cost;
}

// ---- Global pools ----------------------------------------------------------------

void globalPoolShape(InferContext& ctx)
{
    const Shape& x = ctx.inShape(0);
    if (x.size() < 3)
        ctx.fail(strCat("input ", shapeToString(x), " must be [N, C, spatial...] with at least one spatial dim"));
    ops::requireFloat32(ctx, 0);
    Shape out(x.size(), 1);
    out[0] = x[0];
    out[1] = x[1];
    ctx.setOutput(0, DType::Float32, out);
}

template <class Reduce> void globalPoolKernel(KernelContext& ctx, Reduce reduce)
{
    const Tensor& x = ctx.in(0);
    const int64_t planes = x.dim(0) * x.dim(1), size = x.numel() / std::max<int64_t>(planes, 1);
    const float* in = x.data<float>();
    float* out = ctx.out(0).mutableData<float>();
    for (int64_t p = 0; p < planes; ++p)
        out[p] = reduce(in + p * size, size);
}

OpCost globalPoolCost(const Node& node, const Graph& graph)
{
    OpCost cost;
    cost.macs = numElements(graph.value(node.inputs[0]).shape);
    return cost;
}

void addPoolAttrs(OpDef& op)
{
    op.attr("auto_pad", std::string("NOTSET"), "NOTSET | SAME_UPPER | SAME_LOWER | VALID")
        .attr("ceil_mode", int64_t{0}, "1: round the window count up (no window starts in the end padding)")
        .attr("dilations", std::vector<int64_t>{}, "per spatial dim; default 1")
        .attr("kernel_shape", std::vector<int64_t>{}, "required: window size per spatial dim")
        .attr("pads", std::vector<int64_t>{}, "begin..., end...; default 0")
        .attr("strides", std::vector<int64_t>{}, "per spatial dim; default 1");
}

} // namespace

void registerPoolOps(OpRegistry& r)
{
    OpDef& maxPool = r.add("MaxPool")
                         .doc("max over sliding windows (1 to 3 spatial dims); optional Indices output: "
                              "flat index into X, row or column major per storage_order")
                         .numInputs(1)
                         .numOutputs(1, 2)
                         .attr("storage_order", int64_t{0}, "Indices order: 0 row major, 1 column major")
                         .inferShape(maxPoolShape)
                         .kernel(maxPoolKernel)
                         .quantPolicy(QuantPolicy::ShareScale)
                         .cost(windowPoolCost)
                         .scalePassing(ScalePassing::ChannelsFirst);
    addPoolAttrs(maxPool);

    OpDef& avgPool = r.add("AveragePool")
                         .doc("mean over sliding windows (1 to 3 spatial dims); padding counts only with "
                              "count_include_pad")
                         .numInputs(1)
                         .numOutputs(1)
                         .attr("count_include_pad", int64_t{0}, "1: padded positions count in the divisor")
                         .inferShape(averagePoolShape)
                         .kernel(averagePoolKernel)
                         .quantPolicy(QuantPolicy::Requantize)
                         .cost(windowPoolCost)
                         .scalePassing(ScalePassing::ChannelsFirst);
    addPoolAttrs(avgPool);

    r.add("GlobalAveragePool")
        .doc("mean over all spatial dims: [N, C, ...] -> [N, C, 1, ...]")
        .numInputs(1)
        .numOutputs(1)
        .inferShape(globalPoolShape)
        .kernel([](KernelContext& ctx) {
            globalPoolKernel(ctx, [](const float* p, int64_t n) {
                double sum = 0.0; // double: long planes would lose low bits in float
                for (int64_t i = 0; i < n; ++i)
                    sum += p[i];
                return static_cast<float>(sum / static_cast<double>(n));
            });
        })
        .quantPolicy(QuantPolicy::Requantize)
        .cost(globalPoolCost)
        .scalePassing(ScalePassing::ChannelsFirst);

    r.add("GlobalMaxPool")
        .doc("max over all spatial dims: [N, C, ...] -> [N, C, 1, ...]")
        .numInputs(1)
        .numOutputs(1)
        .inferShape(globalPoolShape)
        .kernel([](KernelContext& ctx) {
            globalPoolKernel(ctx, [](const float* p, int64_t n) {
                return n ? *std::max_element(p, p + n) : -std::numeric_limits<float>::infinity();
            });
        })
        .quantPolicy(QuantPolicy::ShareScale)
        .cost(globalPoolCost)
        .scalePassing(ScalePassing::ChannelsFirst);
}

} // namespace tessera
