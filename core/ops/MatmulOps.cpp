// Gemm (alpha, beta, transposes, broadcast C) and MatMul (numpy batched broadcasting,
// 1-D operands), FP32, through the shared Eigen-backed sgemm.
#include "core/Error.h"
#include "core/ops/Gemm.h"
#include "core/ops/GemmOpHelpers.h"
#include "core/ops/OpGroups.h"
#include "core/ops/OpHelpers.h"
#include "core/ops/WeightMatrixOps.h"

#include <algorithm>
#include <cstring>

namespace tessera {

namespace {

// ---- Gemm --------------------------------------------------------------------------

struct GemmDims {
    int64_t m = 0, n = 0, k = 0;
};

GemmDims gemmDims(const Node& node, const Shape& a, const Shape& b)
{
    if (a.size() != 2 || b.size() != 2)
        fail(describeNode(node), ": A ", shapeToString(a), " and B ", shapeToString(b), " must both be 2-D");
    const bool transA = attrOf<int64_t>(node, "transA") != 0, transB = attrOf<int64_t>(node, "transB") != 0;
    GemmDims d{transA ? a[1] : a[0], transB ? b[0] : b[1], transA ? a[0] : a[1]};
    const int64_t kB = transB ? b[1] : b[0];
    if (d.k != kB)
        fail(describeNode(node), ": inner dims differ: A ", shapeToString(a), (transA ? " transposed" : ""),
             " gives K=", d.k, ", B ", shapeToString(b), (transB ? " transposed" : ""), " gives K=", kB);
    return d;
}

void gemmShape(InferContext& ctx)
{
    for (size_t i = 0; i < 3; ++i)
        ops::requireFloat32(ctx, i);
    const GemmDims d = gemmDims(ctx.node(), ctx.inShape(0), ctx.inShape(1));
    if (ctx.hasInput(2)) {
        const Shape& c = ctx.inShape(2);
        const Shape out{d.m, d.n};
        bool fits = c.size() <= 2;
        for (size_t i = 0; fits && i < c.size(); ++i)
            fits = c[i] == 1 || c[i] == out[out.size() - c.size() + i];
        if (!fits)
            ctx.fail(strCat("C ", shapeToString(c), " cannot be broadcast to the output ", shapeToString(out)));
    }
    ops::FusedActivation::fromAttrs(ctx.attrs());
    ctx.setOutput(0, DType::Float32, {d.m, d.n});
}

// Y = broadcast(C), row by row (C is [], [N], [1,N], [M,1] or [M,N] after broadcasting).
void fillWithBias(const Tensor& c, int64_t m, int64_t n, float* y)
{
    ops::BroadcastIndexer index(c.shape(), {m, n});
    const int64_t rowStride = index.strides()[0], colStride = index.strides()[1];
    const float* cData = c.data<float>();
    for (int64_t i = 0; i < m; ++i) {
        float* row = y + i * n;
        const float* src = cData + i * rowStride;
        if (colStride == 1)
            std::memcpy(row, src, static_cast<size_t>(n) * sizeof(float));
        else
            std::fill(row, row + n, src[0]);
    }
}

void gemmKernel(KernelContext& ctx)
{
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    const GemmDims d = gemmDims(ctx.node(), a.shape(), b.shape());
    const bool transA = attrOf<int64_t>(ctx.node(), "transA") != 0, transB = attrOf<int64_t>(ctx.node(), "transB") != 0;
    const float alpha = attrOf<float>(ctx.node(), "alpha");
    float beta = attrOf<float>(ctx.node(), "beta");
    float* y = ctx.out(0).mutableData<float>();
    if (ctx.hasInput(2) && beta != 0.0f)
        fillWithBias(ctx.in(2), d.m, d.n, y);
    else
        beta = 0.0f;
    if (ctx.constantInput(1) && d.m > 1) { // weights: packed once per executor (one row: a GEMV)
        const auto packed = ctx.cached<ops::PackedRhs>(true, [&] { return ops::PackedRhs(transB, d.k, d.n, b.data<float>(), b.dim(1)); });
        ops::sgemmPackedRhs(transA, d.m, alpha, a.data<float>(), a.dim(1), *packed, beta, y, d.n);
    } else {
        ops::sgemm(transA, transB, d.m, d.n, d.k, alpha, a.data<float>(), a.dim(1), b.data<float>(), b.dim(1), beta,
                   y, d.n);
    }
    ops::FusedActivation::fromAttrs(ctx.attrs()).apply(y, d.m * d.n);
}

OpCost gemmCost(const Node& node, const Graph& graph)
{
    const GemmDims d = gemmDims(node, graph.value(node.inputs[0]).shape, graph.value(node.inputs[1]).shape);
    OpCost cost;
    cost.macs = d.m * d.n * d.k;
    cost.params = ops::constantElements(node, graph, 1) + ops::constantElements(node, graph, 2);
    return cost;
}

// ---- MatMul ------------------------------------------------------------------------

// numpy matmul: 1-D A is a row [1,K], 1-D B a column [K,1] (that dim is dropped from Y).
struct MatmulDims {
    Shape batchA, batchB;
    int64_t m = 1, n = 1, k = 0;
};

MatmulDims matmulDims(const Node& node, const Shape& a, const Shape& b)
{
    if (a.empty() || b.empty())
        fail(describeNode(node), ": MatMul operands must have rank >= 1, got ", shapeToString(a), " and ",
             shapeToString(b));
    MatmulDims d;
    d.k = a.back();
    if (a.size() > 1) {
        d.m = a[a.size() - 2];
        d.batchA.assign(a.begin(), a.end() - 2);
    }
    const int64_t kB = b.size() > 1 ? b[b.size() - 2] : b[0];
    if (b.size() > 1) {
        d.n = b.back();
        d.batchB.assign(b.begin(), b.end() - 2);
    }
    if (d.k != kB)
        fail(describeNode(node), ": inner dims differ: A ", shapeToString(a), " has K=", d.k, ", B ", shapeToString(b),
             " has K=", kB);
    return d;
}

void matmulShape(InferContext& ctx)
{
    ops::requireFloat32(ctx, 0);
    ops::requireFloat32(ctx, 1);
    const Shape& a = ctx.inShape(0);
    const Shape& b = ctx.inShape(1);
    const MatmulDims d = matmulDims(ctx.node(), a, b);
    Shape out = ops::broadcastShapes(ctx, d.batchA, d.batchB);
    if (a.size() > 1)
        out.push_back(d.m);
    if (b.size() > 1)
        out.push_back(d.n);
    ops::FusedActivation::fromAttrs(ctx.attrs());
    ctx.setOutput(0, DType::Float32, out);
}

void matmulKernel(KernelContext& ctx)
{
    const Tensor& a = ctx.in(0);
    const Tensor& b = ctx.in(1);
    Tensor& y = ctx.out(0);
    const MatmulDims d = matmulDims(ctx.node(), a.shape(), b.shape());
    const float* aData = a.data<float>();
    const float* bData = b.data<float>();
    float* yData = y.mutableData<float>();
    const int64_t batchA = numElements(d.batchA), batchOut = y.numel() / std::max<int64_t>(d.m * d.n, 1);
    if (numElements(d.batchB) == 1 && batchA == batchOut && ctx.constantInput(1) && batchA * d.m > 1) {
        // A constant shared B (a weight): packed once per executor, all of A's batches one tall GEMM.
        const auto packed = ctx.cached<ops::PackedRhs>(true, [&] { return ops::PackedRhs(false, d.k, d.n, bData, d.n); });
        ops::sgemmPackedRhs(false, batchA * d.m, 1.0f, aData, d.k, *packed, 0.0f, yData, d.n);
    } else if (numElements(d.batchB) == 1 && batchA == batchOut) {
        // A shared B: all of A's batches are one tall GEMM.
        ops::sgemm(false, false, batchA * d.m, d.n, d.k, 1.0f, aData, d.k, bData, d.n, 0.0f, yData, d.n);
    } else {
        const Shape batchY(y.shape().begin(), y.shape().begin() + (y.rank() - (a.rank() > 1) - (b.rank() > 1)));
        ops::forEachBroadcast(d.batchA, d.batchB, batchY, [&](int64_t o, int64_t ia, int64_t ib) {
            ops::sgemm(false, false, d.m, d.n, d.k, 1.0f, aData + ia * d.m * d.k, d.k, bData + ib * d.k * d.n, d.n,
                       0.0f, yData + o * d.m * d.n, d.n);
        });
    }
    ops::FusedActivation::fromAttrs(ctx.attrs()).apply(yData, y.numel());
}

OpCost matmulCost(const Node& node, const Graph& graph)
{
    const MatmulDims d = matmulDims(node, graph.value(node.inputs[0]).shape, graph.value(node.inputs[1]).shape);
    OpCost cost;
    cost.macs = numElements(graph.value(node.outputs[0]).shape) * d.k;
    cost.params = ops::constantElements(node, graph, 1);
    return cost;
}

} // namespace

void registerMatmulOps(OpRegistry& r)
{
    OpDef& gemm = r.add("Gemm")
                      .doc("Y = alpha * op(A) * op(B) + beta * C, op = optional transpose, C broadcast to [M, N]")
                      .numInputs(2, 3)
                      .numOutputs(1)
                      .attr("alpha", 1.0f, "scale of A * B")
                      .attr("beta", 1.0f, "scale of C")
                      .attr("transA", int64_t{0}, "1: A is stored [K, M]")
                      .attr("transB", int64_t{0}, "1: B is stored [N, K] (torch Linear)")
                      .inferShape(gemmShape)
                      .kernel(gemmKernel)
                      .weightMatrix(ops::gemmWeightMatrix())
                      .placement(analogWhenLowerable)
                      .quantPolicy(QuantPolicy::AnalogMatmul)
                      .cost(gemmCost);
    ops::addFusedActivationAttrs(gemm);

    OpDef& matmul = r.add("MatMul")
                        .doc("numpy matmul: batched over leading dims with broadcasting; 1-D operands are "
                             "a row (A) or a column (B) whose dim is dropped")
                        .numInputs(2)
                        .numOutputs(1)
                        .inferShape(matmulShape)
                        .kernel(matmulKernel)
                        .weightMatrix(ops::matmulWeightMatrix())
                        .placement(analogWhenLowerable)
                        .quantPolicy(QuantPolicy::AnalogMatmul)
                        .cost(matmulCost);
    ops::addFusedActivationAttrs(matmul);
}

} // namespace tessera
