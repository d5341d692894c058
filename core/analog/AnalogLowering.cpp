#include "core/analog/AnalogLowering.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ops/Im2col.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>
#include <limits>

namespace tessera::analog {

namespace {

const Tensor& constantInput(const Graph& graph, const Node& node, size_t i, const char* what)
{
    if (!node.hasInput(i) || !graph.value(node.inputs[i]).isConstant())
        fail(describeNode(node), ": ", what, " must be a constant to run on an analog array");
    return graph.value(node.inputs[i]).constant;
}

std::vector<float> floatsOf(const Tensor& t) { return t.castTo(DType::Float32).toFloatVector(); }

Shape spatialOf(const Shape& s) { return Shape(s.begin() + 2, s.end()); }

void setActivation(const Node& node, AnalogMatmulView& view)
{
    const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
    if (act.kind == ops::FusedActivation::Kind::Relu)
        view.clampLo = 0.0;
    else if (act.kind == ops::FusedActivation::Kind::Clip) {
        view.clampLo = std::max<double>(act.lo, -1e300);
        view.clampHi = std::min<double>(act.hi, 1e300);
    }
}

void lowerConv(const Graph& graph, const Node& node, AnalogMatmulView& view)
{
    const Tensor& w = constantInput(graph, node, 1, "the weight");
    view.groups = node.attrs.getInt("group", 1);
    view.cols = w.dim(0);
    view.rows = w.numel() / view.cols;
    view.weights = floatsOf(w); // [Cout, Cin/g, k...] is already [N, K] row-major
    if (node.hasInput(2))
        view.bias = floatsOf(constantInput(graph, node, 2, "the bias"));
}

void lowerGemm(const Graph& graph, const Node& node, AnalogMatmulView& view)
{
    const Tensor& b = constantInput(graph, node, 1, "B");
    const bool transB = node.attrs.getInt("transB", 0) != 0;
    const float alpha = node.attrs.getFloat("alpha", 1.0f), beta = node.attrs.getFloat("beta", 1.0f);
    const std::vector<float> bv = floatsOf(b);
    view.rows = transB ? b.dim(1) : b.dim(0);
    view.cols = transB ? b.dim(0) : b.dim(1);
    view.weights.resize(bv.size());
    for (int64_t n = 0; n < view.cols; ++n)
        for (int64_t k = 0; k < view.rows; ++k)
            view.weights[n * view.rows + k] = alpha * (transB ? bv[n * view.rows + k] : bv[k * view.cols + n]);
    if (!node.hasInput(2))
        return;
    const std::vector<float> c = floatsOf(constantInput(graph, node, 2, "C"));
    if (static_cast<int64_t>(c.size()) != view.cols && c.size() != 1)
        fail(describeNode(node), ": C with ", c.size(), " elements is not a per-column bias; not lowerable to analog");
    view.bias.resize(static_cast<size_t>(view.cols));
    for (int64_t n = 0; n < view.cols; ++n)
        view.bias[n] = beta * c[c.size() == 1 ? 0 : n];
}

void lowerMatMul(const Graph& graph, const Node& node, AnalogMatmulView& view)
{
    const Tensor& b = constantInput(graph, node, 1, "B");
    if (b.rank() != 2 || graph.value(node.inputs[0]).shape.size() < 2)
        fail(describeNode(node), ": only [.., M, K] x constant [K, N] MatMul runs on an analog array");
    const std::vector<float> bv = floatsOf(b);
    view.rows = b.dim(0);
    view.cols = b.dim(1);
    view.weights.resize(bv.size());
    for (int64_t n = 0; n < view.cols; ++n)
        for (int64_t k = 0; k < view.rows; ++k)
            view.weights[n * view.rows + k] = bv[k * view.cols + n];
}

ops::Geometry convGeometry(const Graph& graph, const Node& node)
{
    const Shape& x = graph.value(node.inputs[0]).shape;
    const Shape& w = graph.value(node.inputs[1]).shape;
    const Shape& y = graph.value(node.outputs[0]).shape;
    return ops::makeGeometry(ops::convWindow(node, spatialOf(x), spatialOf(w), false), spatialOf(x), spatialOf(y));
}

} // namespace

bool isAnalogPlaced(const Graph& graph, const Node& node)
{
    return node.op && node.op->quantPolicyValue() == QuantPolicy::AnalogMatmul &&
           node.op->placeNode(node, graph).placement == Placement::Analog;
}

bool isLowerableAnalogNode(const Graph& graph, const Node& node)
{
    if (!isAnalogPlaced(graph, node))
        return false;
    if (node.opType == "Conv")
        return true;
    if (node.opType == "Gemm") {
        if (node.attrs.getInt("transA", 0) != 0)
            return false;
        if (!node.hasInput(2))
            return true;
        const Value& c = graph.value(node.inputs[2]);
        const Value& b = graph.value(node.inputs[1]);
        const int64_t n = node.attrs.getInt("transB", 0) ? b.shape[0] : b.shape[1];
        return c.isConstant() && (c.constant.numel() == 1 || c.constant.numel() == n);
    }
    if (node.opType == "MatMul")
        return graph.value(node.inputs[1]).shape.size() == 2 && graph.value(node.inputs[0]).shape.size() >= 2;
    return false;
}

AnalogMatmulView lowerAnalogNode(const Graph& graph, const Node& node)
{
    if (!isLowerableAnalogNode(graph, node))
        fail(describeNode(node), ": not lowerable to an analog matmul");
    AnalogMatmulView view;
    view.nodeName = node.name;
    view.opType = node.opType;
    if (node.opType == "Conv")
        lowerConv(graph, node, view);
    else if (node.opType == "Gemm")
        lowerGemm(graph, node, view);
    else
        lowerMatMul(graph, node, view);
    setActivation(node, view);
    return view;
}

std::vector<int32_t> analogInputMatrix(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                                       const Tensor& inputCodes, int64_t& m)
{
    const int32_t* codes = inputCodes.data<int32_t>();
    const int64_t kTotal = view.groups * view.rows;
    if (node.opType != "Conv") { // Gemm / MatMul: rows of A are the array's input vectors
        m = inputCodes.numel() / view.rows;
        return std::vector<int32_t>(codes, codes + inputCodes.numel());
    }
    const ops::Geometry g = convGeometry(graph, node);
    const Shape& xs = inputCodes.shape();
    const int64_t batch = xs[0], channels = xs[1], perGroup = channels / view.groups, outSize = g.outSize();
    m = batch * outSize;
    std::vector<int32_t> x(static_cast<size_t>(m * kTotal));
    std::vector<float> planes(static_cast<size_t>(perGroup * g.inSize())), col(static_cast<size_t>(view.rows * outSize));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t grp = 0; grp < view.groups; ++grp) {
            const int32_t* src = codes + (b * channels + grp * perGroup) * g.inSize();
            std::copy(src, src + planes.size(), planes.begin()); // codes are exact in float (< 2^24)
            ops::im2col(g, planes.data(), perGroup, col.data());
            for (int64_t r = 0; r < view.rows; ++r)
                for (int64_t p = 0; p < outSize; ++p)
                    x[(b * outSize + p) * kTotal + grp * view.rows + r] = static_cast<int32_t>(col[r * outSize + p]);
        }
    return x;
}

void scatterAnalogOutput(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                         const std::vector<int32_t>& y, Tensor& outputCodes)
{
    int32_t* out = outputCodes.mutableData<int32_t>();
    if (node.opType != "Conv") {
        std::copy(y.begin(), y.end(), out);
        return;
    }
    const Shape& ys = outputCodes.shape();
    const int64_t batch = ys[0], n = view.cols, outSize = outputCodes.numel() / (batch * n);
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t p = 0; p < outSize; ++p)
            for (int64_t c = 0; c < n; ++c)
                out[(b * n + c) * outSize + p] = y[(b * outSize + p) * n + c];
}

int64_t vectorsPerRun(const Graph& graph, const Node& node, const AnalogMatmulView& view)
{
    return numElements(graph.value(node.outputs[0]).shape) / std::max<int64_t>(1, view.cols);
}

} // namespace tessera::analog
