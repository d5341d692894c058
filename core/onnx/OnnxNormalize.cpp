#include "core/onnx/OnnxNormalize.h"

#include "core/Error.h"

#include <functional>
#include <map>

namespace tessera::onnximport {

namespace {

std::string describe(const NodeDraft& node)
{
    return strCat(node.opType, " node '", node.name, "'");
}

ValueId addConst(Graph& graph, const NodeDraft& node, const std::string& what, Tensor value)
{
    return graph.addConstant(graph.uniqueValueName(strCat(node.name, "_", what)), std::move(value));
}

ValueId int64Input(Graph& graph, const NodeDraft& node, const std::string& what, const std::vector<int64_t>& values)
{
    return addConst(graph, node, what, Tensor::fromVector<int64_t>(values, {static_cast<int64_t>(values.size())}));
}

// Makes input slot `index` exist (kNoValue-padded) and sets it.
void setInput(NodeDraft& node, size_t index, ValueId value)
{
    if (node.inputs.size() <= index)
        node.inputs.resize(index + 1, kNoValue);
    node.inputs[index] = value;
}

// Moves int-list attribute `attr` to input `index` as an int64 constant, if present.
void intsAttrToInput(NodeDraft& node, Graph& graph, const std::string& attr, size_t index)
{
    if (!node.attrs.has(attr))
        return;
    std::vector<int64_t> values = node.attrs.getInts(attr);
    node.attrs.erase(attr);
    setInput(node, index, int64Input(graph, node, attr, values));
}

// Drops trailing omitted inputs so arity checks see the real count.
void trimOmittedInputs(NodeDraft& node)
{
    while (!node.inputs.empty() && node.inputs.back() == kNoValue)
        node.inputs.pop_back();
}

void clipToInputs(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset >= 11)
        return;
    for (auto [attr, index] : {std::pair<const char*, size_t>{"min", 1}, {"max", 2}}) {
        if (!node.attrs.has(attr))
            continue;
        setInput(node, index, addConst(graph, node, attr, Tensor::scalar<float>(node.attrs.getFloat(attr, 0.f))));
        node.attrs.erase(attr);
    }
}

void padToInputs(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset >= 11)
        return;
    const char* padsName = node.attrs.has("pads") ? "pads" : "paddings"; // opset 1 spelling
    if (!node.attrs.has(padsName))
        fail(describe(node), ": has no 'pads' attribute");
    intsAttrToInput(node, graph, padsName, 1);
    float value = node.attrs.getFloat("value", 0.f);
    node.attrs.erase("value");
    setInput(node, 2, addConst(graph, node, "value", Tensor::scalar<float>(value)));
}

void sliceToInputs(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset >= 10)
        return;
    if (!node.attrs.has("starts") || !node.attrs.has("ends"))
        fail(describe(node), ": opset ", opset, " Slice needs 'starts' and 'ends' attributes");
    intsAttrToInput(node, graph, "starts", 1);
    intsAttrToInput(node, graph, "ends", 2);
    intsAttrToInput(node, graph, "axes", 3);
}

void splitToInput(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset < 13)
        intsAttrToInput(node, graph, "split", 1);
}

void axesToInput(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset < 13)
        intsAttrToInput(node, graph, "axes", 1);
}

// ReduceMean keeps axes as an attribute (opset 13 form); opset 18 passes them as input 1.
void reduceAxesToAttribute(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset < 18 || node.inputs.size() < 2)
        return;
    ValueId axes = node.inputs[1];
    if (axes != kNoValue) {
        const Value& v = graph.value(axes);
        if (!v.isConstant())
            fail(describe(node), ": axes input '", v.name, "' is computed at run time; only constant axes are supported");
        node.attrs.set("axes", v.constant.toInt64Vector());
    }
    node.inputs.resize(1);
}

// Resize-10 has (X, scales); 11+ has (X, roi, scales, sizes). Empty roi/scales constants
// (how 11/12 exporters said "not given") become omitted inputs.
void resizeToLatest(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset < 11) {
        if (node.inputs.size() != 2)
            fail(describe(node), ": opset 10 Resize needs 2 inputs (X, scales), has ", node.inputs.size());
        node.inputs = {node.inputs[0], kNoValue, node.inputs[1]};
        // Resize-10 computes source coordinates as x_out / scale and picks nearest by floor.
        node.attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
        node.attrs.set("nearest_mode", std::string("floor"));
        return;
    }
    for (size_t i : {size_t(1), size_t(2)})
        if (i < node.inputs.size() && node.inputs[i] != kNoValue) {
            const Value& v = graph.value(node.inputs[i]);
            if (v.isConstant() && v.constant.numel() == 0)
                node.inputs[i] = kNoValue;
        }
    trimOmittedInputs(node);
}

// Upsample (deprecated) is Resize with asymmetric coordinates and floor for nearest.
void upsampleToResize(NodeDraft& node, int64_t opset, Graph& graph)
{
    ValueId scales = kNoValue;
    if (node.attrs.has("scales")) { // opset 7/8 form
        std::vector<float> s = node.attrs.getFloats("scales");
        scales = addConst(graph, node, "scales", Tensor::fromVector<float>(s, {static_cast<int64_t>(s.size())}));
        node.attrs.erase("scales");
    } else if (node.inputs.size() >= 2 && node.inputs[1] != kNoValue && graph.value(node.inputs[1]).isConstant()) {
        scales = node.inputs[1];
    } else {
        return; // computed scales: left as Upsample, reported as unsupported
    }
    std::string mode = node.attrs.getString("mode", "nearest");
    node.opType = "Resize";
    node.inputs = {node.inputs.at(0), kNoValue, scales};
    node.attrs = {};
    node.attrs.set("mode", mode == "bilinear" ? std::string("linear") : mode);
    node.attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
    node.attrs.set("nearest_mode", std::string("floor"));
}

