// Torch forwards of the activations, elementwise arithmetic, Softmax, Concat, Pad and the
// data-movement ops. Formulas are written as core's kernels write them (HardSwish as
// x * clamp(x / 6 + 1/2, 0, 1)), so the forward matches the FP32 executor.
#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ops/OpHelpers.h"
#include "quant/train/TorchOps.h"

#include <limits>

namespace tessera::train {

namespace {

using Tensors = std::vector<torch::Tensor>;
using Unary = std::function<torch::Tensor(const Node&, const torch::Tensor&)>;

TorchForward unary(Unary fn)
{
    return {[fn](const TorchOpCall& c) -> Tensors { return {fn(c.node, c.in(0))}; }};
}

TorchForward binary(torch::Tensor (*fn)(const torch::Tensor&, const torch::Tensor&))
{
    return {[fn](const TorchOpCall& c) -> Tensors { return {fn(c.in(0), c.in(1))}; }};
}

// Clip's bounds: scalar inputs 1 and 2 (opset 11+) or the opset-6 attributes; absent: none.
Tensors clipForward(const TorchOpCall& c)
{
    auto bound = [&](size_t i, const char* attr, double fallback) {
        if (c.hasInput(i))
            return c.in(i).item<double>();
        return c.node.attrs.has(attr) ? static_cast<double>(c.node.attrs.getFloat(attr, 0.0f)) : fallback;
    };
    const double inf = std::numeric_limits<double>::infinity();
    return {torch::clamp(c.in(0), bound(1, "min", -inf), bound(2, "max", inf))};
}

// Softmax / LogSoftmax: along `axis` (opset 13), or over the input coerced to 2D at `axis`
// for older opsets (the importer's onnx_opset attribute), as core's kernel does.
TorchForward softmaxLike(bool log)
{
    return {[log](const TorchOpCall& c) -> Tensors {
                const torch::Tensor& x = c.in(0);
                const bool legacy = c.node.attrs.getInt("onnx_opset", 13) < 13;
                const int64_t rank = x.dim();
                int64_t axis = c.node.attrs.getInt("axis", legacy ? 1 : -1);
                axis = axis < 0 ? axis + rank : axis;
                if (!legacy)
                    return {log ? torch::log_softmax(x, axis) : torch::softmax(x, axis)};
                int64_t outer = 1;
                for (int64_t d = 0; d < axis; ++d)
                    outer *= x.size(d);
                const torch::Tensor flat = x.reshape({outer, -1});
                const torch::Tensor y = log ? torch::log_softmax(flat, 1) : torch::softmax(flat, 1);
                return {y.reshape(x.sizes())};
            },
            {},
            !log};
}

// The data-movement ops (Reshape, Flatten, Squeeze, Unsqueeze): the output's static shape,
// with dim 0 following the batch when the graph's dim 0 is the batch on both sides.
Tensors viewForward(const TorchOpCall& c)
{
    const torch::Tensor& x = c.in(0);
    const Shape& inStatic = c.graph.value(c.node.inputs[0]).shape;
    Shape out = c.outShape(0);
    const Shape actual = x.sizes().vec();
    if (actual != inStatic) {
        const bool batchOnly = actual.size() == inStatic.size() && !actual.empty() && !out.empty() &&
                               out[0] == inStatic[0] && Shape(actual.begin() + 1, actual.end()) == Shape(inStatic.begin() + 1, inStatic.end());
        if (!batchOnly)
            fail(describeNode(c.node), ": input ", shapeToString(actual), " differs from the graph's ",
                 shapeToString(inStatic), " beyond the batch dim");
        out[0] = actual[0];
    }
    return {x.reshape(out)};
}

Tensors transposeForward(const TorchOpCall& c)
{
    std::vector<int64_t> perm = attrOf<std::vector<int64_t>>(c.node, "perm");
    if (perm.empty())
        for (int64_t d = c.in(0).dim(); d-- > 0;)
            perm.push_back(d);
    return {c.in(0).permute(perm)};
}

Tensors concatForward(const TorchOpCall& c)
{
    std::vector<torch::Tensor> parts;
    for (size_t i = 0; i < c.inputs.size(); ++i)
        if (c.hasInput(i))
            parts.push_back(c.in(i));
    int64_t axis = attrOf<int64_t>(c.node, "axis");
    return {torch::cat(parts, axis < 0 ? axis + parts.at(0).dim() : axis)};
}

// Constant padding (negative pads crop) on any axes; pads (input 1) and axes (input 3) are
// graph constants. reflect / edge need torch's spatial-only pads and are not built.
Tensors padForward(const TorchOpCall& c)
{
    if (attrOf<std::string>(c.node, "mode") != "constant")
        fail(describeNode(c.node), ": pad mode '", attrOf<std::string>(c.node, "mode"),
             "' is not supported by the trainer (constant only)");
    const torch::Tensor& x = c.in(0);
    const int64_t rank = x.dim();
    const std::vector<int64_t> pads = c.constant(1, "pads").toInt64Vector();
    std::vector<int64_t> axes;
    if (c.hasInput(3))
        axes = c.constant(3, "axes").toInt64Vector();
    else
        for (int64_t d = 0; d < rank; ++d)
            axes.push_back(d);
    if (pads.size() != 2 * axes.size())
        fail(describeNode(c.node), ": pads has ", pads.size(), " entries, expected ", 2 * axes.size());
    std::vector<int64_t> torchPads(2 * static_cast<size_t>(rank), 0); // last dim first
    for (size_t i = 0; i < axes.size(); ++i) {
        const int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        torchPads[2 * static_cast<size_t>(rank - 1 - a)] = pads[i];
        torchPads[2 * static_cast<size_t>(rank - 1 - a) + 1] = pads[i + axes.size()];
    }
    const double value = c.hasInput(2) ? c.in(2).item<double>() : 0.0;
    return {torch::constant_pad_nd(x, torchPads, value)};
}

void registerActivations()
{
    OpRegistry::setColumn<TorchForward>("Relu", unary([](const Node&, const torch::Tensor& x) { return torch::relu(x); }));
    OpRegistry::setColumn<TorchForward>("LeakyRelu", unary([](const Node& n, const torch::Tensor& x) {
        return torch::leaky_relu(x, attrOf<float>(n, "alpha"));
    }));
    OpRegistry::setColumn<TorchForward>("Clip", {clipForward});
    OpRegistry::setColumn<TorchForward>("Sigmoid", unary([](const Node&, const torch::Tensor& x) { return torch::sigmoid(x); }));
    OpRegistry::setColumn<TorchForward>("Tanh", unary([](const Node&, const torch::Tensor& x) { return torch::tanh(x); }));
    OpRegistry::setColumn<TorchForward>("HardSigmoid", unary([](const Node& n, const torch::Tensor& x) {
        return torch::clamp(x * attrOf<float>(n, "alpha") + attrOf<float>(n, "beta"), 0.0, 1.0);
    }));
    OpRegistry::setColumn<TorchForward>("HardSwish", unary([](const Node&, const torch::Tensor& x) {
        return x * torch::clamp(x / 6.0 + 0.5, 0.0, 1.0);
    }));
    OpRegistry::setColumn<TorchForward>("Softmax", softmaxLike(false));
    OpRegistry::setColumn<TorchForward>("LogSoftmax", softmaxLike(true));
}

} // namespace

void registerTorchPointwiseOps()
{
    registerActivations();
    OpRegistry::setColumn<TorchForward>("Add", binary([](const torch::Tensor& a, const torch::Tensor& b) { return a + b; }));
    OpRegistry::setColumn<TorchForward>("Sub", binary([](const torch::Tensor& a, const torch::Tensor& b) { return a - b; }));
    OpRegistry::setColumn<TorchForward>("Mul", binary([](const torch::Tensor& a, const torch::Tensor& b) { return a * b; }));
    OpRegistry::setColumn<TorchForward>("Div", binary([](const torch::Tensor& a, const torch::Tensor& b) { return a / b; }));
    OpRegistry::setColumn<TorchForward>("Concat", {concatForward});
    OpRegistry::setColumn<TorchForward>("Pad", {padForward});
    OpRegistry::setColumn<TorchForward>("Transpose", {transposeForward});
    for (const char* view : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"})
        OpRegistry::setColumn<TorchForward>(view, {viewForward});
    for (const char* alias : {"Identity", "Dropout"}) // inference: output 0 is input 0
        OpRegistry::setColumn<TorchForward>(alias, unary([](const Node&, const torch::Tensor& x) { return x; }));
}

} // namespace tessera::train
