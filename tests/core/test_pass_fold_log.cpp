// What the cleanup passes record about the nodes they remove (core/passes/FoldLog.h): one
// test per removing pass on a tiny graph whose fate is known by construction, and the
// record's survivor walk.
#include "core/passes/EliminateIdentity.h"
#include "core/passes/FoldLog.h"
#include "core/passes/Pass.h"

#include "OpTestHarness.h"

#include <QtTest>

using namespace tessera;
using tessera::testing::filled;

namespace {

// Runs the default pipeline on `g` and returns what it recorded.
FoldLog cleanUp(Graph& g)
{
    FoldLog log;
    PassContext context;
    context.foldLog = &log;
    runPipeline(g, defaultPipeline(), context);
    return log;
}

const FoldRecord& recordOf(const FoldLog& log, const std::string& node)
{
    const FoldRecord* r = log.find(node);
    if (!r)
        throw std::runtime_error("no record for " + node);
    return *r;
}

// x -> Conv -> BatchNormalization -> Relu -> y
Graph convBnRelu()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 2, 5, 5});
    ValueId c = g.addValue("c"), b = g.addValue("b"), y = g.addValue("y");
    g.addNode("conv1", "Conv", {x, g.addConstant("w", filled({3, 2, 3, 3}, -1, 1, 5))}, {c});
    std::vector<ValueId> bn = {c};
    for (const char* p : {"gamma", "beta", "mean", "var"})
        bn.push_back(g.addConstant(p, filled({3}, 0.5f, 1.5f, 7)));
    g.addNode("bn1", "BatchNormalization", bn, {b});
    g.addNode("relu1", "Relu", {b}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    return g;
}

} // namespace

class TestPassFoldLog : public QObject {
    Q_OBJECT
private slots:
    void batchNormIsFoldedAndReluFusedIntoTheConv()
    {
        Graph g = convBnRelu();
        const FoldLog log = cleanUp(g);
        QCOMPARE(g.liveNodeCount(), size_t(1));
        QCOMPARE(log.records().size(), size_t(2));
        const FoldRecord& bn = recordOf(log, "bn1");
        QCOMPARE(bn.into, std::string("conv1"));
        QCOMPARE(bn.pass, std::string("FoldBatchNorm"));
        QVERIFY(bn.reason.find("folded into conv1") == 0);
        const FoldRecord& relu = recordOf(log, "relu1");
        QCOMPARE(relu.into, std::string("conv1"));
        QCOMPARE(relu.pass, std::string("FuseActivation"));
        QCOMPARE(relu.reason, std::string("fused into conv1 as its activation"));
        QCOMPARE(log.survivorOf("relu1"), std::string("conv1"));
        QCOMPARE(log.survivorOf("conv1"), std::string("conv1")); // kept
        QVERIFY(!log.find("conv1"));
    }

    void constantFoldingNamesTheValueThatStandsForTheNode()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {4});
        ValueId sum = g.addValue("sum"), y = g.addValue("y");
        const Tensor a = filled({4}, -1, 1, 2);
        g.addNode("add_consts", "Add", {g.addConstant("a", a), g.addConstant("b", a)}, {sum});
        g.addNode("out", "Mul", {x, sum}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        const FoldLog log = cleanUp(g);
        const FoldRecord& r = recordOf(log, "add_consts");
        QCOMPARE(r.pass, std::string("ConstantFolding"));
        QCOMPARE(r.reason, std::string("constant-folded"));
        QCOMPARE(r.value, std::string("sum"));
        QVERIFY(r.into.empty());
        QCOMPARE(log.survivorOf("add_consts"), std::string());
        QVERIFY(!log.find("out"));
    }

    void identityAndUnreadNodesAreRecorded()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {4});
        ValueId a = g.addValue("a"), y = g.addValue("y"), unused = g.addValue("unused");
        g.addNode("id", "Identity", {x}, {a});
        g.addNode("neg", "Sigmoid", {a}, {y});
        g.addNode("dead", "Sigmoid", {x}, {unused});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        const FoldLog log = cleanUp(g);
        QCOMPARE(g.liveNodeCount(), size_t(1));
        QCOMPARE(recordOf(log, "id").pass, std::string("EliminateIdentity"));
        QCOMPARE(recordOf(log, "id").value, std::string("x")); // its readers now read x
        QCOMPARE(recordOf(log, "dead").pass, std::string("DeadCodeElimination"));
    }

    void forwardedWeightsNameTheInitializerThroughAChain()
    {
        Graph g;
        ValueId x = g.addValue("x", DType::Float32, {1, 4});
        ValueId a1 = g.addValue("w_a"), a2 = g.addValue("w_b"), y = g.addValue("y");
        g.addNode("Identity_0", "Identity", {g.addConstant("W", filled({4, 3}, -1, 1, 3))}, {a1});
        g.addNode("Identity_1", "Identity", {a1}, {a2});
        g.addNode("mm", "MatMul", {x, a2}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        FoldLog log;
        QCOMPARE(foldForwardedConstants(g, &log), 2);
        QCOMPARE(recordOf(log, "Identity_0").reason, std::string("removed as Identity of weight W"));
        QCOMPARE(recordOf(log, "Identity_1").reason, std::string("removed as Identity of weight W"));
        QCOMPARE(recordOf(log, "Identity_1").value, std::string("w_b"));
    }

    void survivorFollowsLaterRemovals()
    {
        FoldLog log;
        log.record({"relu", "Relu", "add", "", "fused into add", "P"});
        log.record({"add", "Add", "conv", "", "merged into conv", "Q"});
        log.record({"relu", "Relu", "other", "", "a second record is ignored", "R"});
        QCOMPARE(log.survivorOf("relu"), std::string("conv"));
        QCOMPARE(recordOf(log, "relu").reason, std::string("fused into add"));
        QCOMPARE(log.records().size(), size_t(2));
    }
};

QTEST_APPLESS_MAIN(TestPassFoldLog)
#include "test_pass_fold_log.moc"
