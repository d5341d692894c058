// The pass pipeline: fixpoint iteration (verification: test_pass_registry), and the
// default pipeline on a real model (mnist_wide: Conv+BN+ReLU x4) checked against
// ONNX Runtime's outputs before and after.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/io/Npy.h"
#include "core/onnx/OnnxImporter.h"
#include "core/passes/Pass.h"

#include "OpTestHarness.h"

#include <QtTest>

#include <cmath>
#include <map>

using namespace tessera;
using tessera::testing::maxAbsDiff;

namespace {

// Counts its runs and reports a change for the first `changes` of them.
class CountingPass : public Pass {
public:
    explicit CountingPass(int changes) : m_changes(changes) {}
    std::string name() const override { return "Counting"; }
    bool run(Graph&, const PassContext&) override { return ++runs <= m_changes; }
    int runs = 0;

private:
    int m_changes;
};

std::map<std::string, int> opCounts(const Graph& g)
{
    std::map<std::string, int> counts;
    for (NodeId id : g.liveNodes())
        ++counts[g.node(id).opType];
    return counts;
}

struct PipelineRun {
    std::map<std::string, int> before, after; // op counts
    size_t nodesBefore = 0, nodesAfter = 0;
    int fusedLayers = 0;
    float diffBefore = 0, diffAfter = 0; // max |output - ONNX Runtime|
};

// Imports a bundled model at the input's batch, runs it, runs the default pipeline with
// verification, runs it again; both runs are compared with ONNX Runtime's outputs.
PipelineRun runOnModel(const std::string& model, const std::string& input, const std::string& reference)
{
    const std::string dir = TESSERA_TEST_DATA "/models/";
    Tensor x = readNpy(dir + input);
    Tensor expected = readNpy(dir + reference);
    ImportOptions probe;
    probe.lenient = true;
    ImportOptions options;
    const Graph probed = importOnnxFile(dir + model, probe).graph;
    options.inputShapes[probed.value(probed.inputs().at(0)).name] = x.shape();
    Graph g = importOnnxFile(dir + model, options).graph;
    PipelineRun r;
    r.before = opCounts(g);
    r.nodesBefore = g.liveNodeCount();
    r.diffBefore = maxAbsDiff(Executor(g).run({x})[0], expected);
    PassContext context;
    context.verifyEachPass = true;
    runPipeline(g, defaultPipeline(), context);
    r.after = opCounts(g);
    r.nodesAfter = g.liveNodeCount();
    for (NodeId id : g.liveNodes())
        r.fusedLayers += g.node(id).attrs.has("fused_activation");
    r.diffAfter = maxAbsDiff(Executor(g).run({x})[0], expected);
    if (runPipeline(g, defaultPipeline(), context))
        r.diffAfter = INFINITY; // a second run must find nothing left to do
    return r;
}

} // namespace

class TestPassesPipeline : public QObject {
    Q_OBJECT
private slots:
    void repeatsUntilNothingChanges()
    {
        Graph g;
        PassList passes;
        passes.push_back(std::make_unique<CountingPass>(2));
        auto* counter = static_cast<CountingPass*>(passes[0].get());
        PassContext context;
        QVERIFY(runPasses(g, passes, context));
        QCOMPARE(counter->runs, 3); // changed, changed, then a quiet round

        PassList endless;
        endless.push_back(std::make_unique<CountingPass>(1000));
        PassContext options;
        options.maxIterations = 4;
        runPasses(g, endless, options);
        QCOMPARE(static_cast<CountingPass*>(endless[0].get())->runs, 4);
    }

    void defaultPipelineOnMnistWideFusesRelus()
    {
        // torch already folded mnist_wide's BatchNorms: 4 Conv and 2 Gemm, 5 of them + ReLU.
        PipelineRun r = runOnModel("mnist/mnist_wide.onnx", "mnist/mnist_test_x16.npy", "mnist/mnist_wide_ort16.npy");
        QCOMPARE(r.before.at("Relu"), 5);
        QCOMPARE(r.after.count("Relu"), size_t(0));
        QCOMPARE(r.nodesAfter, r.nodesBefore - 5);
        QCOMPARE(r.fusedLayers, 5);
        QVERIFY2(r.diffBefore < 1e-4f, qPrintable(QString("unoptimized vs ONNX Runtime: %1").arg(r.diffBefore)));
        QVERIFY2(r.diffAfter < 1e-4f, qPrintable(QString("optimized vs ONNX Runtime: %1").arg(r.diffAfter)));
    }

    void defaultPipelineOnPaddleClassifierFoldsBatchNorms()
    {
        // paddle2onnx export: 35 unfused BatchNormalization, a Shape->Slice->Concat chain.
        PipelineRun r = runOnModel("ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx", "ocr/cls_in.npy", "ocr/cls_out_ort.npy");
        QCOMPARE(r.before.at("BatchNormalization"), 35);
        QCOMPARE(r.after.count("BatchNormalization"), size_t(0));
        QCOMPARE(r.after.count("Shape"), size_t(0));
        QVERIFY(r.fusedLayers > 0);
        QVERIFY2(r.diffBefore < 1e-4f, qPrintable(QString("unoptimized vs ONNX Runtime: %1").arg(r.diffBefore)));
        QVERIFY2(r.diffAfter < 1e-4f, qPrintable(QString("optimized vs ONNX Runtime: %1").arg(r.diffAfter)));
    }

    void defaultPipelineKeepsUnfoldableBatchNorm()
    {
        // digits_resnet has a BatchNormalization after a residual Add: nothing to fold into.
        PipelineRun r =
            runOnModel("digits/digits_resnet.onnx", "digits/digits_test_x16.npy", "digits/digits_resnet_ort.npy");
        QCOMPARE(r.before.at("BatchNormalization"), 1);
        QCOMPARE(r.after.at("BatchNormalization"), 1);
        QVERIFY2(r.diffBefore < 1e-4f, qPrintable(QString("unoptimized vs ONNX Runtime: %1").arg(r.diffBefore)));
        QVERIFY2(r.diffAfter < 1e-4f, qPrintable(QString("optimized vs ONNX Runtime: %1").arg(r.diffAfter)));
    }
};

QTEST_APPLESS_MAIN(TestPassesPipeline)
#include "test_passes_pipeline.moc"
