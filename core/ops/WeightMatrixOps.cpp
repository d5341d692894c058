// The weight-matrix column (core/WeightMatrix.h) of Conv, ConvTranspose, Gemm and MatMul.
#include "core/ops/WeightMatrixOps.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ops/Im2col.h"
#include "core/passes/PassUtils.h"

#include <numeric>

namespace tessera::ops {

namespace {

const Tensor& weightOf(const Graph& g, const Node& node) { return g.value(node.inputs[1]).constant; }

std::vector<float> floatsOf(const Tensor& t) { return t.toFloatVector(); } // any dtype, as float

Shape spatialOf(const Shape& s) { return Shape(s.begin() + 2, s.end()); }

std::string biasProblem(const Graph& g, const Node& node, int64_t channels, const char* what)
{
    if (!node.hasInput(2))
        return {};
    const Value& b = g.value(node.inputs[2]);
    if (!b.isConstant())
        return strCat(what, " is computed at run time");
    if (b.constant.numel() != channels && b.constant.numel() != 1)
        return strCat(what, " with ", b.constant.numel(), " elements is not one per output channel");
    return {};
}

std::vector<float> biasOf(const Graph& g, const Node& node, int64_t channels, float factor)
{
    if (!node.hasInput(2))
        return {};
    const std::vector<float> c = floatsOf(g.value(node.inputs[2]).constant);
    std::vector<float> bias(static_cast<size_t>(channels));
    for (int64_t n = 0; n < channels; ++n)
        bias[n] = factor * c[c.size() == 1 ? 0 : n];
    return bias;
}

// The view from the stored weights through the op's storedIndex.
WeightMatrix gather(const Graph& g, const Node& node, WeightMatrix v, const WeightMatrixDef& def, float factor)
{
    const std::vector<float> w = floatsOf(weightOf(g, node));
    const std::vector<int64_t> index = def.storedIndex(g, node, v);
    v.weights.resize(index.size());
    for (size_t i = 0; i < index.size(); ++i)
        v.weights[i] = factor * w[index[i]];
    return v;
}

// Replaces constant input `i` (kept dtype; new shape) by `values`.
void replaceInput(Graph& g, NodeId id, size_t i, const std::vector<float>& values, const Shape& shape,
                  DType type, const std::string& base)
{
    Tensor t = Tensor::fromVector(values, shape);
    if (type != DType::Float32 && type != DType::Undefined)
        t = t.castTo(type);
    const ValueId nv = passes::addDerivedConstant(g, base, std::move(t));
    Node& node = g.node(id);
    if (node.inputs.size() <= i)
        node.inputs.resize(i + 1, kNoValue);
    node.inputs[i] = nv;
}

// Generic write-back: stored weights from the view (through storedIndex), bias as input 2,
// folded attributes set neutral.
void writeBackStored(Graph& g, NodeId id, const WeightMatrix& v, const WeightMatrixDef& def)
{
    const Value& old = g.value(g.node(id).inputs[1]);
    const Shape shape = old.constant.shape();
    const DType type = old.constant.dtype();
    const std::string name = old.name; // `old` dangles once a value is added
    const std::vector<int64_t> index = def.storedIndex(g, g.node(id), v);
    std::vector<float> w(static_cast<size_t>(numElements(shape)), 0.0f);
    for (size_t i = 0; i < index.size(); ++i)
        w[index[i]] = v.weights[i];
    replaceInput(g, id, 1, w, shape, type, name);
    if (!v.bias.empty()) {
        const Node& node = g.node(id);
        const DType bt = node.hasInput(2) ? g.value(node.inputs[2]).constant.dtype() : DType::Float32;
        replaceInput(g, id, 2, v.bias, Shape{static_cast<int64_t>(v.bias.size())}, bt, node.name + "_bias");
    }
    for (const auto& [attr, value] : def.foldedAttrs.all())
        g.node(id).attrs.set(attr, value);
}

void writeBackAsStored(Graph& g, NodeId id, const WeightMatrix& v)
{
    writeBackStored(g, id, v, *weightMatrixDef(g.node(id)));
}

// Identity scatter: rows of A in, rows of Y out.
ScatterMap identityMap(const Graph& g, const Node& node, const WeightMatrix&)
{
    ScatterMap map(static_cast<size_t>(numElements(g.value(node.outputs[0]).shape)));
    std::iota(map.begin(), map.end(), int64_t{0});
    return map;
}

// Rows of A are the input vectors.
std::vector<float> rowsOfA(const Graph&, const Node&, const WeightMatrix& v, const Tensor& x, int64_t& m)
{
    m = x.numel() / v.rows;
    return floatsOf(x);
}

std::vector<int64_t> transposedIndex(int64_t rows, int64_t cols) // view [N, K] of a stored [K, N]
{
    std::vector<int64_t> index(static_cast<size_t>(rows * cols));
    for (int64_t n = 0; n < cols; ++n)
        for (int64_t k = 0; k < rows; ++k)
            index[n * rows + k] = k * cols + n;
    return index;
}

// ---- Conv ---------------------------------------------------------------------------

ops::Geometry convGeometry(const Graph& g, const Node& node)
{
    const Shape& x = g.value(node.inputs[0]).shape;
    const Shape& w = g.value(node.inputs[1]).shape;
    const Shape& y = g.value(node.outputs[0]).shape;
    return ops::makeGeometry(ops::convWindow(node, spatialOf(x), spatialOf(w), false), spatialOf(x), spatialOf(y));
}

std::vector<float> convInputs(const Graph& g, const Node& node, const WeightMatrix& v, const Tensor& x, int64_t& m)
{
    const ops::Geometry geo = convGeometry(g, node);
    const std::vector<float> xf = floatsOf(x);
    const int64_t batch = x.dim(0), channels = x.dim(1), perGroup = channels / v.groups, outSize = geo.outSize();
    const int64_t kTotal = v.groups * v.rows;
    m = batch * outSize;
    std::vector<float> out(static_cast<size_t>(m * kTotal)), col(static_cast<size_t>(v.rows * outSize));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t grp = 0; grp < v.groups; ++grp) {
            ops::im2col(geo, xf.data() + (b * channels + grp * perGroup) * geo.inSize(), perGroup, col.data());
            for (int64_t r = 0; r < v.rows; ++r)
                for (int64_t p = 0; p < outSize; ++p)
                    out[(b * outSize + p) * kTotal + grp * v.rows + r] = col[r * outSize + p];
        }
    return out;
}

// Column results [pixels, Cout] -> NC... output.
ScatterMap channelsFirstMap(const Graph& g, const Node& node, const WeightMatrix& v)
{
    const Shape& ys = g.value(node.outputs[0]).shape;
    const int64_t batch = ys[0], n = v.cols, outSize = numElements(ys) / (batch * n);
    ScatterMap map(static_cast<size_t>(numElements(ys)));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t p = 0; p < outSize; ++p)
            for (int64_t c = 0; c < n; ++c)
                map[(b * outSize + p) * n + c] = (b * n + c) * outSize + p;
    return map;
}

