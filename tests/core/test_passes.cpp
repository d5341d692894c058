// Graph passes, one test per pass in onnxruntime's transformer-test style: build a tiny
// graph, run the pass, check the structure, and check the reference executor gives the
// same numbers before and after (expected values are the unoptimized graph's, or hand-computed).
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/Verifier.h"
#include "core/passes/ConstantFolding.h"
#include "core/passes/DeadCodeElimination.h"
#include "core/passes/EliminateIdentity.h"
#include "core/passes/FoldBatchNorm.h"
#include "core/passes/FuseActivation.h"

#include "OpTestHarness.h"

#include <QtTest>

#include <cmath>

using namespace tessera;
using tessera::testing::filled;
using tessera::testing::maxAbsDiff;

namespace {

std::vector<Tensor> runGraph(Graph& g, const std::vector<Tensor>& inputs)
{
    inferShapes(g);
    Executor exec(g);
    return exec.run(inputs);
}

int countOps(const Graph& g, const std::string& op)
{
    int n = 0;
    for (NodeId id : g.liveNodes())
        n += g.node(id).opType == op;
    return n;
}

struct PassOutcome {
    bool changed = false;
    float maxDiff = 0; // over all graph outputs, before vs after
};

// Runs `pass` on a verified graph and measures how far the outputs moved.
PassOutcome runPass(Pass& pass, Graph& g, const std::vector<Tensor>& inputs)
{
    std::vector<Tensor> before = runGraph(g, inputs);
    PassOutcome outcome;
    outcome.changed = pass.run(g, PassContext());
    VerifyOptions checks;
    checks.shapes = true; // a pass must leave every shape as its op infers it
    verifyOrThrow(g, pass.name(), checks);
    std::vector<Tensor> after = runGraph(g, inputs);
    for (size_t i = 0; i < before.size(); ++i)
        outcome.maxDiff = std::max(outcome.maxDiff, maxAbsDiff(before[i], after[i]));
    return outcome;
}

// CHECK_PASS(pass, graph, expectChanged, tolerance, input tensors...)
#define CHECK_PASS(pass, graph, expectChanged, tolerance, ...)                                 \
    do {                                                                                       \
        PassOutcome outcome_ = runPass(pass, graph, {__VA_ARGS__});                            \
        QCOMPARE(outcome_.changed, expectChanged);                                             \
        QVERIFY2(outcome_.maxDiff <= (tolerance),                                              \
                 qPrintable(QString("outputs moved by %1").arg(outcome_.maxDiff)));            \
    } while (0)

struct ConvBnGraph {
    Graph g;
    ValueId x, y;
};

// x -> <layer> -> BatchNormalization -> y, BN parameters with nontrivial scale/shift.
ConvBnGraph layerThenBatchNorm(const std::string& op, Shape xShape, Tensor w, int64_t channels, Attributes attrs)
{
    ConvBnGraph c;
    Graph& g = c.g;
    c.x = g.addValue("x", DType::Float32, std::move(xShape));
    ValueId wv = g.addConstant("w", std::move(w));
    ValueId bv = g.addConstant("b", filled({channels}, -0.5f, 0.5f, 7));
    ValueId t = g.addValue("t");
    c.y = g.addValue("y");
    g.addNode("layer", op, {c.x, wv, bv}, {t}, std::move(attrs));
    std::vector<ValueId> bn = {t};
    bn.push_back(g.addConstant("gamma", filled({channels}, 0.5f, 2.0f, 11)));
    bn.push_back(g.addConstant("beta", filled({channels}, -1.0f, 1.0f, 13)));
    bn.push_back(g.addConstant("mean", filled({channels}, -0.3f, 0.3f, 17)));
    bn.push_back(g.addConstant("var", filled({channels}, 0.2f, 1.5f, 19)));
    g.addNode("bn", "BatchNormalization", bn, {c.y});
    g.markGraphInput(c.x);
    g.markGraphOutput(c.y);
    return c;
}

} // namespace

