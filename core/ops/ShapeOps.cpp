// Ops that relabel or rearrange data without arithmetic: Shape, Constant, Reshape,
// Flatten, (Un)Squeeze, Transpose, Concat. Slicing ops (Slice, Split, Gather, Pad) are in
// SliceOps.cpp. Shape-like inputs (target shapes, axes) must be known statically: the
// compiler plans memory from static shapes.
#include "core/Error.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace tessera {

namespace {

// Shape's output for an input of `shape`, honoring opset 15's start/end (clamped).
Tensor shapeValue(const Node& node, const Shape& shape)
{
    const int64_t rank = static_cast<int64_t>(shape.size());
    auto clampAxis = [rank](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
    const int64_t start = clampAxis(attrOf<int64_t>(node, "start"));
    const int64_t end = std::max(start, clampAxis(node.attrs.getInt("end", rank)));
    return Tensor::fromVector(std::vector<int64_t>(shape.begin() + start, shape.begin() + end), {end - start});
}

void registerShape(OpRegistry& r)
{
    r.add("Shape")
        .doc("The input's shape as int64 (opset 15 start/end select a clamped range of axes). Known at "
             "inference, so Shape->Gather->Concat->Reshape targets fold. Free data movement; shape-only.")
        .attr("start", int64_t(0))
        .attr("end", int64_t(0), "default: the rank")
        .inferShape([](InferContext& ctx) { ctx.setOutputValue(0, shapeValue(ctx.node(), ctx.inShape(0))); })
        .kernel([](KernelContext& ctx) {
            Tensor value = shapeValue(ctx.node(), ctx.in(0).shape());
            std::memcpy(ctx.out(0).mutableRawData(), value.rawData(), value.byteSize());
        })
        .placement(ops::freeDataMovement)
        .cost(ops::noArithmetic)
        .quantPolicy(QuantPolicy::ShapeOnly);
}

Tensor constantValue(const Attributes& attrs)
{
    if (attrs.has("value"))
        return attrs.getTensor("value");
    if (attrs.has("value_float"))
        return Tensor::scalar<float>(attrs.getFloat("value_float", 0.0f));
    if (attrs.has("value_floats")) {
        std::vector<float> v = attrs.getFloats("value_floats");
        return Tensor::fromVector(v, {static_cast<int64_t>(v.size())});
    }
    if (attrs.has("value_int"))
        return Tensor::scalar<int64_t>(attrs.getInt("value_int", 0));
    if (attrs.has("value_ints")) {
        std::vector<int64_t> v = attrs.getInts("value_ints");
        return Tensor::fromVector(v, {static_cast<int64_t>(v.size())});
    }
    fail("needs one of the attributes value, value_float(s), value_int(s) (sparse and string values are not "
         "supported)");
}

void registerConstant(OpRegistry& r)
{
    r.add("Constant")
        .doc("A constant tensor from attribute value / value_float / value_floats / value_int / value_ints. "
             "The importer turns these into initializers. Free data movement; share-scale.")
        .numInputs(0)
        .inferShape([](InferContext& ctx) {
            try {
                ctx.setOutputValue(0, constantValue(ctx.attrs()));
            } catch (const Error& e) {
                ctx.fail(e.what());
            }
        })
        .kernel([](KernelContext& ctx) {
            Tensor value = constantValue(ctx.attrs());
            std::memcpy(ctx.out(0).mutableRawData(), value.rawData(), value.byteSize());
        })
        .placement(ops::freeDataMovement)
        .cost(ops::noArithmetic)
        .quantPolicy(QuantPolicy::ShareScale);
}

void reshapeShape(InferContext& ctx)
{
    const Tensor& target = ctx.requireConst(1, "shape");
    const bool allowZero = attrOf<int64_t>(ctx.node(), "allowzero") != 0;
    const Shape& in = ctx.inShape(0);
    Shape out = target.toInt64Vector();
    int64_t inferred = -1, known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == 0 && !allowZero) {
            if (i >= in.size())
                ctx.fail(strCat("target dim ", i, " is 0 (copy) but the input has rank ", in.size()));
            out[i] = in[i];
        }
        if (out[i] == -1) {
            if (inferred >= 0)
                ctx.fail("the target shape has more than one -1");
            inferred = static_cast<int64_t>(i);
        } else if (out[i] < 0) {
            ctx.fail(strCat("target shape ", shapeToString(target.toInt64Vector()), " has a negative dimension"));
        } else if (__builtin_mul_overflow(known, out[i], &known)) {
            ctx.fail(strCat("target shape ", shapeToString(target.toInt64Vector()), " has too many elements"));
        }
    }
    const int64_t total = numElements(in);
    if (inferred >= 0) {
        if (known == 0 || total % known != 0)
            ctx.fail(strCat("cannot infer the -1 in ", shapeToString(target.toInt64Vector()), " for input ",
                            shapeToString(in)));
        out[inferred] = total / known;
    }
    if (numElements(out) != total)
        ctx.fail(strCat("cannot reshape ", shapeToString(in), " to ", shapeToString(out)));
    ctx.setOutput(0, ctx.inType(0), out);
}

