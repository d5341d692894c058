// The event-driven performance model against the compiler's analytic estimate on every
// bundled model (compiled here for m1076 from the weights alone): frames/s within 5%, the
// per-layer time of every analog layer equal to the compiler's; where they differ, the
// reason the report gives. ResNet-50 (opt-in: TESSERA_RESNET50=path) prints its figures.
#include "compiler/Compiler.h"
#include "compiler/PackageBuilder.h"
#include "quant/Dataset.h"
#include "simulator/PerfModel.h"

#include <QtTest>

#include <cmath>
#include <cstdlib>

using namespace tessera;

namespace {

struct Compiled {
    compiler::CompileResult result;
    package::Package package;
};

Compiled compile(const std::string& path, const Shape& shape, const std::string& target = "m1076")
{
    quant::ModelGraphs graphs(path, shape);
    const Graph& g = graphs.forBatch(graphs.declaredBatch());
    Compiled c;
    c.result = compiler::compileGraph(g, loadTarget(target), nullptr);
    c.package = compiler::buildPackage(g, c.result, nullptr, {path, graphs.contentHash(), ""});
    return c;
}

void print(const std::string& model, const Compiled& c, const sim::PerfReport& r)
{
    qInfo("%s: compiler %.1f fps (unreplicated %.1f%s); model %.1f fps (bound %.1f), latency %.1f us, %.2f uJ/frame, %.3f W; %s",
          model.c_str(), c.result.fps, c.result.fpsUnreplicated, c.result.nocLimited ? ", NoC-limited" : "", r.fps,
          1e9 / r.boundNsPerFrame, r.latencyNs / 1000, r.energyPjPerFrame * 1e-6, r.averagePowerW, r.bottleneck.c_str());
    std::string done;
    for (double d : r.frameDoneNs)
        done += std::to_string(static_cast<int64_t>(d / 1000)) + " ";
    qInfo("  frames done (us): %s; loaded latency %.1f us", done.c_str(), r.loadedLatencyNs / 1000);
    for (const std::string& n : r.notes)
        qInfo("  note: %s", n.c_str());
}

} // namespace

class TestPerfModels : public QObject {
    Q_OBJECT
private slots:
    void agreesWithTheCompilerEstimate_data();
    void agreesWithTheCompilerEstimate();
    void resnet50OnM1076();
};

void TestPerfModels::agreesWithTheCompilerEstimate_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("shape");
    for (const char* m : {"mnist/mnist_lenet.onnx", "mnist/mnist_mobile.onnx", "mnist/mnist_wide.onnx",
                          "digits/digits_cnn.onnx", "digits/digits_resnet.onnx"})
        QTest::newRow(m) << QString(m) << QString();
    QTest::newRow("ocr cls") << QString("ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx") << QString("1,3,48,192");
    QTest::newRow("ocr det") << QString("ocr/ch_PP-OCRv4_det_infer.onnx") << QString("1,3,640,640");
}

void TestPerfModels::agreesWithTheCompilerEstimate()
{
    QFETCH(QString, model);
    QFETCH(QString, shape);
    Shape dims;
    for (const QString& d : shape.split(',', Qt::SkipEmptyParts))
        dims.push_back(d.toLongLong());
    const Compiled c = compile(std::string(TESSERA_TEST_DATA) + "/models/" + model.toStdString(), dims);
    const sim::PerfReport r = sim::modelPerformance(c.package);
    print(model.toStdString(), c, r);
    // Frames/s: the busiest resource's work per frame, as the compiler's estimate, and the
    // pipeline sustains it.
    QVERIFY2(std::abs(r.fps / c.result.fps - 1) < 0.05, r.bottleneck.c_str());
    // Every analog layer's busiest array: the compiler's phases, recomputed from the package.
    for (const sim::LayerPerf& l : r.layers) {
        if (l.unit != "analog")
            continue;
        for (const compiler::LayerPlan& plan : c.result.layers)
            if (plan.node == l.name) {
                double ns = 0;
                for (int a : plan.arrays)
                    ns = std::max(ns, c.result.arrays[a].nsPerFrame);
                QVERIFY2(std::abs(l.arrayNsPerFrame / ns - 1) < 0.01, l.name.c_str());
            }
    }
    QVERIFY(r.latencyNs > 0 && r.energyPjPerFrame > 0);
}

// Opt-in (a 100 MB package, ~3 s): TESSERA_RESNET50=build/real-models/resnet50.onnx.
void TestPerfModels::resnet50OnM1076()
{
    const char* path = std::getenv("TESSERA_RESNET50");
    if (!path)
        QSKIP("set TESSERA_RESNET50 to the ResNet-50 ONNX export");
    const Compiled c = compile(path, {});
    const sim::PerfReport r = sim::modelPerformance(c.package);
    print("resnet50", c, r);
    QVERIFY(std::abs(r.fps / c.result.fps - 1) < 0.05);
    QVERIFY(r.fps >= 30); // real time
    QVERIFY(r.macsPerFrame > 4e9 && r.macsPerFrame < 4.2e9);
}

QTEST_GUILESS_MAIN(TestPerfModels)
#include "test_perf_models.moc"
