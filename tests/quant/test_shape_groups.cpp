// Samples of different shapes (text lines at their own width, `--size AUTOxH`): images
// grouped by width, labels kept with their images, calibration statistics and evaluation
// scores taken over every group, each group run at its own shape.
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizeApi.h"

#include <png.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <random>

using namespace tessera;
using namespace tessera::quant;

namespace {

// A solid grey PNG of width x height (value `grey`): any resize keeps its values.
void writeGrey(const std::string& path, uint32_t width, uint32_t height, uint8_t grey)
{
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    const std::vector<uint8_t> pixels(size_t(width) * height, grey);
    QVERIFY(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr));
}

// x [1, 2, 1, W] -> 1x1 Conv (3 channels) -> GlobalAveragePool -> y [1, 3, 1, 1]: runs at any W.
Graph anyWidth()
{
    Graph g;
    g.name = "any_width";
    const ValueId x = g.addValue("x", DType::Float32, {1, 2, 1, 4});
    const ValueId w = g.addConstant("w", Tensor::fromVector<float>({1, -1, 0.5f, 2, -0.25f, 1}, {3, 2, 1, 1}));
    const ValueId h = g.addValue("h"), y = g.addValue("y");
    g.addNode("conv", "Conv", {x, w}, {h});
    g.addNode("pool", "GlobalAveragePool", {h}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

Tensor randomSamples(int64_t n, int64_t width, float amplitude, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-amplitude, amplitude);
    std::vector<float> v(size_t(n * 2 * width));
    for (float& x : v)
        x = u(rng);
    return Tensor::fromVector<float>(v, {n, 2, 1, width});
}

double maxAbs(const Tensor& t)
{
    double m = 0.0;
    for (float v : t.toFloatVector())
        m = std::max(m, double(std::fabs(v)));
    return m;
}

} // namespace

class TestShapeGroups : public QObject {
    Q_OBJECT
private slots:
    // Height 16, multiple 4, at most 40: 32x32 -> 16, 64x16 -> 64 capped to 40, 30x32 -> 15 ->
    // 16, 48x16 -> 48 capped to 40. Groups by first appearance: [16: 0, 2], [40: 1, 3].
    void autoWidthGroupsImagesWithTheirLabels()
    {
        QTemporaryDir dir;
        const std::string d = dir.path().toStdString();
        writeGrey(d + "/a.png", 32, 32, 51);
        writeGrey(d + "/b.png", 64, 16, 102);
        writeGrey(d + "/c.png", 30, 32, 153);
        writeGrey(d + "/d.png", 48, 16, 204);
        std::ofstream(d + "/labels.txt") << "zero\none\ntwo\nthree\n";
        std::ofstream(d + "/keys.txt") << "z\ne\n";
        DataSource s;
        s.imageFolder = d;
        s.preprocess.channels = 1;
        s.preprocess.mean = {0.0f};
        s.preprocess.std = {1.0f};
        s.preprocess.autoWidth = true;
        s.preprocess.height = 16;
        s.preprocess.widthMultiple = 4;
        s.preprocess.maxWidth = 42;
        s.labelsText = d + "/labels.txt";
        s.keys = d + "/keys.txt";
        const Dataset data = loadDataSource(s);
        QCOMPARE(data.count(), int64_t(4));
        QCOMPARE(data.shapeGroups.size(), size_t(2));
        QVERIFY(data.shapeGroups[0].shape() == Shape({2, 1, 16, 16}));
        QVERIFY(data.shapeGroups[1].shape() == Shape({2, 1, 16, 40}));
        QVERIFY(data.sourceIndex == std::vector<int64_t>({0, 2, 1, 3}));
        QVERIFY(data.textLabels == std::vector<std::string>({"zero", "two", "one", "three"}));
        QCOMPARE(data.shapeGroups[1].data<float>()[0], 102.0f / 255.0f); // b.png, first of the wide group
        s.limit = 3; // the first three files: a, b, c
        const Dataset first = loadDataSource(s);
        QVERIFY(first.sourceIndex == std::vector<int64_t>({0, 2, 1}));
        QVERIFY(first.textLabels == std::vector<std::string>({"zero", "two", "one"}));
    }

