// Resize (opset 11..18 semantics; the importer maps Resize-10 and Upsample onto it).
// Each resized axis gets a table of taps (input index + weight per output position),
// computed once per call; nearest is then a gather, linear/cubic are separable passes,
// one per resized axis, over contiguous rows.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace tessera {

namespace {

struct ResizePlan {
    Shape outShape;
    std::vector<double> scales;           // per axis (1 where not resized)
    std::vector<double> roiStart, roiEnd; // per axis, normalized [0, 1] crop (tf_crop_and_resize)
};

const Tensor* givenInput(const Tensor* t)
{
    return t && t->numel() > 0 ? t : nullptr;
}

// Output shape and per-axis scales from scales (input 2) or sizes (input 3), over `axes`.
ResizePlan resizePlan(const Node& node, const Shape& in, const Tensor* roi, const Tensor* scales,
                      const Tensor* sizes)
{
    const int64_t rank = static_cast<int64_t>(in.size());
    std::vector<int64_t> axes = attrOf<std::vector<int64_t>>(node, "axes");
    if (axes.empty())
        for (int64_t d = 0; d < rank; ++d)
            axes.push_back(d);
    for (int64_t& a : axes) {
        if (a < -rank || a >= rank)
            fail("axis ", a, " is out of range for rank ", rank);
        a = a < 0 ? a + rank : a;
    }
    const size_t n = axes.size();
    ResizePlan plan{in, std::vector<double>(in.size(), 1.0), std::vector<double>(in.size(), 0.0),
                    std::vector<double>(in.size(), 1.0)};
    const bool crop = attrOf<std::string>(node, "coordinate_transformation_mode") == "tf_crop_and_resize";
    if (crop && roi) {
        if (static_cast<size_t>(roi->numel()) != 2 * n)
            fail("roi has ", roi->numel(), " values, expected ", 2 * n);
        for (size_t i = 0; i < n; ++i) {
            plan.roiStart[axes[i]] = roi->valueAsDouble(i);
            plan.roiEnd[axes[i]] = roi->valueAsDouble(i + n);
        }
    }
    if ((scales != nullptr) == (sizes != nullptr))
        fail("exactly one of scales and sizes must be given");
    if (scales) {
        if (static_cast<size_t>(scales->numel()) != n)
            fail("scales has ", scales->numel(), " values for ", n, " axes");
        for (size_t i = 0; i < n; ++i) {
            const int64_t d = axes[i];
            plan.scales[d] = scales->valueAsDouble(i);
            if (!(plan.scales[d] > 0))
                fail("scales must be positive");
            const double extent = in[d] * (plan.roiEnd[d] - plan.roiStart[d]);
            plan.outShape[d] = static_cast<int64_t>(std::floor(extent * plan.scales[d]));
        }
        return plan;
    }
    if (static_cast<size_t>(sizes->numel()) != n)
        fail("sizes has ", sizes->numel(), " values for ", n, " axes");
    const std::string policy = attrOf<std::string>(node, "keep_aspect_ratio_policy");
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double s = static_cast<double>(sizes->valueAsInt(i)) / static_cast<double>(in[axes[i]]);
        common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        fail("keep_aspect_ratio_policy '", policy, "' is not supported");
    for (size_t i = 0; i < n; ++i) {
        const int64_t d = axes[i];
        plan.outShape[d] = policy == "stretch" ? sizes->valueAsInt(i)
                                               : static_cast<int64_t>(std::round(common * in[d]));
        plan.scales[d] = policy == "stretch" ? static_cast<double>(plan.outShape[d]) / in[d] : common;
    }
    return plan;
}

struct ResizeModes {
    std::string mode, transform, nearest;
    double cubicA = -0.75;
    bool excludeOutside = false;
    float extrapolation = 0.0f;

