// Ops that cut pieces out of a tensor or extend it: Slice, Split, Gather, Pad. Bounds,
// split sizes and pads must be known statically (they decide the output shape).
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <cstring>

namespace tessera {

namespace {

// Runs `fn`, turning a tessera::Error into ctx.fail so the message names the node.
template <class Fn> auto withNode(const InferContext& ctx, Fn&& fn)
{
    try {
        return fn();
    } catch (const Error& e) {
        ctx.fail(e.what());
    }
}

struct SliceRange {
    Shape outShape;
    std::vector<int64_t> start, step; // per input axis
};

// ONNX Slice semantics: negative starts/ends count from the end, then clamp to
// [0, dim] (step > 0) or [-1, dim - 1] (step < 0); the count is ceil((end - start) / step).
SliceRange sliceRange(const Shape& in, const Tensor& starts, const Tensor& ends, const Tensor* axesT,
                      const Tensor* stepsT)
{
    const int64_t rank = static_cast<int64_t>(in.size());
    const int64_t n = starts.numel();
    if (ends.numel() != n || (axesT && axesT->numel() != n) || (stepsT && stepsT->numel() != n))
        fail("starts, ends, axes and steps must have the same length");
    SliceRange r{in, std::vector<int64_t>(in.size(), 0), std::vector<int64_t>(in.size(), 1)};
    std::vector<bool> seen(in.size(), false);
    for (int64_t i = 0; i < n; ++i) {
        int64_t axis = axesT ? axesT->valueAsInt(i) : i;
        if (axis < -rank || axis >= rank)
            fail("slice axis ", axis, " is out of range for rank ", rank);
        axis = axis < 0 ? axis + rank : axis;
        if (seen[axis])
            fail("slice axis ", axis, " is listed twice");
        seen[axis] = true;
        const int64_t dim = in[axis];
        const int64_t step = stepsT ? stepsT->valueAsInt(i) : 1;
        if (step == 0)
            fail("slice step must not be 0");
        int64_t start = starts.valueAsInt(i), end = ends.valueAsInt(i);
        start = start < 0 ? start + dim : start;
        end = end < 0 ? end + dim : end;
        if (step > 0) {
            start = std::clamp<int64_t>(start, 0, dim);
            end = std::clamp<int64_t>(end, 0, dim);
            r.outShape[axis] = end > start ? (end - start + step - 1) / step : 0;
        } else {
            start = std::clamp<int64_t>(start, 0, dim - 1);
            end = std::clamp<int64_t>(end, -1, dim - 1);
            r.outShape[axis] = start > end ? (start - end - step - 1) / -step : 0;
        }
        r.start[axis] = start;
        r.step[axis] = step;
    }
    return r;
}

void registerSlice(OpRegistry& r)
{
    r.add("Slice")
        .doc("Takes [start, end) with `steps` (possibly negative) along `axes` (default 0..n-1); bounds are "
             "clamped as ONNX specifies. starts/ends/axes/steps must be known statically. Quantized: share-scale.")
        .numInputs(3, 5)
        .inferShape([](InferContext& ctx) {
            const Tensor& starts = ctx.requireConst(1, "starts");
            const Tensor& ends = ctx.requireConst(2, "ends");
            const Tensor* axes = ctx.hasInput(3) ? &ctx.requireConst(3, "axes") : nullptr;
            const Tensor* steps = ctx.hasInput(4) ? &ctx.requireConst(4, "steps") : nullptr;
            SliceRange range = withNode(ctx, [&] { return sliceRange(ctx.inShape(0), starts, ends, axes, steps); });
            ctx.setOutput(0, ctx.inType(0), range.outShape);
        })
        .kernel([](KernelContext& ctx) {
            const Tensor& in = ctx.in(0);
            SliceRange range = sliceRange(in.shape(), ctx.in(1), ctx.in(2), ctx.hasInput(3) ? &ctx.in(3) : nullptr,
                                          ctx.hasInput(4) ? &ctx.in(4) : nullptr);
            std::vector<int64_t> strides = ops::stridesOf(in.shape());
            int64_t offset = 0;
            for (size_t d = 0; d < strides.size(); ++d) {
                offset += range.start[d] * strides[d];
                strides[d] *= range.step[d];
            }
            ops::stridedCopy(in.rawData(), ctx.out(0).mutableRawData(), dtypeSize(in.dtype()), ctx.out(0).shape(),
                             strides, offset);
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

// Split sizes: input 1 / attribute `split`, else num_outputs (or the output count) parts
// of ceil(dim / n), the last one smaller (opset 18).
std::vector<int64_t> splitSizes(const Attributes& attrs, const Tensor* splitT, int64_t dim, size_t numOutputs)
{
    std::vector<int64_t> sizes = splitT ? splitT->toInt64Vector() : attrs.getInts("split");
    if (sizes.empty()) {
        const int64_t n = attrs.getInt("num_outputs", static_cast<int64_t>(numOutputs));
        const int64_t chunk = (dim + n - 1) / n;
        for (int64_t i = 0; i < n; ++i)
            sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    }
    int64_t total = 0;
    for (int64_t s : sizes) {
        if (s < 0)
            fail("split sizes must not be negative");
        total += s;
    }
    if (sizes.size() != numOutputs || total != dim)
        fail("split sizes ", shapeToString(sizes), " do not cut an axis of ", dim, " into ", numOutputs, " outputs");
    return sizes;
}

void registerSplit(OpRegistry& r)
{
    r.add("Split")
        .doc("Cuts the input along `axis` into parts of sizes input 1 (known statically), or equal parts "
             "(num_outputs or the output count; the last part smaller when uneven). Quantized: share-scale.")
        .numInputs(1, 2)
        .numOutputs(1, 1 << 16)
        .attr("axis", int64_t(0))
        .attr("num_outputs", int64_t(0), "default: the number of outputs")
        .inferShape([](InferContext& ctx) {
            const int64_t axis = ops::normalizeAxis(ctx, attrOf<int64_t>(ctx.node(), "axis"), ctx.inRank(0));
            const Tensor* splitT = ctx.hasInput(1) ? &ctx.requireConst(1, "split") : nullptr;
            Shape shape = ctx.inShape(0);
            std::vector<int64_t> sizes =
                withNode(ctx, [&] { return splitSizes(ctx.attrs(), splitT, shape[axis], ctx.numOutputs()); });
            for (size_t i = 0; i < sizes.size(); ++i) {
                shape[axis] = sizes[i];
                ctx.setOutput(i, ctx.inType(0), shape);
            }
        })
        .kernel([](KernelContext& ctx) {
            const Tensor& in = ctx.in(0);
            const int64_t axis = ops::normalizeAxis(attrOf<int64_t>(ctx.node(), "axis"), in.rank());
            std::vector<int64_t> strides = ops::stridesOf(in.shape());
            int64_t start = 0;
            for (size_t i = 0; i < ctx.numOutputs(); ++i) {
                Tensor& out = ctx.out(i);
                ops::stridedCopy(in.rawData(), out.mutableRawData(), dtypeSize(in.dtype()), out.shape(), strides,
                                 start * strides[axis]);
                start += out.shape()[axis];
            }
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

void registerGather(OpRegistry& r)
{
    r.add("Gather")
        .doc("Picks entries along `axis` at int32/int64 `indices` (negative counts from the end); output shape "
             "data[:axis] + indices + data[axis+1:]. Quantized: share-scale.")
        .numInputs(2)
        .attr("axis", int64_t(0))
        .inferShape([](InferContext& ctx) {
            const Shape& data = ctx.inShape(0);
            const int64_t axis = ops::normalizeAxis(ctx, attrOf<int64_t>(ctx.node(), "axis"), ctx.inRank(0));
            if (ctx.inType(1) != DType::Int64 && ctx.inType(1) != DType::Int32)
                ctx.fail("indices must be int32 or int64");
            Shape out(data.begin(), data.begin() + axis);
            out.insert(out.end(), ctx.inShape(1).begin(), ctx.inShape(1).end());
            out.insert(out.end(), data.begin() + axis + 1, data.end());
            ctx.setOutput(0, ctx.inType(0), out);
        })
        .kernel([](KernelContext& ctx) {
            const Tensor& data = ctx.in(0);
            const Tensor& indices = ctx.in(1);
            const int64_t axis = ops::normalizeAxis(attrOf<int64_t>(ctx.node(), "axis"), data.rank());
            const int64_t axisDim = data.shape()[axis], count = indices.numel();
            int64_t outer = 1, inner = 1;
            for (int64_t d = 0; d < data.rank(); ++d) {
                if (d < axis)
                    outer *= data.shape()[d];
                else if (d > axis)
                    inner *= data.shape()[d];
            }
            const size_t row = static_cast<size_t>(inner) * dtypeSize(data.dtype());
            const char* src = static_cast<const char*>(data.rawData());
            char* dst = static_cast<char*>(ctx.out(0).mutableRawData());
            std::vector<int64_t> idx = indices.toInt64Vector();
            for (int64_t& i : idx) {
                if (i < -axisDim || i >= axisDim)
                    fail(describeNode(ctx.node()), ": index ", i, " is out of range for an axis of ", axisDim);
                i = i < 0 ? i + axisDim : i;
            }
            for (int64_t o = 0; o < outer; ++o)
                for (int64_t j = 0; j < count; ++j)
                    std::memcpy(dst + (o * count + j) * row, src + (o * axisDim + idx[j]) * row, row);
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

struct PadSpec {
    std::vector<int64_t> begin, end; // per input axis, negative crops
};

// Pads from input 1 (known statically), laid out [begins..., ends...] over `axes`
// (input 3, opset 18; default all axes).
PadSpec padSpec(const Shape& in, const Tensor& pads, const Tensor* axesT)
{
    const int64_t rank = static_cast<int64_t>(in.size());
    std::vector<int64_t> axes;
    if (axesT)
        axes = axesT->toInt64Vector();
    else
        for (int64_t d = 0; d < rank; ++d)
            axes.push_back(d);
    const int64_t n = static_cast<int64_t>(axes.size());
    if (pads.numel() != 2 * n)
        fail("pads has ", pads.numel(), " entries, expected ", 2 * n);
    PadSpec spec{std::vector<int64_t>(in.size(), 0), std::vector<int64_t>(in.size(), 0)};
    for (int64_t i = 0; i < n; ++i) {
        int64_t a = axes[i];
        if (a < -rank || a >= rank)
            fail("pad axis ", a, " is out of range for rank ", rank);
        a = a < 0 ? a + rank : a;
        spec.begin[a] = pads.valueAsInt(i);
        spec.end[a] = pads.valueAsInt(i + n);
    }
    return spec;
}

// For each output position along one axis, the input position it reads, or -1 for the
// constant value.
std::vector<int64_t> padIndexMap(int64_t dim, int64_t begin, int64_t outDim, const std::string& mode)
{
    std::vector<int64_t> map(static_cast<size_t>(outDim));
    for (int64_t o = 0; o < outDim; ++o) {
        int64_t i = o - begin;
        if (i < 0 || i >= dim) {
            if (mode == "constant" || dim == 0)
                i = -1;
            else if (mode == "edge")
                i = std::clamp<int64_t>(i, 0, dim - 1);
            else if (dim == 1)
                i = 0;
            else // reflect, without repeating the edge element
                while (i < 0 || i >= dim)
                    i = i < 0 ? -i : 2 * (dim - 1) - i;
        }
        map[o] = i;
    }
    return map;
}

template <class T> void padKernelTyped(KernelContext& ctx, const PadSpec& spec, const std::string& mode)
{
    const Tensor& in = ctx.in(0);
    const Shape& outShape = ctx.out(0).shape();
    const size_t rank = outShape.size();
    const T value = ctx.hasInput(2) && ctx.in(2).numel() ? ctx.in(2).data<T>()[0] : T(0);
    std::vector<std::vector<int64_t>> maps;
    for (size_t d = 0; d < rank; ++d)
        maps.push_back(padIndexMap(in.shape()[d], spec.begin[d], outShape[d], mode));
    const std::vector<int64_t> strides = ops::stridesOf(in.shape());
    const T* src = in.data<T>();
    T* dst = ctx.out(0).mutableData<T>();
    const int64_t inner = rank ? outShape[rank - 1] : 1;
    const int64_t rows = inner ? numElements(outShape) / inner : 0;
    std::vector<int64_t> counter(rank, 0);
    for (int64_t row = 0; row < rows; ++row, dst += inner) {
        int64_t offset = 0;
        bool outside = false;
        for (size_t d = 0; d + 1 < rank; ++d) {
            const int64_t i = maps[d][counter[d]];
            outside = outside || i < 0;
            offset += i * strides[d];
        }
        if (rank == 0)
            dst[0] = src[0];
        else if (outside)
            std::fill(dst, dst + inner, value);
        else
            for (int64_t k = 0; k < inner; ++k) {
                const int64_t i = maps[rank - 1][k];
                dst[k] = i < 0 ? value : src[offset + i];
            }
        for (size_t d = rank - 1; rank && d-- > 0;) {
            if (++counter[d] < outShape[d])
                break;
            counter[d] = 0;
        }
    }
}

void checkPadMode(const std::string& mode)
{
    if (mode != "constant" && mode != "reflect" && mode != "edge")
        fail("pad mode '", mode, "' is not supported (constant, reflect, edge)");
}

void registerPad(OpRegistry& r)
{
    r.add("Pad")
        .doc("Pads (or crops, for negative pads) with mode constant (input 2, default 0), reflect or edge. "
             "pads (input 1) and axes (input 3, opset 18) must be known statically. Quantized: share-scale "
             "(a constant pad value of 0 is exact in any scale).")
        .numInputs(2, 4)
        .attr("mode", std::string("constant"), "constant | reflect | edge")
        .inferShape([](InferContext& ctx) {
            const Tensor& pads = ctx.requireConst(1, "pads");
            const Tensor* axes = ctx.hasInput(3) ? &ctx.requireConst(3, "axes") : nullptr;
            const std::string mode = attrOf<std::string>(ctx.node(), "mode");
            PadSpec spec = withNode(ctx, [&] {
                checkPadMode(mode);
                return padSpec(ctx.inShape(0), pads, axes);
            });
            Shape out = ctx.inShape(0);
            for (size_t d = 0; d < out.size(); ++d) {
                out[d] += spec.begin[d] + spec.end[d];
                if (out[d] < 0)
                    ctx.fail(strCat("pads crop axis ", d, " below zero"));
                if (mode != "constant" && ctx.inShape(0)[d] == 0 && out[d] > 0)
                    ctx.fail(strCat("cannot ", mode, "-pad the empty axis ", d));
            }
            ops::dispatchAnyType(ctx.inType(0), ctx.node(), [](auto) {});
            ctx.setOutput(0, ctx.inType(0), out);
        })
        .kernel([](KernelContext& ctx) {
            PadSpec spec = padSpec(ctx.in(0).shape(), ctx.in(1), ctx.hasInput(3) ? &ctx.in(3) : nullptr);
            const std::string mode = attrOf<std::string>(ctx.node(), "mode");
            ops::dispatchAnyType(ctx.in(0).dtype(), ctx.node(),
                                 [&](auto tag) { padKernelTyped<decltype(tag)>(ctx, spec, mode); });
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

} // namespace

void registerSliceOps(OpRegistry& r)
{
    registerSlice(r);
    registerSplit(r);
    registerGather(r);
    registerPad(r);
}

} // namespace tessera
