// Conv and ConvTranspose (1-D to 3-D, groups, dilations, pads/auto_pad), FP32.
// Conv runs as a GEMM per block of images and group whose B rows are packed straight from
// the (zero-bordered) input planes in 1-D/2-D, an im2col matrix in 3-D;
// depthwise convs (one input channel per group) use a direct loop instead.
#include "core/Error.h"
#include "core/Parallel.h"
#include "core/ops/Gemm.h"
#include "core/ops/GemmOpHelpers.h"
#include "core/ops/Im2col.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"
#include "core/ops/WeightMatrixOps.h"
#include "core/ops/Winograd.h"

#include <algorithm>
#include <limits>
#include <memory>

namespace tessera {

namespace {

using ops::Geometry;

Shape spatialOf(const Shape& shape) { return Shape(shape.begin() + 2, shape.end()); }

// Checks the optional kernel_shape attribute against the weight's spatial dims.
void checkKernelShape(const InferContext& ctx, const Shape& kernel)
{
    std::vector<int64_t> attr = ctx.attrs().getInts("kernel_shape", kernel);
    if (attr != kernel)
        ctx.fail(strCat("kernel_shape ", shapeToString(attr), " does not match the weight's spatial dims ",
                        shapeToString(kernel)));
}

void checkBias(const InferContext& ctx, int64_t channels)
{
    if (ctx.hasInput(2) && ctx.inShape(2) != Shape{channels})
        ctx.fail(strCat("bias shape ", shapeToString(ctx.inShape(2)), " does not match the ", channels,
                        " output channels"));
}

int64_t readGroup(const Node& node)
{
    int64_t group = attrOf<int64_t>(node, "group");
    if (group < 1)
        fail(describeNode(node), ": group must be >= 1, got ", group);
    return group;
}

// Checks Conv and ConvTranspose share: float inputs, spatial rank, weight rank. Returns group.
int64_t checkConvInputs(InferContext& ctx)
{
    for (size_t i = 0; i < 3; ++i)
        ops::requireFloat32(ctx, i);
    const Shape& x = ctx.inShape(0);
    const Shape& w = ctx.inShape(1);
    ops::checkSpatialRank(ctx.node(), x, "input");
    if (w.size() != x.size())
        ctx.fail(strCat("weight shape ", shapeToString(w), " must have the input's rank ", x.size()));
    return readGroup(ctx.node());
}

// Validates kernel_shape, bias and the fused attributes, then sets the output
// [N, outChannels, window...] of a Conv (or, when `transpose`, a ConvTranspose).
void setConvOutput(InferContext& ctx, int64_t outChannels, bool transpose)
{
    const Shape kernel = spatialOf(ctx.inShape(1));
    checkKernelShape(ctx, kernel);
    checkBias(ctx, outChannels);
    ops::FusedActivation::fromAttrs(ctx.attrs());
    const Shape inSpatial = spatialOf(ctx.inShape(0));
    ops::Window window = transpose ? ops::convTransposeWindow(ctx.node(), inSpatial, kernel)
                                   : ops::convWindow(ctx.node(), inSpatial, kernel, false);
    Shape out{ctx.inShape(0)[0], outChannels};
    out.insert(out.end(), window.outSpatial.begin(), window.outSpatial.end());
    ctx.setOutput(0, DType::Float32, out);
}

// Adds the per-channel bias to each output plane and applies the fused activation.
void finishPlanes(float* y, int64_t channels, int64_t planeSize, const float* bias, const ops::FusedActivation& act)
{
    if (bias)
        for (int64_t c = 0; c < channels; ++c) {
            float* plane = y + c * planeSize;
            const float b = bias[c];
            for (int64_t i = 0; i < planeSize; ++i)
                plane[i] += b;
        }
    act.apply(y, channels * planeSize);
}

// ---- Conv ------------------------------------------------------------------------

void convShape(InferContext& ctx)
{
    const int64_t group = checkConvInputs(ctx);
    const Shape& x = ctx.inShape(0);
    const Shape& w = ctx.inShape(1);
    if (x[1] != w[1] * group)
        ctx.fail(strCat("input channels ", x[1], " do not match weight's ", w[1], " x group ", group));
    if (w[0] % group != 0)
        ctx.fail(strCat("output channels ", w[0], " are not divisible by group ", group));
    setConvOutput(ctx, w[0], false);
}

// Depthwise: each output channel reads one input channel. The channel is first copied
// into a zero-bordered plane covering every window, so the tap loops need no bounds
// checks and run along whole output rows. With stride 1 in 2-D, rows are computed at the
// padded pitch so each tap is one loop over the plane. Input channels [c0, c1).
void depthwiseConv(const Geometry& g, const float* x, const float* w, int64_t inChannels, int64_t outChannels,
                   float* y, int64_t c0, int64_t c1)
{
    const int64_t multiplier = outChannels / inChannels, inSize = g.inSize(), outSize = g.outSize();
    const int64_t kernelSize = g.kernelSize();
    int64_t ext[3];
    for (int i = 0; i < 3; ++i)
        ext[i] = (g.out[i] - 1) * g.stride[i] + (g.kernel[i] - 1) * g.dilation[i] + 1;
    const bool useWide = g.out[0] == 1 && g.kernel[0] == 1 && g.stride[1] == 1 && g.stride[2] == 1;
    // The wide loop reads up to one row's worth of taps past the plane: that tail stays zero.
    const int64_t paddedSize = ext[0] * ext[1] * ext[2] + ext[2];
    thread_local std::vector<float> paddedBuffer, wideBuffer;
    paddedBuffer.assign(static_cast<size_t>(paddedSize), 0.0f);
    wideBuffer.resize(static_cast<size_t>(useWide ? g.out[1] * ext[2] : 0));
    float* padded = paddedBuffer.data();
    float* wide = useWide ? wideBuffer.data() : nullptr;
    for (int64_t c = c0; c < c1; ++c) {
        const float* in = x + c * inSize;
        std::fill(padded, padded + ext[0] * ext[1] * ext[2], 0.0f);
        for (int64_t d = 0; d < g.in[0]; ++d)
            for (int64_t h = 0; h < g.in[1]; ++h) {
                const int64_t pd = d + g.pad[0], ph = h + g.pad[1];
                if (pd >= ext[0] || ph >= ext[1])
                    continue;
                const int64_t w0 = std::max<int64_t>(0, -g.pad[2]), w1 = std::min(g.in[2], ext[2] - g.pad[2]);
                for (int64_t iw = w0; iw < w1; ++iw)
                    padded[(pd * ext[1] + ph) * ext[2] + iw + g.pad[2]] = in[(d * g.in[1] + h) * g.in[2] + iw];
            }
        for (int64_t m = c * multiplier; m < (c + 1) * multiplier; ++m) {
            float* out = y + m * outSize;
            if (wide) { // stride 1, 2-D: each tap is one long loop over rows of the padded pitch
                const int64_t span = g.out[1] * ext[2];
                std::fill(wide, wide + span, 0.0f);
                ops::forEachKernelOffset(g, [&](int64_t, int64_t kh, int64_t kw, int64_t k) {
                    const float weight = w[m * kernelSize + k];
                    const float* src = padded + kh * g.dilation[1] * ext[2] + kw * g.dilation[2];
#pragma GCC ivdep
                    for (int64_t i = 0; i < span; ++i) // wide and padded never overlap
                        wide[i] += weight * src[i];
                });
                for (int64_t oh = 0; oh < g.out[1]; ++oh) // drop the columns past the row end
                    for (int64_t ow = 0; ow < g.out[2]; ++ow)
                        out[oh * g.out[2] + ow] = wide[oh * ext[2] + ow];
                continue;
            }
            std::fill(out, out + outSize, 0.0f);
            for (int64_t od = 0; od < g.out[0]; ++od)
                for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                    float* row = out + (od * g.out[1] + oh) * g.out[2];
                    ops::forEachKernelOffset(g, [&](int64_t kd, int64_t kh, int64_t kw, int64_t k) {
                        const float weight = w[m * kernelSize + k];
                        const float* src = padded + ((od * g.stride[0] + kd * g.dilation[0]) * ext[1] + oh * g.stride[1] +
                                                     kh * g.dilation[1]) * ext[2] + kw * g.dilation[2];
                        if (g.stride[2] == 1)
                            for (int64_t ow = 0; ow < g.out[2]; ++ow)
                                row[ow] += weight * src[ow];
                        else
                            for (int64_t ow = 0; ow < g.out[2]; ++ow)
                                row[ow] += weight * src[ow * g.stride[2]];
                    });
                }
        }
    }
}

// Images per GEMM: small outputs (7x7) make thin GEMMs; side by side they fill the
// micro-kernel's columns and amortize packing the weights.
constexpr int64_t kTargetGemmColumns = 512;

struct ConvArgs {
    Geometry g;
    const float* x = nullptr;
    const float* w = nullptr;
    const float* bias = nullptr;
    float* y = nullptr;
    int64_t batch = 0, channels = 0, outChannels = 0, group = 1;
    ops::FusedActivation act;
};

// How a conv runs: the GEMM per block of images, its transposed form for thin outputs
// (thinConvBlock), or Winograd F(4x4, 3x3) (core/ops/Winograd.h).
enum class ConvPath { Gemm, Thin, Winograd };

// The weights of every group packed for the chosen path: made once per executor when they
// are constant (KernelContext::cached), else per call.
struct PackedConvWeights {
    ConvPath path = ConvPath::Gemm;
    std::vector<ops::PackedLhs> groups;
    std::vector<ops::PackedRhs> transposed;
    std::unique_ptr<ops::WinogradWeights> winograd;
};

PackedConvWeights packConvWeights(const ConvArgs& c, ConvPath path)
{
    PackedConvWeights packed;
    packed.path = path;
    if (path == ConvPath::Winograd) {
        packed.winograd = std::make_unique<ops::WinogradWeights>(c.w, c.outChannels, c.channels);
        return packed;
    }
    const bool thin = path == ConvPath::Thin;
    const int64_t groupOut = c.outChannels / c.group, kernelRows = c.channels / c.group * c.g.kernelSize();
    for (int64_t gi = 0; gi < c.group; ++gi) {
        const float* w = c.w + gi * groupOut * kernelRows;
        if (thin)
            packed.transposed.emplace_back(true, kernelRows, groupOut, w, kernelRows);
        else
            packed.groups.emplace_back(false, groupOut, kernelRows, w, kernelRows);
    }
    return packed;
}

// Bias and fused activation of output channels [first, ...) folded into the GEMM's stores.
ops::GemmEpilogue convEpilogue(const ConvArgs& c, int64_t firstChannel)
{
    ops::GemmEpilogue e;
    e.rowBias = c.bias ? c.bias + firstChannel : nullptr;
    e.clamp = c.act.kind != ops::FusedActivation::Kind::None;
    e.lo = c.act.kind == ops::FusedActivation::Kind::Relu ? 0.0f : c.act.lo;
    e.hi = c.act.kind == ops::FusedActivation::Kind::Relu ? std::numeric_limits<float>::infinity() : c.act.hi;
    return e;
}

// 1-D/2-D windows read their im2col rows in place (ops::PlaneRows): from the input itself
// when no window leaves it, else from zero-bordered copies of the block's planes.
bool paddedPlanesNeeded(const Geometry& g)
{
    return g.pad[1] != 0 || g.pad[2] != 0 || ops::paddedExtent(g, 1) > g.in[1] || ops::paddedExtent(g, 2) > g.in[2];
}

ops::PlaneRows blockPlanes(const ConvArgs& c, int64_t first, int64_t count, float* padded)
{
    const Geometry& g = c.g;
    ops::PlaneRows p;
    p.g = g;
    const float* x = c.x + first * c.channels * g.inSize();
    if (!paddedPlanesNeeded(g)) {
        p.base = x;
        p.planeStride = g.inSize();
        p.rowPitch = g.in[2];
    } else {
        p.planeStride = ops::paddedExtent(g, 1) * ops::paddedExtent(g, 2);
        p.rowPitch = ops::paddedExtent(g, 2);
        parallelFor(0, count * c.channels, 1, [&](int64_t lo, int64_t hi) {
            for (int64_t i = lo; i < hi; ++i)
                ops::padPlane(g, x + i * g.inSize(), padded + i * p.planeStride);
        });
        p.base = padded;
    }
    p.imageStride = c.channels * p.planeStride;
    return p;
}

// GEMM (bias and activation in its epilogue) for a block of `count` images starting at
// `first`, per group: B is the input itself (1x1, stride 1, one image), rows read from the
// planes (1-D/2-D), or an im2col matrix (3-D). One image writes straight into Y; several
// go through a [M, count * outSize] buffer.
void gemmConvBlock(const ConvArgs& c, const std::vector<ops::PackedLhs>& weights, int64_t first, int64_t count,
                   KernelContext& ctx)
{
    const int64_t groupIn = c.channels / c.group, groupOut = c.outChannels / c.group;
    const int64_t inSize = c.g.inSize(), outSize = c.g.outSize(), kernelRows = groupIn * c.g.kernelSize();
    const int64_t cols = count * outSize;
    const Geometry& g = c.g;
    const bool pointwise = g.kernelSize() == 1 && g.pad[0] == 0 && g.pad[1] == 0 && g.pad[2] == 0 &&
                           g.stride[0] == 1 && g.stride[1] == 1 && g.stride[2] == 1;
    const bool direct = count == 1, inPlace = pointwise && direct;
    const bool planar = !inPlace && g.in[0] == 1 && g.out[0] == 1 && g.kernel[0] == 1;
    int64_t bSize = 0; // scratch floats for B: padded planes or the im2col matrix
    if (planar && paddedPlanesNeeded(g))
        bSize = count * c.channels * ops::paddedExtent(g, 1) * ops::paddedExtent(g, 2);
    else if (!inPlace && !planar)
        bSize = kernelRows * cols;
    float* bBuffer = ctx.scratch(static_cast<size_t>(bSize + (direct ? 0 : groupOut * cols)));
    float* tmp = bBuffer + bSize;
    ops::PlaneRows planes;
    if (planar)
        planes = blockPlanes(c, first, count, bBuffer);
    for (int64_t gi = 0; gi < c.group; ++gi) {
        float* dst = direct ? c.y + (first * c.outChannels + gi * groupOut) * outSize : tmp;
        const ops::PackedLhs& w = weights[static_cast<size_t>(gi)];
        const ops::GemmEpilogue epilogue = convEpilogue(c, gi * groupOut);
        if (planar) {
            ops::PlaneRows groupPlanes = planes;
            groupPlanes.base += gi * groupIn * planes.planeStride;
            ops::sgemmPackedRows(w, cols, ops::planeRows(groupPlanes), dst, cols, epilogue);
        } else {
            const float* bmat = c.x + (first * c.channels + gi * groupIn) * inSize;
            if (!inPlace) {
                for (int64_t i = 0; i < count; ++i)
                    ops::im2col(g, c.x + ((first + i) * c.channels + gi * groupIn) * inSize, groupIn,
                                bBuffer + i * outSize, cols);
                bmat = bBuffer;
            }
            ops::sgemmPacked(w, cols, 1.0f, bmat, cols, 0.0f, dst, cols, epilogue);
        }
        if (!direct)
            for (int64_t m = 0; m < groupOut; ++m)
                for (int64_t i = 0; i < count; ++i)
                    std::copy(tmp + m * cols + i * outSize, tmp + m * cols + (i + 1) * outSize,
                              c.y + ((first + i) * c.outChannels + gi * groupOut + m) * outSize);
    }
}

// Outputs only a few columns wide (7x7 at batch 1) leave most of the GEMM's 48-column tiles
// empty: computed transposed instead, Y^T = col^T W^T, with the output positions as rows
// (8 per tile) and the output channels as columns.
constexpr int64_t kThinColumns = 96;

// The transposed product for a block of `count` images, per group, then Y = its
// transpose + bias + activation.
void thinConvBlock(const ConvArgs& c, const std::vector<ops::PackedRhs>& weights, int64_t first, int64_t count,
                   KernelContext& ctx)
{
    const int64_t groupIn = c.channels / c.group, groupOut = c.outChannels / c.group;
    const int64_t inSize = c.g.inSize(), outSize = c.g.outSize(), kernelRows = groupIn * c.g.kernelSize();
    const int64_t cols = count * outSize;
    float* col = ctx.scratch(static_cast<size_t>(kernelRows * cols + cols * groupOut));
    float* yt = col + kernelRows * cols;
    for (int64_t gi = 0; gi < c.group; ++gi) {
        for (int64_t i = 0; i < count; ++i)
            ops::im2col(c.g, c.x + ((first + i) * c.channels + gi * groupIn) * inSize, groupIn, col + i * outSize, cols);
        ops::sgemmPackedRhs(true, cols, 1.0f, col, cols, weights[static_cast<size_t>(gi)], 0.0f, yt, groupOut);
        for (int64_t i = 0; i < count; ++i) {
            float* y = c.y + ((first + i) * c.outChannels + gi * groupOut) * outSize;
            for (int64_t m = 0; m < groupOut; ++m)
                for (int64_t p = 0; p < outSize; ++p)
                    y[m * outSize + p] = yt[(i * outSize + p) * groupOut + m];
            finishPlanes(y, groupOut, outSize, c.bias ? c.bias + gi * groupOut : nullptr, c.act);
        }
    }
}

int64_t gemmBlockImages(const Geometry& g)
{
    return std::max<int64_t>(1, kTargetGemmColumns / std::max<int64_t>(g.outSize(), 1));
}

// Winograd where it fits and its GEMMs get enough tiles (ops::winogradFits, kWinogradMinTiles);
// else the transposed product when the output is thin, else the plain GEMM.
ConvPath choosePath(const ConvArgs& c)
{
    const int64_t winogradTiles = std::min(ops::winogradBlockImages(c.g), c.batch) * ops::winogradTilesPerImage(c.g);
    if (ops::winogradFits(c.g, c.channels, c.outChannels, c.group) && winogradTiles >= ops::kWinogradMinTiles)
        return ConvPath::Winograd;
    const int64_t columns = std::min(gemmBlockImages(c.g), c.batch) * c.g.outSize();
    if (columns < kThinColumns && c.outChannels / c.group >= kThinColumns)
        return ConvPath::Thin;
    return ConvPath::Gemm;
}

// Winograd over the batch, ops::winogradBlockImages images at a time.
void winogradConvBatch(const ConvArgs& c, const ops::WinogradWeights& weights, KernelContext& ctx)
{
    const int64_t block = ops::winogradBlockImages(c.g);
    const ops::GemmEpilogue epilogue = convEpilogue(c, 0);
    for (int64_t n = 0; n < c.batch; n += block) {
        const int64_t count = std::min(block, c.batch - n);
        float* scratch = ctx.scratch(ops::winogradScratch(c.g, c.channels, c.outChannels, count));
        ops::winogradConv(weights, c.g, c.x + n * c.channels * c.g.inSize(), count,
                          c.y + n * c.outChannels * c.g.outSize(), epilogue, scratch);
    }
}

void convKernel(KernelContext& ctx)
{
    const Tensor& xt = ctx.in(0);
    const Tensor& wt = ctx.in(1);
    Tensor& yt = ctx.out(0);
    ConvArgs c;
    c.batch = xt.dim(0);
    c.channels = xt.dim(1);
    c.outChannels = wt.dim(0);
    c.group = readGroup(ctx.node());
    const Shape xSpatial = spatialOf(xt.shape()), ySpatial = spatialOf(yt.shape());
    c.g = ops::makeGeometry(ops::convWindow(ctx.node(), xSpatial, spatialOf(wt.shape()), false), xSpatial, ySpatial);
    c.x = xt.data<float>();
    c.w = wt.data<float>();
    c.bias = ctx.hasInput(2) ? ctx.in(2).data<float>() : nullptr;
    c.y = yt.mutableData<float>();
    c.act = ops::FusedActivation::fromAttrs(ctx.attrs());
    const int64_t inSize = c.g.inSize(), outSize = c.g.outSize();
    // One input channel per group (and more than one group): a direct loop beats a K = 9 GEMM
    // per channel. A single-channel input with one group still goes through one GEMM.
    const bool depthwise = c.channels == c.group && c.group > 1;
    if (depthwise) {
        for (int64_t n = 0; n < c.batch; ++n) {
            float* yn = c.y + n * c.outChannels * outSize;
            parallelFor(0, c.channels, 1, [&](int64_t c0, int64_t c1) {
                depthwiseConv(c.g, c.x + n * c.channels * inSize, c.w, c.channels, c.outChannels, yn, c0, c1);
            });
            finishPlanes(yn, c.outChannels, outSize, c.bias, c.act);
        }
        return;
    }
    const ConvPath path = choosePath(c);
    auto packed = ctx.cached<PackedConvWeights>(ctx.constantInput(1), [&] { return packConvWeights(c, path); });
    if (packed->path != path) // the cached form was made for another batch size
        packed = ctx.cached<PackedConvWeights>(false, [&] { return packConvWeights(c, path); });
    if (path == ConvPath::Winograd)
        return winogradConvBatch(c, *packed->winograd, ctx);
    const int64_t block = gemmBlockImages(c.g);
    for (int64_t n = 0; n < c.batch; n += block) {
        if (path == ConvPath::Thin)
            thinConvBlock(c, packed->transposed, n, std::min(block, c.batch - n), ctx);
        else
            gemmConvBlock(c, packed->groups, n, std::min(block, c.batch - n), ctx);
    }
}

// Cost of a conv-like op whose every element of `side` meets numElements(W) / W[0] weights:
// (C / group) x kernel taps.
OpCost windowedWeightCost(const Node& node, const Graph& graph, ValueId side)
{
    const Shape& w = graph.value(node.inputs[1]).shape;
    OpCost cost;
    cost.macs = numElements(graph.value(side).shape) * numElements(w) / std::max<int64_t>(w[0], 1);
    cost.params = ops::constantElements(node, graph, 1) + ops::constantElements(node, graph, 2);
    return cost;
}

// Each output element is a dot product over (C / group) x kernel taps.
OpCost convCost(const Node& node, const Graph& graph) { return windowedWeightCost(node, graph, node.outputs[0]); }

// ---- ConvTranspose -----------------------------------------------------------------

void convTransposeShape(InferContext& ctx)
{
    const int64_t group = checkConvInputs(ctx);
    const Shape& x = ctx.inShape(0);
    const Shape& w = ctx.inShape(1);
    if (x[1] != w[0])
        ctx.fail(strCat("input channels ", x[1], " do not match weight's first dim ", w[0]));
    if (w[0] % group != 0)
        ctx.fail(strCat("input channels ", w[0], " are not divisible by group ", group));
    setConvOutput(ctx, w[1] * group, true);
}

// Per image and group: col = W_g^T x X_g (GEMM), then col2im scatters it into Y.
void convTransposeKernel(KernelContext& ctx)
{
    const Tensor& xt = ctx.in(0);
    const Tensor& wt = ctx.in(1);
    Tensor& yt = ctx.out(0);
    const int64_t batch = xt.dim(0), channels = xt.dim(1), group = readGroup(ctx.node());
    const int64_t groupIn = channels / group, groupOut = wt.dim(1), outChannels = groupOut * group;
    const Shape xSpatial = spatialOf(xt.shape()), ySpatial = spatialOf(yt.shape());
    // The transpose of a conv from Y to X: Y is the padded side of the geometry.
    const Geometry g = ops::makeGeometry(ops::convTransposeWindow(ctx.node(), xSpatial, spatialOf(wt.shape())),
                                         ySpatial, xSpatial);
    const float* x = xt.data<float>();
    const float* w = wt.data<float>();
    const float* bias = ctx.hasInput(2) ? ctx.in(2).data<float>() : nullptr;
    float* y = yt.mutableData<float>();
    const auto act = ops::FusedActivation::fromAttrs(ctx.attrs());
    const int64_t xSize = g.outSize(), ySize = g.inSize(), colRows = groupOut * g.kernelSize();
    float* col = ctx.scratch(static_cast<size_t>(colRows * xSize));
    std::fill(y, y + yt.numel(), 0.0f);
    for (int64_t n = 0; n < batch; ++n) {
        float* yn = y + n * outChannels * ySize;
        for (int64_t gi = 0; gi < group; ++gi) {
            const float* xg = x + (n * channels + gi * groupIn) * xSize;
            ops::sgemm(true, false, colRows, xSize, groupIn, 1.0f, w + gi * groupIn * colRows, colRows, xg, xSize,
                       0.0f, col, xSize);
            ops::col2imAdd(g, col, groupOut, yn + gi * groupOut * ySize);
        }
        finishPlanes(yn, outChannels, ySize, bias, act);
    }
}

// Every input element is scattered through (M / group) x kernel taps (W is [C, M/group, k...]).
OpCost convTransposeCost(const Node& node, const Graph& graph)
{
    return windowedWeightCost(node, graph, node.inputs[0]);
}

void addWindowAttrs(OpDef& op)
{
    op.attr("auto_pad", std::string("NOTSET"), "NOTSET | SAME_UPPER | SAME_LOWER | VALID")
        .attr("dilations", std::vector<int64_t>{}, "per spatial dim; default 1")
        .attr("group", int64_t{1}, "channel groups (group == C: depthwise)")
        .attr("kernel_shape", std::vector<int64_t>{}, "default: the weight's spatial dims")
        .attr("pads", std::vector<int64_t>{}, "begin..., end...; default 0")
        .attr("strides", std::vector<int64_t>{}, "per spatial dim; default 1");
    ops::addFusedActivationAttrs(op);
}

} // namespace