    static ResizeModes fromNode(const Node& a)
    {
        ResizeModes m{attrOf<std::string>(a, "mode"), attrOf<std::string>(a, "coordinate_transformation_mode"),
                      attrOf<std::string>(a, "nearest_mode"), attrOf<float>(a, "cubic_coeff_a"),
                      attrOf<int64_t>(a, "exclude_outside") != 0, attrOf<float>(a, "extrapolation_value")};
        if (m.mode != "nearest" && m.mode != "linear" && m.mode != "cubic")
            fail("mode '", m.mode, "' is not supported (nearest, linear, cubic)");
        static const char* transforms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                           "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
        if (std::find(std::begin(transforms), std::end(transforms), m.transform) == std::end(transforms))
            fail("coordinate_transformation_mode '", m.transform, "' is not supported");
        static const char* nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
        if (std::find(std::begin(nearests), std::end(nearests), m.nearest) == std::end(nearests))
            fail("nearest_mode '", m.nearest, "' is not supported");
        if (attrOf<int64_t>(a, "antialias") != 0)
            fail("antialias=1 is not supported");
        return m;
    }
};

// Source coordinate of output position x along an axis (ONNX coordinate_transformation_mode).
double sourceCoordinate(const ResizeModes& m, double x, double scale, int64_t inLen, int64_t outLen, double roiStart,
                        double roiEnd)
{
    const std::string& t = m.transform;
    if (t == "half_pixel")
        return (x + 0.5) / scale - 0.5;
    if (t == "half_pixel_symmetric") {
        const double adjustment = outLen / (scale * inLen);
        const double offset = inLen / 2.0 * (1.0 - adjustment);
        return offset + (x + 0.5) / scale - 0.5;
    }
    if (t == "pytorch_half_pixel")
        return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    if (t == "align_corners")
        return outLen == 1 ? 0.0 : x * (inLen - 1) / static_cast<double>(outLen - 1);
    if (t == "asymmetric")
        return x / scale;
    if (t == "tf_half_pixel_for_nn")
        return (x + 0.5) / scale;
    // tf_crop_and_resize
    return outLen > 1 ? roiStart * (inLen - 1) + x * (roiEnd - roiStart) * (inLen - 1) / static_cast<double>(outLen - 1)
                      : 0.5 * (roiStart + roiEnd) * (inLen - 1);
}

int64_t nearestIndex(const std::string& mode, double x)
{
    if (mode == "floor")
        return static_cast<int64_t>(std::floor(x));
    if (mode == "ceil")
        return static_cast<int64_t>(std::ceil(x));
    const double f = std::floor(x);
    if (x - f == 0.5)
        return static_cast<int64_t>(mode == "round_prefer_floor" ? f : f + 1);
    return static_cast<int64_t>(std::round(x));
}

// Taps of one axis: for output position j, `taps` (index, weight) pairs and an outside flag.
struct AxisTaps {
    int taps = 1;
    std::vector<int64_t> index;
    std::vector<double> weight;
    std::vector<char> outside;
    bool identity = true;
};

void cubicWeights(double r, double a, double w[4])
{
    auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };         // 1 < |t| < 2
    auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };              // |t| <= 1
    w[0] = far(r + 1);
    w[1] = near(r);
    w[2] = near(1 - r);
    w[3] = far(2 - r);
}

AxisTaps axisTaps(const ResizeModes& m, const ResizePlan& plan, const Shape& in, size_t d)
{
    AxisTaps t;
    const int64_t inLen = in[d], outLen = plan.outShape[d];
    t.taps = m.mode == "nearest" ? 1 : m.mode == "linear" ? 2 : 4;
    t.index.resize(outLen * t.taps);
    t.weight.resize(outLen * t.taps);
    t.outside.assign(outLen, 0);
    t.identity = inLen == outLen;
    for (int64_t j = 0; j < outLen; ++j) {
        const double x = sourceCoordinate(m, j, plan.scales[d], inLen, outLen, plan.roiStart[d], plan.roiEnd[d]);
        int64_t* idx = &t.index[j * t.taps];
        double* w = &t.weight[j * t.taps];
        t.outside[j] = m.transform == "tf_crop_and_resize" && (x < 0 || x > inLen - 1);
        if (m.mode == "nearest") {
            idx[0] = std::clamp<int64_t>(nearestIndex(m.nearest, x), 0, inLen - 1);
            w[0] = 1.0;
        } else if (m.mode == "linear") {
            const double xc = std::clamp(x, 0.0, static_cast<double>(inLen - 1));
            idx[0] = static_cast<int64_t>(std::floor(xc));
            idx[1] = std::min(idx[0] + 1, inLen - 1);
            w[1] = xc - idx[0];
            w[0] = 1.0 - w[1];
        } else {
            const double f = std::floor(x);
            cubicWeights(x - f, m.cubicA, w);
            double sum = 0;
            for (int k = 0; k < 4; ++k) {
                const int64_t i = static_cast<int64_t>(f) - 1 + k;
                if (m.excludeOutside && (i < 0 || i >= inLen))
                    w[k] = 0;
                idx[k] = std::clamp<int64_t>(i, 0, inLen - 1);
                sum += w[k];
            }
            if (m.excludeOutside && sum != 0)
                for (int k = 0; k < 4; ++k)
                    w[k] /= sum;
        }
        for (int k = 0; k < t.taps; ++k) // identity: every output j reads exactly input j
            t.identity = t.identity && !t.outside[j] && (w[k] == (idx[k] == j ? 1.0 : 0.0));
    }
    return t;
}