    // Calibration sees every group: with min-max observers the input's scale is the largest
    // |x| over both groups (the wider one holds it), each group run at its own width.
    // A range of source positions (a search's held-out part): the samples at those
    // positions, still in their groups, labels with them, positions counted from 0.
    void sourceRangeKeepsGroups()
    {
        Dataset d;
        d.shapeGroups = {Tensor::fromVector<float>({0, 2, 4}, {3, 1}), Tensor::fromVector<float>({1, 1, 3, 3}, {2, 2})};
        d.inputs = d.shapeGroups[0];
        d.sourceIndex = {0, 2, 4, 1, 3}; // each value says where its sample was in the source
        d.labels = {10, 12, 14, 11, 13};  // 10 + source position
        const Dataset r = sourceRange(d, 2, 5); // positions 2, 3, 4
        QCOMPARE(r.count(), int64_t(3));
        QCOMPARE(r.shapeGroups.size(), size_t(2));
        QCOMPARE(r.shapeGroups[0].toFloatVector(), (std::vector<float>{2, 4}));
        QCOMPARE(r.shapeGroups[1].toFloatVector(), (std::vector<float>{3, 3}));
        QCOMPARE(r.sourceIndex, (std::vector<int64_t>{0, 2, 1}));
        QCOMPARE(r.labels, (std::vector<int64_t>{12, 14, 13}));
        QCOMPARE(sourceRange(d, 0, 2).shapeGroups.size(), size_t(2)); // positions 0 and 1: one per group
        QCOMPARE(sourceRange(d, 4, 5).count(), int64_t(1));
    }

    void calibrationMergesShapeGroups()
    {
        ModelGraphs model(anyWidth());
        Dataset data;
        data.shapeGroups = {randomSamples(3, 4, 1.0f, 1), randomSamples(2, 6, 3.0f, 2)};
        data.inputs = data.shapeGroups[0];
        data.source = "groups";
        QuantConfig c;
        c.activationObserver.kind = ObserverKind::MinMax;
        c.smoothInputs = SmoothingScope::Off;
        const QuantSpec r = calibrate(model, data, c);
        const double largest = std::max(maxAbs(data.shapeGroups[0]), maxAbs(data.shapeGroups[1]));
        QVERIFY(largest > 2.0);
        QCOMPARE(r.tensors.at("x").scale, largest / 127.0);
        QVERIFY(model.forShape({2, 1, 6}, 2).value(model.forShape({2, 1, 6}, 2).outputs()[0]).shape == Shape({2, 3, 1, 1}));
    }

    // Evaluation shape by shape: the counts are those of each group evaluated on its own.
    void evaluationMergesShapeGroups()
    {
        ModelGraphs model(anyWidth());
        Dataset data;
        data.shapeGroups = {randomSamples(6, 4, 1.0f, 3), randomSamples(4, 6, 1.0f, 4)};
        data.inputs = data.shapeGroups[0];
        data.labels = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};
        data.source = "groups";
        QuantConfig c;
        c.activationBits = 3; // coarse: some samples disagree
        c.task.kind = TaskKind::Classification; // argmax over the 3 channels
        c.smoothInputs = SmoothingScope::Off;
        const QuantSpec r = calibrate(model, data, c);
        EvalOptions eo;
        eo.perLayer = true;
        const EvalReport all = evaluate(model, r, data, eo);
        const std::vector<Dataset> groups = splitByShape(data);
        QCOMPARE(groups.size(), size_t(2));
        const EvalReport a = evaluate(model, r, groups[0], eo), b = evaluate(model, r, groups[1], eo);
        QCOMPARE(all.samples, int64_t(10));
        QCOMPARE(all.agreement, (a.agreement * 6 + b.agreement * 4) / 10);
        QCOMPARE(all.quantTop1, (a.quantTop1 * 6 + b.quantTop1 * 4) / 10);
        QCOMPARE(all.fp32Top1, (a.fp32Top1 * 6 + b.fp32Top1 * 4) / 10);
        QCOMPARE(all.layers.size(), a.layers.size());
        QVERIFY(std::isfinite(all.outputSqnrDb));
        // One FP32 reference holds outputs of one shape: callers run it group by group.
        QVERIFY_THROWS_EXCEPTION(Error, computeFp32Reference(model, data));
    }
};

QTEST_APPLESS_MAIN(TestShapeGroups)
#include "test_shape_groups.moc"