void registerConvOps(OpRegistry& r)
{
    OpDef& conv = r.add("Conv")
                      .doc("N-d convolution (1 to 3 spatial dims): Y = W * X + B, with groups, dilations, "
                           "strides and pads")
                      .numInputs(2, 3)
                      .numOutputs(1)
                      .inferShape(convShape)
                      .kernel(convKernel)
                      .weightMatrix(ops::convWeightMatrix())
                      .placement(analogWhenLowerable)
                      .quantPolicy(QuantPolicy::AnalogMatmul)
                      .cost(convCost);
    addWindowAttrs(conv);

    OpDef& convT = r.add("ConvTranspose")
                       .doc("transposed (fractionally strided) convolution, 1 to 3 spatial dims; output size "
                            "from output_shape, output_padding, pads or auto_pad")
                       .numInputs(2, 3)
                       .numOutputs(1)
                       .inferShape(convTransposeShape)
                       .kernel(convTransposeKernel)
                       .weightMatrix(ops::convTransposeWeightMatrix())
                       .placement(analogWhenLowerable)
                       .quantPolicy(QuantPolicy::AnalogMatmul)
                       .cost(convTransposeCost);
    addWindowAttrs(convT);
    convT.attr("output_padding", std::vector<int64_t>{}, "extra size at the end of each spatial dim; default 0")
        .attr("output_shape", std::vector<int64_t>{}, "explicit output spatial size; pads are derived from it");
}

} // namespace tessera
