// Passes by name: registry lookup and its error, pipelines from names against the former
// hand-built default list, the verifier catching passes that break counts or shapes (named
// pass and node), and the context's per-pass log.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/Progress.h"
#include "core/passes/ConstantFolding.h"
#include "core/passes/DeadCodeElimination.h"
#include "core/passes/EliminateIdentity.h"
#include "core/passes/FoldBatchNorm.h"
#include "core/passes/FuseActivation.h"
#include "core/passes/PassRegistry.h"

#include "OpTestHarness.h"

#include <QtTest>

using namespace tessera;
using tessera::testing::filled;
using tessera::testing::maxAbsDiff;

namespace {

// Broken on purpose: rewrites node 'first''s output shape without re-inferring.
class StaleShapePass : public Pass {
public:
    std::string name() const override { return "TestStaleShape"; }
    bool run(Graph& graph, const PassContext&) override
    {
        graph.value(graph.node(0).outputs[0]).shape = {7};
        return true;
    }
};

// Broken on purpose: node 'first' loses its only output.
class DropOutputPass : public Pass {
public:
    std::string name() const override { return "TestDropOutput"; }
    bool run(Graph& graph, const PassContext&) override
    {
        graph.node(0).outputs.clear();
        return true;
    }
};

// Broken on purpose: removes the node producing the graph output, which nothing defines then.
class UndefinedInputPass : public Pass {
public:
    std::string name() const override { return "TestUndefinedInput"; }
    bool run(Graph& graph, const PassContext&) override
    {
        graph.removeNode(graph.value(graph.outputs()[0]).producer);
        graph.rebuildUses();
        return true;
    }
};

const PassRegistration kStale({"TestStaleShape", "test only: leaves a stale shape", [] {
                                   return std::unique_ptr<Pass>(new StaleShapePass);
                               }});
const PassRegistration kDrop({"TestDropOutput", "test only: drops an output", [] {
                                  return std::unique_ptr<Pass>(new DropOutputPass);
                              }});
const PassRegistration kUndefined({"TestUndefinedInput", "test only: leaves an undefined input", [] {
                                       return std::unique_ptr<Pass>(new UndefinedInputPass);
                                   }});

// x[2] -> Add 'first' -> a -> Mul 'second' -> y, shapes inferred.
Graph twoNodes()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {2});
    ValueId a = g.addValue("a"), y = g.addValue("y");
    g.addNode("first", "Add", {x, x}, {a});
    g.addNode("second", "Mul", {a, a}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

// x[1,2,3,3] -> Conv 1x1 -> BatchNormalization -> Relu -> Identity -> y.
Graph convBnRelu()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 2, 3, 3});
    std::vector<ValueId> conv = {x, g.addConstant("w", filled({2, 2, 1, 1}, -1, 1, 3)),
                                 g.addConstant("b", filled({2}, -1, 1, 5))};
    ValueId t = g.addValue("t"), r = g.addValue("r"), i = g.addValue("i"), y = g.addValue("y");
    g.addNode("conv", "Conv", conv, {t});
    std::vector<ValueId> bn = {t};
    for (uint32_t seed : {7u, 11u, 13u})
        bn.push_back(g.addConstant("bn" + std::to_string(seed), filled({2}, -1, 1, seed)));
    bn.push_back(g.addConstant("var", filled({2}, 0.5f, 1.5f, 17)));
    g.addNode("bn", "BatchNormalization", bn, {r});
    g.addNode("relu", "Relu", {r}, {i});
    g.addNode("id", "Identity", {i}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

// The verifier's error after running `names`; the pass that broke the graph is logged.
std::string errorOf(Graph& g, const std::vector<std::string>& names)
{
    PassContext context;
    context.verifyEachPass = true;
    try {
        runPipeline(g, names, context);
    } catch (const Error& e) {
        return context.log.empty() || context.log.back().pass != names.back() ? "not logged" : e.what();
    }
    return {};
}

} // namespace

class TestPassRegistry : public QObject {
    Q_OBJECT
private slots:
    void looksUpEveryPassByItsName()
    {
        QCOMPARE(createPass("FoldBatchNorm")->name(), std::string("FoldBatchNorm"));
        for (const PassInfo& info : registeredPasses()) {
            QCOMPARE(createPass(info.name)->name(), info.name);
            QVERIFY2(!info.doc.empty(), info.name.c_str());
        }
        for (const std::string& name : defaultPipeline())
            QVERIFY(createPass(name) != nullptr);
    }

