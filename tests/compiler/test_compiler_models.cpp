// The compiler on real models: the bundled models pack within 5% of the lower bound of
// arrays and fit on m1076; SRAM relief on a tiny chip; ResNet-50 (opt-in, a file another
// build generates) fits on m1076 with >= 5x frames/s from replication in under 3 s.
#include "compiler/Compiler.h"
#include "core/ShapeInference.h"
#include "core/onnx/OnnxImporter.h"

#include "../core/OpTestHarness.h"

#include <QtTest>

#include <chrono>
#include <cmath>
#include <fstream>

using namespace tessera;
using namespace tessera::compiler;
using tessera::testing::filled;

namespace {

Graph importModel(const std::string& path)
{
    ImportOptions o;
    o.runCleanupPasses = true;
    return importOnnxFile(path, o).graph;
}

// x[1, 16, 96, 96] -> three 3x3 convs of 16 channels: 144 x 16 weights each, one array.
Graph convChain()
{
    Graph g;
    ValueId x = g.addValue("x", DType::Float32, {1, 16, 96, 96});
    g.markGraphInput(x);
    Attributes a;
    a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    for (int i = 0; i < 3; ++i) {
        ValueId y = g.addValue("y" + std::to_string(i));
        g.addNode("conv" + std::to_string(i), "Conv",
                  {x, g.addConstant("w" + std::to_string(i), filled({16, 16, 3, 3}, -1, 1, 3 + i))}, {y}, a);
        x = y;
    }
    g.markGraphOutput(x);
    inferShapes(g);
    return g;
}

} // namespace

class TestCompilerModels : public QObject {
    Q_OBJECT
private slots:
    void bundledModelsPackNearTheLowerBound_data();
    void bundledModelsPackNearTheLowerBound();
    void sramReliefMovesLayersApart();
    void resnet50FitsOnM1076();
};

void TestCompilerModels::bundledModelsPackNearTheLowerBound_data()
{
    QTest::addColumn<QString>("model");
    for (const char* m : {"digits/digits_cnn.onnx", "digits/digits_resnet.onnx", "mnist/mnist_lenet.onnx",
                          "mnist/mnist_mobile.onnx", "mnist/mnist_wide.onnx"})
        QTest::newRow(m) << QString(m);
}

void TestCompilerModels::bundledModelsPackNearTheLowerBound()
{
    QFETCH(QString, model);
    const Graph g = importModel(std::string(TESSERA_TEST_DATA) + "/models/" + model.toStdString());
    const CompileResult r = compileGraph(g, loadTarget("m1076"), nullptr);
    QVERIFY2(r.fits, r.fitMessage.c_str());
    QVERIFY(r.arraysUnreplicated <= static_cast<int64_t>(std::ceil(1.05 * static_cast<double>(r.arraysLowerBound))));
    QVERIFY(r.fps >= r.fpsUnreplicated);
}

void TestCompilerModels::sramReliefMovesLayersApart()
{
    // On one tile the three layers keep x, y0, y1 (4 rows of 16 x 96 bytes each) and y2
    // (2 rows) = 21504 bytes, plus the ADC scratch (256 x 8) > 16384. One layer per tile fits.
    CompileOptions o;
    o.replicate = false;
    const CompileResult r = compileGraph(convChain(), loadTarget("test4"), nullptr, o);
    QCOMPARE(r.arraysUnreplicated, int64_t(1));
    QVERIFY(r.arraysSramRelieved >= 2);
    QVERIFY2(r.fits, r.fitMessage.c_str());
    for (const TilePlan& t : r.tiles)
        QVERIFY(t.sramBytes <= r.target.tiles.sramBytes);
}

void TestCompilerModels::resnet50FitsOnM1076()
{
    // TESSERA_COMPILE_RESNET50=path/to/resnet50.onnx (scripts/make-real-models.sh writes it).
    const QByteArray given = qgetenv("TESSERA_COMPILE_RESNET50");
    const std::string path = given.toStdString();
    if (path.empty() || !std::ifstream(path))
        QSKIP("set TESSERA_COMPILE_RESNET50=path/to/resnet50.onnx (scripts/make-real-models.sh) to compile ResNet-50");
    const Graph g = importModel(path);
    const auto start = std::chrono::steady_clock::now();
    const CompileResult r = compileGraph(g, loadTarget("m1076"), nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(r.fits, r.fitMessage.c_str());
    QVERIFY(r.arraysUnreplicated <= static_cast<int64_t>(std::ceil(1.05 * static_cast<double>(r.arraysLowerBound))));
    QVERIFY(r.fps >= 5 * r.fpsUnreplicated);
    QVERIFY(seconds < 3.0);
}

QTEST_APPLESS_MAIN(TestCompilerModels)
#include "test_compiler_models.moc"