// Opset 6 binary ops broadcast only with broadcast=1, aligning B's dims at `axis` of A.
// Numpy broadcasting (opset 7+) aligns at the end, so: trailing-aligned -> drop the
// attributes; a constant B aligned elsewhere -> reshape it with trailing 1s.
void legacyBroadcast(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset >= 7)
        return;
    const bool hasAxis = node.attrs.has("axis");
    const int64_t axis = node.attrs.getInt("axis", 0);
    node.attrs.erase("broadcast");
    node.attrs.erase("axis");
    if (!hasAxis || node.inputs.size() != 2 || node.inputs[0] == kNoValue || node.inputs[1] == kNoValue)
        return;
    const Value& a = graph.value(node.inputs[0]);
    const Value& b = graph.value(node.inputs[1]);
    if (a.dtype == DType::Undefined || b.dtype == DType::Undefined)
        fail(describe(node), ": opset ", opset, " broadcast with 'axis' on a computed tensor is not supported; "
             "re-export the model with opset 7 or newer");
    const int64_t rankA = static_cast<int64_t>(a.shape.size()), rankB = static_cast<int64_t>(b.shape.size());
    const int64_t start = axis < 0 ? axis + rankA : axis;
    if (start + rankB == rankA)
        return;
    if (start < 0 || start + rankB > rankA || !b.isConstant())
        fail(describe(node), ": opset ", opset, " broadcast of ", shapeToString(b.shape), " at axis ", axis, " of ",
             shapeToString(a.shape), " cannot be expressed with numpy broadcasting");
    Shape aligned = b.shape;
    aligned.resize(static_cast<size_t>(rankA - start), 1);
    node.inputs[1] = addConst(graph, node, "aligned", b.constant.reshaped(aligned));
}

// PRelu-6 applies a 1-D slope per channel (axis 1); PRelu-7 broadcasts it numpy-style
// (against the last axis), so the slope gets trailing 1s.
void preluSlopePerChannel(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (opset >= 7 || node.inputs.size() != 2 || node.inputs[1] == kNoValue)
        return;
    const Value& x = graph.value(node.inputs[0]);
    const Value& slope = graph.value(node.inputs[1]);
    if (slope.shape.size() != 1 || numElements(slope.shape) == 1)
        return;
    if (x.dtype == DType::Undefined || !slope.isConstant())
        fail(describe(node), ": opset ", opset, " per-channel slope needs a constant slope and an input of known rank; "
             "re-export the model with opset 7 or newer");
    if (x.shape.size() <= 2)
        return;
    Shape perChannel(x.shape.size() - 1, 1);
    perChannel[0] = slope.shape[0];
    node.inputs[1] = addConst(graph, node, "slope", slope.constant.reshaped(perChannel));
}

void dropBroadcastFlag(NodeDraft& node, int64_t opset, Graph&)
{
    if (opset < 7)
        node.attrs.erase("broadcast"); // Gemm-6: C broadcasts unidirectionally either way
}

void dropLegacyFlags(NodeDraft& node, int64_t, Graph&)
{
    node.attrs.erase("spatial");
    node.attrs.erase("is_test");
}

// Softmax/LogSoftmax before opset 13 flatten to 2-D at `axis`; the kernel needs to know.
void recordOpset(NodeDraft& node, int64_t opset, Graph&)
{
    node.attrs.set("onnx_opset", opset);
}

using Normalizer = std::function<void(NodeDraft&, int64_t, Graph&)>;

const std::map<std::string, Normalizer>& normalizers()
{
    static const std::map<std::string, Normalizer> table = {
        {"Clip", clipToInputs},
        {"Pad", padToInputs},
        {"Slice", sliceToInputs},
        {"Split", splitToInput},
        {"Squeeze", axesToInput},
        {"Unsqueeze", axesToInput},
        {"ReduceMean", reduceAxesToAttribute},
        {"Resize", resizeToLatest},
        {"Upsample", upsampleToResize},
        {"BatchNormalization", dropLegacyFlags},
        {"Dropout", dropLegacyFlags},
        {"Add", legacyBroadcast},
        {"Sub", legacyBroadcast},
        {"Mul", legacyBroadcast},
        {"Div", legacyBroadcast},
        {"Pow", legacyBroadcast},
        {"And", legacyBroadcast},
        {"Or", legacyBroadcast},
        {"Xor", legacyBroadcast},
        {"Equal", legacyBroadcast},
        {"Greater", legacyBroadcast},
        {"Less", legacyBroadcast},
        {"Gemm", dropBroadcastFlag},
        {"PRelu", preluSlopePerChannel},
        {"Softmax", recordOpset},
        {"LogSoftmax", recordOpset},
    };
    return table;
}

} // namespace

void normalizeLegacyForm(NodeDraft& node, int64_t opset, Graph& graph)
{
    if (!node.domain.empty())
        return;
    node.attrs.erase("consumed_inputs"); // opset < 6 bookkeeping, meaningless for inference
    auto it = normalizers().find(node.opType);
    if (it != normalizers().end())
        it->second(node, opset, graph);
}

} // namespace tessera::onnximport