class TestPasses : public QObject {
    Q_OBJECT
private slots:
    void constantFoldingFoldsConstantArithmetic()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3});
        ValueId a = g.addConstant("a", Tensor::fromVector<float>({1, 2, 3}, {3}));
        ValueId b = g.addConstant("b", Tensor::fromVector<float>({10, 20, 30}, {3}));
        ValueId sum = g.addValue("sum"), scaled = g.addValue("scaled"), y = g.addValue("y");
        g.addNode("sum", "Add", {a, b}, {sum});
        g.addNode("scaled", "Mul", {sum, a}, {scaled});
        g.addNode("out", "Add", {x, scaled}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        ConstantFolding pass;
        CHECK_PASS(pass, g, true, 0.0f, filled({2, 3}, -1, 1, 1));
        QCOMPARE(g.liveNodeCount(), size_t(1));
        ValueId folded = *g.findValue("scaled");
        QVERIFY(g.value(folded).isConstant());
        QVERIFY(g.value(folded).constant.toFloatVector() == std::vector<float>({11, 44, 99})); // (a+b)*a
        QVERIFY(!pass.run(g, PassContext())); // fixpoint
    }

    void constantFoldingResolvesShapeChains()
    {
        // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): PyTorch's flatten.
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3, 4});
        ValueId shape = g.addValue("shape"), dim0 = g.addValue("dim0"), dim0v = g.addValue("dim0v");
        ValueId target = g.addValue("target"), y = g.addValue("y");
        g.addNode("shape", "Shape", {x}, {shape});
        g.addNode("gather", "Gather", {shape, g.addConstant("zero", Tensor::scalar<int64_t>(0))}, {dim0});
        g.addNode("unsqueeze", "Unsqueeze", {dim0, g.addConstant("axes", Tensor::fromVector<int64_t>({0}, {1}))},
                  {dim0v});
        Attributes axis0;
        axis0.set("axis", int64_t(0));
        g.addNode("concat", "Concat", {dim0v, g.addConstant("rest", Tensor::fromVector<int64_t>({-1}, {1}))},
                  {target}, axis0);
        g.addNode("reshape", "Reshape", {x, target}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        ConstantFolding pass;
        CHECK_PASS(pass, g, true, 0.0f, filled({2, 3, 4}, -1, 1, 2));
        QCOMPARE(g.liveNodeCount(), size_t(1));
        QCOMPARE(countOps(g, "Reshape"), 1);
        const Value& folded = g.value(*g.findValue("target")); // ids are renumbered by compact()
        QVERIFY(folded.isConstant());
        QVERIFY(folded.constant.toInt64Vector() == std::vector<int64_t>({2, -1}));
        QVERIFY(g.value(g.outputs()[0]).shape == Shape({2, 12}));
    }

    void constantFoldingDoesNotMaterializeBroadcastBlowUp()
    {
        // [300,1] + [1,300] -> 90,000 elements from 600: folding would bloat the model.
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {300, 300});
        ValueId grid = g.addValue("grid"), y = g.addValue("y");
        g.addNode("grid", "Add", {g.addConstant("col", filled({300, 1}, 0, 1, 3)), g.addConstant("row", filled({1, 300}, 0, 1, 4))},
                  {grid});
        g.addNode("out", "Mul", {x, grid}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        ConstantFolding pass;
        CHECK_PASS(pass, g, false, 0.0f, filled({300, 300}, -1, 1, 5));
        QCOMPARE(g.liveNodeCount(), size_t(2));
    }

    void constantFoldingFoldsLargeWeightTransforms()
    {
        // 1.1M elements: beyond what shape inference evaluates, but folding only moves
        // the weight's values, so the Transpose must go.
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 1000});
        ValueId wt = g.addValue("wt"), y = g.addValue("y");
        Attributes perm;
        perm.set("perm", std::vector<int64_t>{1, 0});
        const Tensor w = filled({1100, 1000}, -1, 1, 3);
        g.addNode("transpose", "Transpose", {g.addConstant("w", w)}, {wt}, perm);
        g.addNode("mm", "MatMul", {x, wt}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        ConstantFolding pass;
        CHECK_PASS(pass, g, true, 0.0f, filled({2, 1000}, -1, 1, 4));
        QCOMPARE(g.liveNodeCount(), size_t(1));
        const Value& folded = g.value(*g.findValue("wt"));
        QVERIFY(folded.isConstant());
        QVERIFY(folded.shape == Shape({1000, 1100}));
        QCOMPARE(folded.constant.valueAsDouble(1), w.valueAsDouble(1000)); // wt[0][1] = w[1][0]
        QVERIFY(!g.findValue("w")); // the original weight is no longer referenced
    }

    void eliminateIdentityRemovesIdentityAndDropout()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {4});
        ValueId a = g.addValue("a"), b = g.addValue("b"), y = g.addValue("y");
        g.addNode("id", "Identity", {x}, {a});
        g.addNode("add", "Add", {a, g.addConstant("c", Tensor::fromVector<float>({1, 2, 3, 4}, {4}))}, {b});
        g.addNode("drop", "Dropout", {b}, {y}); // graph output: its name must survive
        g.markGraphInput(x);
        g.markGraphOutput(y);
        EliminateIdentity pass;
        CHECK_PASS(pass, g, true, 0.0f, Tensor::fromVector<float>({1, 1, 1, 1}, {4}));
        QCOMPARE(g.liveNodeCount(), size_t(1));
        QCOMPARE(countOps(g, "Add"), 1);
        QCOMPARE(g.value(g.outputs()[0]).name, std::string("y"));
        QCOMPARE(g.value(g.node(g.liveNodes()[0]).inputs[0]).name, std::string("x"));
    }

    void identityFromInputToOutputStays()
    {
        // Removing it would make the graph input the output, renaming what callers read.
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2});
        ValueId y = g.addValue("y");
        g.addNode("id", "Identity", {x}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        EliminateIdentity pass;
        CHECK_PASS(pass, g, false, 0.0f, Tensor::fromVector<float>({1, 2}, {2}));
        QCOMPARE(g.liveNodeCount(), size_t(1));
    }

    void foldBatchNormIntoConv()
    {
        Attributes attrs;
        attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
        auto c = layerThenBatchNorm("Conv", {2, 2, 5, 5}, filled({3, 2, 3, 3}, -1, 1, 5), 3, attrs);
        FoldBatchNorm pass;
        CHECK_PASS(pass, c.g, true, 1e-5f, filled({2, 2, 5, 5}, -1, 1, 6));
        QCOMPARE(countOps(c.g, "BatchNormalization"), 0);
        QCOMPARE(c.g.liveNodeCount(), size_t(1));
        QCOMPARE(c.g.value(c.g.outputs()[0]).name, std::string("y"));
    }

    void foldBatchNormIntoGroupedConvTranspose()
    {
        Attributes attrs;
        attrs.set("group", int64_t(2));
        attrs.set("strides", std::vector<int64_t>{2, 2});
        // W is [C_in=4, C_out/group=3, 2, 2]: 6 output channels.
        auto c = layerThenBatchNorm("ConvTranspose", {1, 4, 3, 3}, filled({4, 3, 2, 2}, -1, 1, 8), 6, attrs);
        FoldBatchNorm pass;
        CHECK_PASS(pass, c.g, true, 1e-5f, filled({1, 4, 3, 3}, -1, 1, 9));
        QCOMPARE(countOps(c.g, "BatchNormalization"), 0);
    }

    void foldBatchNormIntoGemmWithTransB()
    {
        Attributes attrs;
        attrs.set("transB", int64_t(1));
        attrs.set("beta", 0.5f); // the old bias is scaled: the folded one must account for it
        auto c = layerThenBatchNorm("Gemm", {3, 5}, filled({4, 5}, -1, 1, 10), 4, attrs);
        FoldBatchNorm pass;
        CHECK_PASS(pass, c.g, true, 1e-5f, filled({3, 5}, -1, 1, 12));
        QCOMPARE(countOps(c.g, "BatchNormalization"), 0);
    }

    void batchNormAfterAddStays()
    {
        auto c = layerThenBatchNorm("Add", {1, 3, 2, 2}, filled({1, 3, 1, 1}, -1, 1, 5), 3, {});
        // Add has two inputs: drop the bias input the helper added.
        Node& add = c.g.node(*c.g.findNode("layer"));
        add.inputs.resize(2);
        c.g.rebuildUses();
        FoldBatchNorm pass;
        CHECK_PASS(pass, c.g, false, 0.0f, filled({1, 3, 2, 2}, -1, 1, 6));
        QCOMPARE(countOps(c.g, "BatchNormalization"), 1);
    }

    void fuseReluAndClip()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3, 4, 4});
        ValueId conv = g.addValue("conv"), relu = g.addValue("relu"), flat = g.addValue("flat");
        ValueId gemm = g.addValue("gemm"), y = g.addValue("y");
        g.addNode("conv", "Conv", {x, g.addConstant("w", filled({2, 3, 3, 3}, -1, 1, 1))}, {conv});
        g.addNode("relu", "Relu", {conv}, {relu});
        g.addNode("flatten", "Flatten", {relu}, {flat});
        Attributes transB;
        transB.set("transB", int64_t(1));
        g.addNode("fc", "Gemm", {flat, g.addConstant("fw", filled({5, 8}, -1, 1, 2)), g.addConstant("fb", filled({5}, -1, 1, 3))},
                  {gemm}, transB);
        g.addNode("relu6", "Clip",
                  {gemm, g.addConstant("lo", Tensor::scalar<float>(0.0f)), g.addConstant("hi", Tensor::scalar<float>(6.0f))},
                  {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        FuseActivation pass;
        CHECK_PASS(pass, g, true, 1e-6f, filled({2, 3, 4, 4}, -2, 2, 4));
        QCOMPARE(countOps(g, "Relu") + countOps(g, "Clip"), 0);
        const Node& fc = g.node(*g.findNode("fc"));
        QCOMPARE(fc.attrs.getString("fused_activation", ""), std::string("Clip"));
        QCOMPARE(fc.attrs.getFloat("fused_max", 0), 6.0f);
        QCOMPARE(g.node(*g.findNode("conv")).attrs.getString("fused_activation", ""), std::string("Relu"));
        QCOMPARE(g.value(fc.outputs[0]).name, std::string("y"));
    }

    void fuseIntoMatMulAndConvTranspose()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {1, 2, 3, 3});
        ValueId up = g.addValue("up"), upRelu = g.addValue("up_relu"), mm = g.addValue("mm"), y = g.addValue("y");
        g.addNode("up", "ConvTranspose", {x, g.addConstant("w", filled({2, 3, 2, 2}, -1, 1, 1))}, {up});
        g.addNode("up_relu", "Relu", {up}, {upRelu});
        g.addNode("mm", "MatMul", {upRelu, g.addConstant("m", filled({4, 5}, -1, 1, 2))}, {mm});
        g.addNode("clip", "Clip", {mm, g.addConstant("lo", Tensor::scalar<float>(-0.5f)), kNoValue}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        FuseActivation pass;
        CHECK_PASS(pass, g, true, 1e-6f, filled({1, 2, 3, 3}, -2, 2, 3));
        QCOMPARE(g.liveNodeCount(), size_t(2));
        const Node& matmul = g.node(*g.findNode("mm"));
        QCOMPARE(matmul.attrs.getString("fused_activation", ""), std::string("Clip"));
        QCOMPARE(matmul.attrs.getFloat("fused_min", 0), -0.5f);
        QVERIFY(std::isinf(matmul.attrs.getFloat("fused_max", 0))); // no upper bound given
        QCOMPARE(g.node(*g.findNode("up")).attrs.getString("fused_activation", ""), std::string("Relu"));
    }

    void activationWithSecondReaderIsNotFused()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {2, 3});
        ValueId mm = g.addValue("mm"), relu = g.addValue("relu"), y = g.addValue("y");
        g.addNode("mm", "MatMul", {x, g.addConstant("w", filled({3, 4}, -1, 1, 1))}, {mm});
        g.addNode("relu", "Relu", {mm}, {relu});
        g.addNode("skip", "Add", {relu, mm}, {y}); // reads the pre-activation value too
        g.markGraphInput(x);
        g.markGraphOutput(y);
        FuseActivation pass;
        CHECK_PASS(pass, g, false, 0.0f, filled({2, 3}, -1, 1, 2));
        QCOMPARE(countOps(g, "Relu"), 1);
    }

    void deadCodeEliminationKeepsOnlyWhatOutputsRead()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {3});
        ValueId y = g.addValue("y"), dead1 = g.addValue("dead1"), dead2 = g.addValue("dead2");
        g.addNode("live", "Add", {x, x}, {y});
        g.addNode("dead1", "Mul", {x, x}, {dead1});
        g.addNode("dead2", "Mul", {dead1, y}, {dead2}); // reads a live value, but nobody reads it
        g.markGraphInput(x);
        g.markGraphOutput(y);
        DeadCodeElimination pass;
        CHECK_PASS(pass, g, true, 0.0f, Tensor::fromVector<float>({1, 2, 3}, {3}));
        QCOMPARE(g.liveNodeCount(), size_t(1));
        QVERIFY(!g.findValue("dead1"));
    }
};

QTEST_APPLESS_MAIN(TestPasses)
#include "test_passes.moc"