    void unknownNameListsTheKnownOnes()
    {
        try {
            createPass("FoldBN");
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString message = e.what();
            QVERIFY2(message.contains("'FoldBN'"), e.what());
            for (const char* known : {"ConstantFolding", "EliminateIdentity", "FoldBatchNorm", "FuseActivation",
                                      "DeadCodeElimination"})
                QVERIFY2(message.contains(known), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, registerPass({"ConstantFolding", "again", [] { return createPass("FoldBatchNorm"); }}));
    }

    void namedPipelineMatchesTheHandBuiltDefault()
    {
        // The default list as it was built before the registry: instances, in order.
        PassList handBuilt;
        handBuilt.push_back(std::make_unique<ConstantFolding>());
        handBuilt.push_back(std::make_unique<EliminateIdentity>());
        handBuilt.push_back(std::make_unique<FoldBatchNorm>());
        handBuilt.push_back(std::make_unique<FuseActivation>());
        handBuilt.push_back(std::make_unique<DeadCodeElimination>());
        Graph byHand = convBnRelu(), byName = convBnRelu();
        const Tensor x = filled({1, 2, 3, 3}, -2, 2, 23);
        const Tensor reference = Executor(byHand).run({x})[0];
        PassContext a, b;
        QVERIFY(runPasses(byHand, handBuilt, a));
        QVERIFY(runPipeline(byName, defaultPipeline(), b));
        QCOMPARE(byName.liveNodeCount(), size_t(1)); // Conv with BN folded, Relu fused
        QCOMPARE(byName.liveNodeCount(), byHand.liveNodeCount());
        const Node& conv = byName.node(byName.liveNodes()[0]);
        QCOMPARE(conv.opType, byHand.node(byHand.liveNodes()[0]).opType);
        QCOMPARE(conv.attrs.getString("fused_activation", ""), std::string("Relu"));
        QCOMPARE(maxAbsDiff(Executor(byName).run({x})[0], Executor(byHand).run({x})[0]), 0.0f);
        QVERIFY(maxAbsDiff(Executor(byName).run({x})[0], reference) < 1e-5f);
    }

    void verifierNamesPassAndNodeOfAStaleShape()
    {
        Graph g = twoNodes();
        const QString message = QString::fromStdString(errorOf(g, {"TestStaleShape"}));
        QVERIFY2(message.contains("pass 'TestStaleShape'"), qPrintable(message));
        QVERIFY2(message.contains("'first'") && message.contains("stale"), qPrintable(message));
        QVERIFY2(!message.contains("'second'"), qPrintable(message)); // its own shape is right
    }

    void verifierNamesPassAndNodeOfADroppedOutput()
    {
        Graph g = twoNodes();
        const QString message = QString::fromStdString(errorOf(g, {"TestDropOutput"}));
        QVERIFY2(message.contains("pass 'TestDropOutput'"), qPrintable(message));
        QVERIFY2(message.contains("'first': 0 outputs, op allows 1..1"), qPrintable(message));
    }

    void verifierNamesPassOfAnUndefinedInput()
    {
        Graph g = twoNodes();
        const QString message = QString::fromStdString(errorOf(g, {"TestUndefinedInput"}));
        QVERIFY2(message.contains("pass 'TestUndefinedInput'"), qPrintable(message));
        QVERIFY2(message.contains("graph output 'y' is never defined"), qPrintable(message));
    }

    void logRecordsWhatEachPassDid()
    {
        Graph g = convBnRelu();
        PassContext context;
        runPipeline(g, {"EliminateIdentity", "DeadCodeElimination"}, context);
        // Round 1: the Identity goes (4 -> 3 nodes), nothing is dead; round 2: quiet.
        QCOMPARE(context.log.size(), size_t(4));
        QCOMPARE(context.log[0].pass, std::string("EliminateIdentity"));
        QVERIFY(context.log[0].changed);
        QCOMPARE(context.log[0].nodesBefore, size_t(4));
        QCOMPARE(context.log[0].nodesAfter, size_t(3));
        QVERIFY(!context.log[1].changed);
        QCOMPARE(context.log[1].nodesAfter, size_t(3));
        QCOMPARE(context.log[3].iteration, 1);
        QVERIFY(!context.log[2].changed && !context.log[3].changed);
        QVERIFY(context.log[0].milliseconds >= 0);
        QCOMPARE(context.log[0].verifyMilliseconds >= 0, context.verifyEachPass);
        QVERIFY(QString::fromStdString(context.formatLog()).contains("4 -> 3"));
    }

    void cancelledProgressStopsBeforeTheFirstPass()
    {
        Graph g = convBnRelu();
        SilentProgress progress;
        progress.cancel();
        PassContext context;
        context.progress = &progress;
        QVERIFY_THROWS_EXCEPTION(Cancelled, runPipeline(g, defaultPipeline(), context));
        QVERIFY(context.log.empty());
        QCOMPARE(g.liveNodeCount(), size_t(4));
    }
};

QTEST_APPLESS_MAIN(TestPassRegistry)
#include "test_pass_registry.moc"