// Nearest: a gather with per-axis source offsets; rows over the last axis.
template <class T>
void nearestGather(const T* src, T* dst, const Shape& in, const Shape& out, const std::vector<AxisTaps>& taps, T extra)
{
    const size_t rank = out.size();
    const std::vector<int64_t> strides = ops::stridesOf(in);
    const int64_t inner = out[rank - 1];
    const AxisTaps& last = taps[rank - 1];
    std::vector<int64_t> counter(rank, 0);
    for (int64_t row = 0, rows = numElements(out) / inner; row < rows; ++row, dst += inner) {
        int64_t offset = 0;
        bool outside = false;
        for (size_t d = 0; d + 1 < rank; ++d) {
            offset += taps[d].index[counter[d]] * strides[d];
            outside = outside || taps[d].outside[counter[d]];
        }
        for (int64_t k = 0; k < inner; ++k)
            dst[k] = outside || last.outside[k] ? extra : src[offset + last.index[k]];
        for (size_t d = rank - 1; d-- > 0;) {
            if (++counter[d] < out[d])
                break;
            counter[d] = 0;
        }
    }
}

// One separable pass: resizes axis d of `cur` (shape `shape`) into dst.
template <class T>
void resizeAxis(const T* src, T* dst, const Shape& shape, size_t d, int64_t outLen, const AxisTaps& t, T extra)
{
    int64_t outer = 1, inner = 1;
    for (size_t k = 0; k < shape.size(); ++k) {
        if (k < d)
            outer *= shape[k];
        else if (k > d)
            inner *= shape[k];
    }
    const int64_t inLen = shape[d];
    if (inner == 1) { // the last axis: one dot product of `taps` per output element
        for (int64_t o = 0; o < outer; ++o) {
            const T* in = src + o * inLen;
            T* out = dst + o * outLen;
            for (int64_t j = 0; j < outLen; ++j) {
                T acc = 0;
                for (int k = 0; k < t.taps; ++k)
                    acc += static_cast<T>(t.weight[j * t.taps + k]) * in[t.index[j * t.taps + k]];
                out[j] = t.outside[j] ? extra : acc;
            }
        }
        return;
    }
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < outLen; ++j) {
            T* row = dst + (o * outLen + j) * inner;
            if (t.outside[j]) {
                std::fill(row, row + inner, extra);
                continue;
            }
            std::fill(row, row + inner, T(0));
            for (int k = 0; k < t.taps; ++k) {
                const T w = static_cast<T>(t.weight[j * t.taps + k]);
                if (w == T(0))
                    continue;
                const T* in = src + (o * inLen + t.index[j * t.taps + k]) * inner;
                for (int64_t i = 0; i < inner; ++i)
                    row[i] += w * in[i];
            }
        }
}

// Linear/cubic: one pass per resized axis, through ping-pong buffers, the last into dst.
template <class T>
void separablePasses(const T* src, T* dst, const Shape& in, const ResizePlan& plan, const std::vector<AxisTaps>& taps,
                     const std::vector<size_t>& resized, T extra)
{
    Shape shape = in;
    std::vector<T> buffers[2];
    const T* cur = src;
    for (size_t p = 0; p < resized.size(); ++p) {
        const size_t d = resized[p];
        Shape next = shape;
        next[d] = plan.outShape[d];
        T* target = dst;
        if (p + 1 < resized.size()) {
            buffers[p % 2].resize(static_cast<size_t>(numElements(next)));
            target = buffers[p % 2].data();
        }
        resizeAxis(cur, target, shape, d, plan.outShape[d], taps[d], extra);
        cur = target;
        shape = next;
    }
}