WeightMatrixDef convDef()
{
    WeightMatrixDef def;
    def.whyNotLowerable = [](const Graph& g, const Node& node) {
        return biasProblem(g, node, weightOf(g, node).dim(0), "the bias");
    };
    def.storedIndex = [](const Graph& g, const Node& node, const WeightMatrix&) {
        std::vector<int64_t> index(static_cast<size_t>(weightOf(g, node).numel()));
        std::iota(index.begin(), index.end(), int64_t{0}); // [Cout, Cin/g, k...] is already [N, K]
        return index;
    };
    def.storedOutAxis = [](const Node&) { return int64_t{0}; };
    def.view = [](const Graph& g, const Node& node) {
        const Tensor& w = weightOf(g, node);
        WeightMatrix v;
        v.groups = attrOf<int64_t>(node, "group");
        v.cols = w.dim(0);
        v.rows = w.numel() / v.cols;
        v.rowsPerInChannel = v.rows / w.dim(1);
        v.bias = biasOf(g, node, v.cols, 1.0f);
        return gather(g, node, std::move(v), *weightMatrixDef(node), 1.0f);
    };
    def.inputVectors = convInputs;
    def.scatterMap = channelsFirstMap;
    def.writeBack = writeBackAsStored;
    return def;
}

// ---- ConvTranspose ------------------------------------------------------------------
// W [Cin, Cout/G, k...]: column (g, j, tap) = g * (Cout/G) k + j k + tap, row = input
// channel within the group. One input pixel's channels are one input vector; its column
// results are the taps' contributions, summed by col2im.

