// Torch forwards of the layers and pools: Conv (grouped and depthwise included), Gemm,
// MatMul with their fused activations, BatchNormalization (inference form), max/average
// pools and their global forms. Window geometry comes from core (ops::convWindow), so the
// padding, auto_pad and ceil_mode rules are the FP32 executor's.
#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ops/Im2col.h"
#include "core/ops/OpHelpers.h"
#include "quant/train/TorchOps.h"

#include <limits>

namespace tessera::train {

namespace {

using Tensors = std::vector<torch::Tensor>;

Shape spatialOf(const torch::Tensor& t)
{
    return Shape(t.sizes().begin() + 2, t.sizes().end());
}

// The layer's fused activation (FuseActivation: fused_activation, fused_min, fused_max).
torch::Tensor applyFused(const Node& node, const torch::Tensor& y)
{
    const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
    if (act.kind == ops::FusedActivation::Kind::Relu)
        return torch::relu(y);
    if (act.kind == ops::FusedActivation::Kind::Clip)
        return torch::clamp(y, act.lo, act.hi);
    return y;
}

// Pads the spatial dims so that an unpadded floor-mode window walk yields exactly
// w.outSpatial: the explicit pads hold `padValue`, what ceil_mode adds past them (or crops)
// holds `tailValue`.
torch::Tensor padForWindow(const torch::Tensor& x, const ops::Window& w, double padValue, double tailValue)
{
    const size_t rank = w.outSpatial.size();
    std::vector<int64_t> pads(2 * rank, 0), tail(2 * rank, 0);
    bool anyPad = false, anyTail = false;
    for (size_t i = 0; i < rank; ++i) {
        const size_t slot = 2 * (rank - 1 - i); // torch lists the last dim first
        const int64_t in = x.size(static_cast<int64_t>(2 + i));
        const int64_t needed = (w.outSpatial[i] - 1) * w.strides[i] + w.dilations[i] * (w.kernel[i] - 1) + 1;
        pads[slot] = w.padsBegin[i];
        pads[slot + 1] = w.padsEnd[i];
        tail[slot + 1] = needed - (in + w.padsBegin[i] + w.padsEnd[i]);
        anyPad = anyPad || w.padsBegin[i] || w.padsEnd[i];
        anyTail = anyTail || tail[slot + 1];
    }
    torch::Tensor y = anyPad ? torch::constant_pad_nd(x, pads, padValue) : x;
    return anyTail ? torch::constant_pad_nd(y, tail, tailValue) : y;
}

Tensors convForward(const TorchOpCall& c)
{
    const torch::Tensor& x = c.in(0);
    const torch::Tensor& w = c.in(1);
    const Shape kernel(w.sizes().begin() + 2, w.sizes().end());
    const ops::Window win = ops::convWindow(c.node, spatialOf(x), kernel, false);
    const int64_t groups = attrOf<int64_t>(c.node, "group");
    const bool symmetric = win.padsBegin == win.padsEnd;
    const torch::Tensor input = symmetric ? x : padForWindow(x, win, 0.0, 0.0);
    const Shape padding = symmetric ? win.padsBegin : Shape(kernel.size(), 0);
    const torch::Tensor bias = c.hasInput(2) ? c.in(2) : torch::Tensor();
    torch::Tensor y = torch::convolution(input, w, bias, win.strides, padding, win.dilations, false,
                                         Shape(kernel.size(), 0), groups);
    return {applyFused(c.node, y)};
}

Tensors gemmForward(const TorchOpCall& c)
{
    torch::Tensor a = attrOf<int64_t>(c.node, "transA") ? c.in(0).t() : c.in(0);
    torch::Tensor b = attrOf<int64_t>(c.node, "transB") ? c.in(1).t() : c.in(1);
    const float alpha = attrOf<float>(c.node, "alpha"), beta = attrOf<float>(c.node, "beta");
    torch::Tensor y = torch::matmul(a, b);
    if (alpha != 1.0f)
        y = y * alpha;
    if (c.hasInput(2))
        y = y + (beta == 1.0f ? c.in(2) : c.in(2) * beta);
    return {applyFused(c.node, y)};
}

Tensors matmulForward(const TorchOpCall& c)
{
    torch::Tensor y = torch::matmul(c.in(0), c.in(1));
    if (c.hasInput(2)) // the analog hook's bias argument (MatMul itself has none)
        y = y + c.in(2);
    return {applyFused(c.node, y)};
}

Tensors batchNormForward(const TorchOpCall& c)
{
    // Inference form with the stored statistics (frozen BatchNorm); scale and shift train.
    return {torch::batch_norm(c.in(0), c.in(1), c.in(2), c.in(3), c.in(4), false, 0.0,
                              attrOf<float>(c.node, "epsilon"), false)};
}

torch::Tensor poolByRank(const torch::Tensor& x, const ops::Window& w, bool max)
{
    const Shape zero(w.kernel.size(), 0);
    switch (w.kernel.size()) { // torch's pools are per spatial rank
    case 1:
        return max ? torch::max_pool1d(x, w.kernel, w.strides, zero, w.dilations) : torch::avg_pool1d(x, w.kernel, w.strides, zero);
    case 2:
        return max ? torch::max_pool2d(x, w.kernel, w.strides, zero, w.dilations) : torch::avg_pool2d(x, w.kernel, w.strides, zero);
    case 3:
        return max ? torch::max_pool3d(x, w.kernel, w.strides, zero, w.dilations) : torch::avg_pool3d(x, w.kernel, w.strides, zero);
    default:
        fail("pools of spatial rank ", w.kernel.size(), " are not supported");
    }
}

ops::Window poolWindow(const TorchOpCall& c)
{
    const Shape in = spatialOf(c.in(0));
    const Shape kernel = ops::spatialInts(c.node, "kernel_shape", in.size(), 1, 1);
    return ops::convWindow(c.node, in, kernel, attrOf<int64_t>(c.node, "ceil_mode") != 0);
}

Tensors maxPoolForward(const TorchOpCall& c)
{
    const ops::Window w = poolWindow(c);
    const double lowest = -std::numeric_limits<double>::infinity();
    return {poolByRank(padForWindow(c.in(0), w, lowest, lowest), w, true)};
}

// Window sums over the window's element counts: padded positions count only with
// count_include_pad, and never those past the explicit pads (ceil_mode), as in core.
Tensors averagePoolForward(const TorchOpCall& c)
{
    const ops::Window w = poolWindow(c);
    const bool includePad = attrOf<int64_t>(c.node, "count_include_pad") != 0;
    const torch::Tensor& x = c.in(0);
    std::vector<int64_t> maskShape{1, 1};
    for (int64_t d = 2; d < x.dim(); ++d)
        maskShape.push_back(x.size(d));
    const torch::Tensor mask = torch::ones(maskShape, x.options());
    const torch::Tensor sums = poolByRank(padForWindow(x, w, 0.0, 0.0), w, false);
    const torch::Tensor counts = poolByRank(padForWindow(mask, w, includePad ? 1.0 : 0.0, 0.0), w, false);
    return {sums / counts};
}

std::vector<int64_t> spatialDims(const torch::Tensor& x)
{
    std::vector<int64_t> dims;
    for (int64_t d = 2; d < x.dim(); ++d)
        dims.push_back(d);
    return dims;
}

} // namespace

void registerTorchLayerOps()
{
    OpRegistry::setColumn<TorchForward>("Conv", {convForward, {1, 2}});
    OpRegistry::setColumn<TorchForward>("Gemm", {gemmForward, {1, 2}});
    OpRegistry::setColumn<TorchForward>("MatMul", {matmulForward, {1}});
    OpRegistry::setColumn<TorchForward>("BatchNormalization", {batchNormForward, {1, 2}});
    OpRegistry::setColumn<TorchForward>("MaxPool", {maxPoolForward});
    OpRegistry::setColumn<TorchForward>("AveragePool", {averagePoolForward});
    OpRegistry::setColumn<TorchForward>("GlobalAveragePool", {[](const TorchOpCall& c) -> Tensors {
        return {c.in(0).mean(spatialDims(c.in(0)), true)};
    }});
    OpRegistry::setColumn<TorchForward>("GlobalMaxPool", {[](const TorchOpCall& c) -> Tensors {
        return {c.in(0).amax(spatialDims(c.in(0)), true)};
    }});
}

} // namespace tessera::train