void flattenShape(InferContext& ctx)
{
    const int64_t rank = ctx.inRank(0);
    int64_t axis = attrOf<int64_t>(ctx.node(), "axis");
    if (axis < -rank || axis > rank)
        ctx.fail(strCat("axis ", axis, " is out of range for rank ", rank));
    axis = axis < 0 ? axis + rank : axis;
    const Shape& in = ctx.inShape(0);
    int64_t rows = 1, cols = 1;
    for (int64_t d = 0; d < rank; ++d) {
        int64_t& side = d < axis ? rows : cols;
        if (__builtin_mul_overflow(side, in[d], &side))
            ctx.fail(strCat("input ", shapeToString(in), " has more elements than fit in 64 bits"));
    }
    ctx.setOutput(0, ctx.inType(0), {rows, cols});
}

void squeezeShape(InferContext& ctx)
{
    const Shape& in = ctx.inShape(0);
    const int64_t rank = ctx.inRank(0);
    std::vector<int64_t> axes;
    if (ctx.hasInput(1) && ctx.requireConst(1, "axes").numel() > 0)
        axes = ops::normalizeAxes(ctx, ctx.requireConst(1, "axes").toInt64Vector(), rank);
    else // absent or empty: every size-1 axis
        for (int64_t d = 0; d < rank; ++d)
            if (in[d] == 1)
                axes.push_back(d);
    Shape out;
    for (int64_t d = 0; d < rank; ++d) {
        bool squeezed = std::find(axes.begin(), axes.end(), d) != axes.end();
        if (squeezed && in[d] != 1)
            ctx.fail(strCat("cannot squeeze axis ", d, " of extent ", in[d], " (input ", shapeToString(in), ")"));
        if (!squeezed)
            out.push_back(in[d]);
    }
    ctx.setOutput(0, ctx.inType(0), out);
}

void unsqueezeShape(InferContext& ctx)
{
    const Shape& in = ctx.inShape(0);
    const std::vector<int64_t> raw = ctx.requireConst(1, "axes").toInt64Vector();
    const int64_t outRank = ctx.inRank(0) + static_cast<int64_t>(raw.size());
    std::vector<int64_t> axes = ops::normalizeAxes(ctx, raw, outRank);
    Shape out;
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
        out.push_back(std::find(axes.begin(), axes.end(), d) != axes.end() ? 1 : in[next++]);
    ctx.setOutput(0, ctx.inType(0), out);
}

void registerReshapes(OpRegistry& r)
{
    auto addView = [&r](const char* name, const std::string& doc) -> OpDef& {
        return r.add(name)
            .doc(doc + " Free data movement (same bytes, new shape); share-scale.")
            .kernel(ops::copyInput0)
            .placement(ops::freeDataMovement)
            .cost(ops::noArithmetic)
            .quantPolicy(QuantPolicy::ShareScale);
    };
    addView("Reshape", "Reshape to input 1 (must be known statically): 0 copies the input dim (unless "
                       "allowzero=1, then it means 0), -1 is inferred.")
        .numInputs(2)
        .attr("allowzero", int64_t(0))
        .inferShape(reshapeShape)
        .scalePassing(ScalePassing::Reshape);
    addView("Flatten", "To 2D [prod(dims[:axis]), prod(dims[axis:])], axis in [-rank, rank].")
        .attr("axis", int64_t(1))
        .inferShape(flattenShape)
        .scalePassing(ScalePassing::Reshape);
    addView("Squeeze", "Removes the size-1 axes listed in input 1 (known statically), or all size-1 axes.")
        .numInputs(1, 2)
        .inferShape(squeezeShape);
    addView("Unsqueeze", "Inserts size-1 axes at the output positions listed in input 1 (known statically).")
        .numInputs(2)
        .inferShape(unsqueezeShape);
}

std::vector<int64_t> transposePerm(const Attributes& attrs, int64_t rank)
{
    std::vector<int64_t> perm = attrs.getInts("perm");
    if (perm.empty()) {
        perm.resize(static_cast<size_t>(rank));
        std::iota(perm.rbegin(), perm.rend(), 0);
    }
    return perm;
}