struct ConvTransposeShape {
    int64_t inPerGroup, outPerGroup, taps;
};

ConvTransposeShape convTransposeShape(const Graph& g, const Node& node)
{
    const Tensor& w = weightOf(g, node);
    const int64_t groups = attrOf<int64_t>(node, "group");
    return {w.dim(0) / groups, w.dim(1), w.numel() / (w.dim(0) * w.dim(1))};
}

// The transposed conv's geometry: the output Y is the padded side, the input X has one
// element per window position (as in the FP32 kernel).
ops::Geometry convTransposeGeometry(const Graph& g, const Node& node)
{
    const Shape& x = g.value(node.inputs[0]).shape;
    const Shape& w = g.value(node.inputs[1]).shape;
    const Shape& y = g.value(node.outputs[0]).shape;
    return ops::makeGeometry(ops::convTransposeWindow(node, spatialOf(x), spatialOf(w)), spatialOf(y), spatialOf(x));
}

std::vector<float> pixelVectors(const Graph&, const Node&, const WeightMatrix&, const Tensor& x, int64_t& m)
{
    const std::vector<float> xf = floatsOf(x);
    const int64_t batch = x.dim(0), channels = x.dim(1), size = x.numel() / (batch * channels);
    m = batch * size;
    std::vector<float> out(xf.size());
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t c = 0; c < channels; ++c)
            for (int64_t p = 0; p < size; ++p)
                out[(b * size + p) * channels + c] = xf[(b * channels + c) * size + p];
    return out;
}

// Output pixel of (tap, input pixel), -1 where the tap falls outside the output.
std::vector<int64_t> tapTargets(const ops::Geometry& geo)
{
    const int64_t xSize = geo.outSize();
    std::vector<int64_t> target(static_cast<size_t>(geo.kernelSize() * xSize), -1);
    ops::forEachKernelOffset(geo, [&](int64_t kd, int64_t kh, int64_t kw, int64_t k) {
        ops::forEachWindowRun(
            geo, kd, kh, kw,
            [&](int64_t o, int64_t n, int64_t i) {
                for (int64_t j = 0; j < n; ++j)
                    target[k * xSize + o + j] = i + j * geo.stride[2];
            },
            [](int64_t, int64_t) {});
    });
    return target;
}

ScatterMap col2imMap(const Graph& g, const Node& node, const WeightMatrix& v)
{
    const ops::Geometry geo = convTransposeGeometry(g, node);
    const std::vector<int64_t> target = tapTargets(geo);
    const ConvTransposeShape cs = convTransposeShape(g, node);
    const int64_t batch = g.value(node.inputs[0]).shape[0], xSize = geo.outSize(), ySize = geo.inSize();
    const int64_t perGroup = cs.outPerGroup * cs.taps, cout = v.outChannels();
    ScatterMap map(static_cast<size_t>(batch * xSize * v.cols));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t p = 0; p < xSize; ++p)
            for (int64_t n = 0; n < v.cols; ++n) {
                const int64_t grp = n / perGroup, j = (n % perGroup) / cs.taps, tap = n % cs.taps;
                const int64_t t = target[tap * xSize + p];
                map[(b * xSize + p) * v.cols + n] = t < 0 ? -1 : (b * cout + grp * cs.outPerGroup + j) * ySize + t;
            }
    return map;
}

} // namespace

WeightMatrixDef convWeightMatrix() { return convDef(); }