template <class T> void resizeKernelTyped(KernelContext& ctx, const ResizeModes& m, const ResizePlan& plan)
{
    const Shape& in = ctx.in(0).shape();
    const T* src = ctx.in(0).data<T>();
    T* dst = ctx.out(0).mutableData<T>();
    const T extra = static_cast<T>(m.extrapolation);
    if (ctx.out(0).numel() == 0)
        return;
    std::vector<AxisTaps> taps;
    std::vector<size_t> resized;
    for (size_t d = 0; d < in.size(); ++d) {
        taps.push_back(axisTaps(m, plan, in, d));
        if (!taps.back().identity)
            resized.push_back(d);
    }
    if (resized.empty()) {
        std::memcpy(dst, src, ctx.out(0).byteSize());
        return;
    }
    if (m.mode == "nearest") {
        nearestGather(src, dst, in, plan.outShape, taps, extra);
        return;
    }
    if constexpr (std::is_floating_point_v<T>)
        separablePasses(src, dst, in, plan, taps, resized, extra);
    else
        fail(describeNode(ctx.node()), ": ", m.mode, " Resize needs float input (nearest works on any type)");
}

const Tensor* inputOrNull(const InferContext& ctx, size_t i, const char* what)
{
    return ctx.hasInput(i) ? givenInput(&ctx.requireConst(i, what)) : nullptr;
}

void resizeShape(InferContext& ctx)
{
    ResizePlan plan;
    try {
        ResizeModes::fromNode(ctx.node());
        plan = resizePlan(ctx.node(), ctx.inShape(0), inputOrNull(ctx, 1, "roi"), inputOrNull(ctx, 2, "scales"),
                          inputOrNull(ctx, 3, "sizes"));
    } catch (const Error& e) {
        ctx.fail(e.what());
    }
    if (attrOf<std::string>(ctx.node(), "mode") == "nearest")
        ops::dispatchNumeric(ctx.inType(0), ctx.node(), [](auto) {});
    else
        ops::dispatchFloat(ctx.inType(0), ctx.node(), [](auto) {});
    ctx.setOutput(0, ctx.inType(0), plan.outShape);
}

void resizeKernel(KernelContext& ctx)
{
    auto opt = [&ctx](size_t i) { return ctx.hasInput(i) ? givenInput(&ctx.in(i)) : nullptr; };
    const ResizeModes m = ResizeModes::fromNode(ctx.node());
    ResizePlan plan = resizePlan(ctx.node(), ctx.in(0).shape(), opt(1), opt(2), opt(3));
    ops::dispatchNumeric(ctx.in(0).dtype(), ctx.node(),
                         [&](auto tag) { resizeKernelTyped<decltype(tag)>(ctx, m, plan); });
}

// Output elements times taps per output (1 nearest, 2 per resized axis linear, 4 cubic).
OpCost resizeCost(const Node& node, const Graph& graph)
{
    const Shape& in = graph.value(node.inputs[0]).shape;
    const Shape& out = graph.value(node.outputs[0]).shape;
    const std::string mode = attrOf<std::string>(node, "mode");
    int64_t taps = 1;
    for (size_t d = 0; d < in.size() && d < out.size(); ++d)
        if (in[d] != out[d])
            taps *= mode == "linear" ? 2 : mode == "cubic" ? 4 : 1;
    OpCost cost;
    cost.macs = numElements(out) * taps;
    return cost;
}

} // namespace

void registerResizeOps(OpRegistry& r)
{
    r.add("Resize")
        .doc("Resamples with mode nearest (nearest_mode round_prefer_floor/ceil, floor, ceil), linear (N-linear) "
             "or cubic (cubic_coeff_a, exclude_outside), any coordinate_transformation_mode (half_pixel, "
             "half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn, "
             "tf_crop_and_resize with roi and extrapolation_value). Output from scales or sizes (with axes and "
             "keep_aspect_ratio_policy), which must be known statically; antialias is refused. Quantized: "
             "share-scale (nearest and linear outputs stay within the input's range).")
        .numInputs(1, 4)
        .attr("mode", std::string("nearest"))
        .attr("coordinate_transformation_mode", std::string("half_pixel"))
        .attr("nearest_mode", std::string("round_prefer_floor"))
        .attr("cubic_coeff_a", -0.75f)
        .attr("exclude_outside", int64_t(0))
        .attr("extrapolation_value", 0.0f)
        .attr("keep_aspect_ratio_policy", std::string("stretch"))
        .attr("axes", std::vector<int64_t>{}, "default: all axes")
        .attr("antialias", int64_t(0), "only 0 is supported")
        .inferShape(resizeShape)
        .kernel(resizeKernel)
        .cost(resizeCost)
        .quantPolicy(QuantPolicy::ShareScale);
}

} // namespace tessera