void registerTranspose(OpRegistry& r)
{
    r.add("Transpose")
        .doc("Permutes axes: output axis i is input axis perm[i] (default: reversed). Quantized: share-scale.")
        .attr("perm", std::vector<int64_t>{}, "default: reverse the axes")
        .inferShape([](InferContext& ctx) {
            const int64_t rank = ctx.inRank(0);
            std::vector<int64_t> perm = transposePerm(ctx.attrs(), rank);
            if (static_cast<int64_t>(perm.size()) != rank)
                ctx.fail(strCat("perm has ", perm.size(), " entries for rank ", rank));
            perm = ops::normalizeAxes(ctx, perm, rank);
            Shape out;
            for (int64_t p : perm)
                out.push_back(ctx.inShape(0)[p]);
            ctx.setOutput(0, ctx.inType(0), out);
        })
        .kernel([](KernelContext& ctx) {
            const Tensor& in = ctx.in(0);
            std::vector<int64_t> perm = transposePerm(ctx.attrs(), in.rank());
            std::vector<int64_t> inStrides = ops::stridesOf(in.shape()), strides;
            for (int64_t p : perm)
                strides.push_back(inStrides[ops::normalizeAxis(p, in.rank())]);
            ops::stridedCopy(in.rawData(), ctx.out(0).mutableRawData(), dtypeSize(in.dtype()), ctx.out(0).shape(),
                             strides, 0);
        })
        .quantPolicy(QuantPolicy::ShareScale);
}

void concatShape(InferContext& ctx)
{
    const int64_t rank = ctx.inRank(0);
    if (!ctx.attrs().has("axis"))
        ctx.fail("attribute 'axis' is required");
    const int64_t axis = ops::normalizeAxis(ctx, attrOf<int64_t>(ctx.node(), "axis"), rank);
    Shape out = ctx.inShape(0);
    for (size_t i = 1; i < ctx.numInputs(); ++i) {
        const Shape& s = ctx.inShape(i);
        bool fits = static_cast<int64_t>(s.size()) == rank && ctx.inType(i) == ctx.inType(0);
        for (int64_t d = 0; fits && d < rank; ++d)
            fits = d == axis || s[d] == out[d];
        if (!fits)
            ctx.fail(strCat("input ", i, " (", dtypeName(ctx.inType(i)), shapeToString(s), ") does not fit input 0 (",
                            dtypeName(ctx.inType(0)), shapeToString(ctx.inShape(0)), ") along axis ", axis));
        out[axis] += s[axis];
    }
    ctx.setOutput(0, ctx.inType(0), out);
}

void concatKernel(KernelContext& ctx)
{
    const Shape& outShape = ctx.out(0).shape();
    const int64_t axis = ops::normalizeAxis(attrOf<int64_t>(ctx.node(), "axis"), static_cast<int64_t>(outShape.size()));
    const size_t elem = dtypeSize(ctx.out(0).dtype());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(outShape.size()); ++d) {
        if (d < axis)
            outer *= outShape[d];
        else if (d > axis)
            inner *= outShape[d];
    }
    char* out = static_cast<char*>(ctx.out(0).mutableRawData());
    const size_t outRow = static_cast<size_t>(outShape[axis] * inner) * elem;
    size_t offset = 0; // byte offset of the current input's block within an output row
    for (size_t i = 0; i < ctx.numInputs(); ++i) {
        const Tensor& in = ctx.in(i);
        const size_t block = static_cast<size_t>(in.shape()[axis] * inner) * elem;
        const char* src = static_cast<const char*>(in.rawData());
        for (int64_t o = 0; o < outer && block; ++o)
            std::memcpy(out + o * outRow + offset, src + o * block, block);
        offset += block;
    }
}

void registerConcat(OpRegistry& r)
{
    r.add("Concat")
        .doc("Joins the inputs along `axis` (required); other dims must match. Quantized: share-scale "
             "(the quantizer unifies the inputs' scales).")
        .numInputs(1, 1 << 20)
        .attr("axis", int64_t(0), "required")
        .inferShape(concatShape)
        .kernel(concatKernel)
        .quantPolicy(QuantPolicy::ShareScale);
}

} // namespace

void registerShapeOps(OpRegistry& r)
{
    registerShape(r);
    registerConstant(r);
    registerReshapes(r);
    registerTranspose(r);
    registerConcat(r);
    registerSliceOps(r);
}

} // namespace tessera