WeightMatrixDef convTransposeWeightMatrix()
{
    WeightMatrixDef def;
    def.whyNotLowerable = [](const Graph& g, const Node& node) {
        return biasProblem(g, node, weightOf(g, node).dim(1) * attrOf<int64_t>(node, "group"), "the bias");
    };
    def.storedIndex = [](const Graph& g, const Node& node, const WeightMatrix& v) {
        const ConvTransposeShape cs = convTransposeShape(g, node);
        const int64_t perGroup = cs.outPerGroup * cs.taps;
        std::vector<int64_t> index(static_cast<size_t>(v.cols * v.rows));
        for (int64_t n = 0; n < v.cols; ++n)
            for (int64_t k = 0; k < v.rows; ++k)
                index[n * v.rows + k] = ((n / perGroup) * cs.inPerGroup + k) * perGroup + n % perGroup;
        return index;
    };
    // Axis 1 holds Cout/G: the output channels only when there is one group.
    def.storedOutAxis = [](const Node& node) { return attrOf<int64_t>(node, "group") == 1 ? int64_t{1} : int64_t{-1}; };
    def.view = [](const Graph& g, const Node& node) {
        const ConvTransposeShape cs = convTransposeShape(g, node);
        WeightMatrix v;
        v.groups = attrOf<int64_t>(node, "group");
        v.rows = cs.inPerGroup;
        v.cols = v.groups * cs.outPerGroup * cs.taps;
        v.colsPerOutChannel = cs.taps;
        v.scatter = OutputScatter::SumBeforeEpilogue;
        v.bias = biasOf(g, node, v.outChannels(), 1.0f);
        return gather(g, node, std::move(v), *weightMatrixDef(node), 1.0f);
    };
    def.inputVectors = pixelVectors;
    def.scatterMap = col2imMap;
    def.writeBack = writeBackAsStored;
    return def;
}

WeightMatrixDef gemmWeightMatrix()
{
    WeightMatrixDef def;
    def.channelAxis = -1;
    def.whyNotLowerable = [](const Graph& g, const Node& node) -> std::string {
        if (attrOf<int64_t>(node, "transA") != 0)
            return "transA = 1 (A stored [K, M]) is not an array input";
        if (weightOf(g, node).rank() != 2)
            return "B is not a matrix";
        const Tensor& b = weightOf(g, node);
        return biasProblem(g, node, attrOf<int64_t>(node, "transB") ? b.dim(0) : b.dim(1), "C");
    };
    def.storedIndex = [](const Graph&, const Node& node, const WeightMatrix& v) {
        if (attrOf<int64_t>(node, "transB") == 0)
            return transposedIndex(v.rows, v.cols);
        std::vector<int64_t> index(static_cast<size_t>(v.rows * v.cols));
        std::iota(index.begin(), index.end(), int64_t{0});
        return index;
    };
    def.storedOutAxis = [](const Node& node) { return attrOf<int64_t>(node, "transB") ? int64_t{0} : int64_t{1}; };
    def.foldedAttrs.set("alpha", 1.0f);
    def.foldedAttrs.set("beta", 1.0f);
    def.view = [](const Graph& g, const Node& node) {
        const Tensor& b = weightOf(g, node);
        const bool transB = attrOf<int64_t>(node, "transB") != 0;
        WeightMatrix v;
        v.rows = transB ? b.dim(1) : b.dim(0);
        v.cols = transB ? b.dim(0) : b.dim(1);
        v.bias = biasOf(g, node, v.cols, attrOf<float>(node, "beta"));
        return gather(g, node, std::move(v), *weightMatrixDef(node), attrOf<float>(node, "alpha"));
    };
    def.inputVectors = rowsOfA;
    def.scatterMap = identityMap;
    def.writeBack = writeBackAsStored;
    return def;
}

WeightMatrixDef matmulWeightMatrix()
{
    WeightMatrixDef def;
    def.channelAxis = -1;
    def.whyNotLowerable = [](const Graph& g, const Node& node) -> std::string {
        if (weightOf(g, node).rank() != 2 || g.value(node.inputs[0]).shape.size() < 2)
            return "only [.., M, K] x constant [K, N] MatMul runs on an analog array";
        return {};
    };
    def.storedIndex = [](const Graph&, const Node&, const WeightMatrix& v) { return transposedIndex(v.rows, v.cols); };
    def.storedOutAxis = [](const Node&) { return int64_t{1}; };
    def.view = [](const Graph& g, const Node& node) {
        const Tensor& b = weightOf(g, node);
        WeightMatrix v;
        v.rows = b.dim(0);
        v.cols = b.dim(1);
        return gather(g, node, std::move(v), *weightMatrixDef(node), 1.0f);
    };
    def.inputVectors = rowsOfA;
    def.scatterMap = identityMap;
    def.writeBack = [](Graph& g, NodeId id, const WeightMatrix& v) {
        for (float b : v.bias)
            if (b != 0.0f)
                fail(describeNode(g.node(id)), ": MatMul has no bias input to write a bias into");
        WeightMatrix noBias = v;
        noBias.bias.clear();
        writeBackAsStored(g, id, noBias);
    };
    return def;
}

} // namespace tessera::ops
