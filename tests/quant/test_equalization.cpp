// Cross-layer equalization (quant/Equalization.h): hand-computed scales on a two-layer
// graph, exactness in FP32 on real models, the balancing property, and the JSON record.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/io/FileIO.h"
#include "quant/Calibrator.h"
#include "quant/Equalization.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string data(const std::string& rel) { return std::string(TESSERA_TEST_DATA) + "/models/" + rel; }

std::vector<float> constantOf(const Graph& g, const std::string& node, size_t input)
{
    return g.value(g.node(*g.findNode(node)).inputs[input]).constant.toFloatVector();
}

// x[1,3] -> fc1 (Gemm transB, W1 [[4,-1,2],[0.5,0.25,-0.5]], b1 [1,-2], activation `act1`)
// -> fc2 (Gemm transB, W2 [[1,-2],[0.5,8]]) -> y.
Graph twoLayers(const std::string& act1)
{
    Graph g;
    g.name = "two";
    ValueId x = g.addValue("x", DType::Float32, {1, 3});
    ValueId w1 = g.addConstant("W1", Tensor::fromVector<float>({4, -1, 2, 0.5f, 0.25f, -0.5f}, {2, 3}));
    ValueId b1 = g.addConstant("b1", Tensor::fromVector<float>({1, -2}, {2}));
    ValueId w2 = g.addConstant("W2", Tensor::fromVector<float>({1, -2, 0.5f, 8}, {2, 2}));
    ValueId h = g.addValue("h"), y = g.addValue("y");
    Attributes a1, a2;
    a1.set("transB", int64_t{1});
    a2.set("transB", int64_t{1});
    if (!act1.empty())
        a1.set("fused_activation", act1);
    if (act1 == "Clip") { // ReLU6
        a1.set("fused_min", 0.0f);
        a1.set("fused_max", 6.0f);
    }
    g.addNode("fc1", "Gemm", {x, w1, b1}, {h}, a1);
    g.addNode("fc2", "Gemm", {h, w2}, {y}, a2);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

std::vector<float> runFp32(const Graph& g, const Tensor& input) { return Executor(g).run({input})[0].toFloatVector(); }

double maxRelDiff(const std::vector<float>& a, const std::vector<float>& b)
{
    double diff = 0.0, mag = 1e-12;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
        mag = std::max(mag, std::fabs(double(a[i])));
    }
    return diff / mag;
}

} // namespace

class TestEqualization : public QObject {
    Q_OBJECT
private:
    // The scaling of a real model: the equalized graph computes the same function.
    void checkExact(ModelGraphs& graphs, const Tensor& batch, size_t expectedPairs)
    {
        const int64_t count = batch.dim(0);
        const Graph raw = graphs.forBatch(count);
        const std::string model = graphs.name();
        const std::vector<float> before = runFp32(raw, batch);
        const std::vector<EqualizablePair> pairs = findEqualizablePairs(raw);
        QCOMPARE(pairs.size(), expectedPairs);
        const std::vector<ChannelScaling> eq = computeEqualization(raw);
        QCOMPARE(eq.size(), pairs.size());
        bool changed = false;
        for (const ChannelScaling& cs : eq)
            for (double s : cs.scales)
                changed |= std::fabs(s - 1.0) > 1e-3;
        QCOMPARE(changed, expectedPairs > 0); // the test would prove nothing with all scales 1
        graphs.setEqualization(eq);
        const Graph& equalized = graphs.forBatch(count);
        const double rel = maxRelDiff(before, runFp32(equalized, batch));
        qInfo("%s: %zu pairs, max |diff| / max |out| = %.2e", model.c_str(), pairs.size(), rel);
        for (const ChannelScaling& cs : eq)
            qInfo("   %s -> %s", cs.first.c_str(), cs.second.c_str());
        QVERIFY2(rel <= 1e-5, qPrintable(QString::number(rel)));
        // Balanced: after convergence r1_c = r2_c for every pair (Nagel et al., eq. 9).
        for (const EqualizablePair& p : findEqualizablePairs(equalized)) {
            std::vector<double> r1, r2;
            pairRanges(equalized, p, r1, r2);
            for (size_t c = 0; c < r1.size(); ++c)
                if (r1[c] > 0 && r2[c] > 0)
                    QVERIFY2(std::fabs(r1[c] - r2[c]) <= 1e-3 * r1[c],
                             qPrintable(QString("%1 ch %2: %3 vs %4")
                                            .arg(equalized.node(p.first).name.c_str())
                                            .arg(c)
                                            .arg(r1[c])
                                            .arg(r2[c])));
        }
    }

private slots:
    // r1 = [4, 0.5], r2 = [1, 8] -> s = sqrt(r1 / r2) = [2, 0.25]; W1 rows / s, b1 / s,
    // W2 columns * s: W1' = [[2,-0.5,1],[2,1,-2]], b1' = [0.5,-8], W2' = [[2,-0.5],[1,2]].
    void handComputedScales()
    {
        for (const char* act : {"", "Relu"}) {
            Graph g = twoLayers(act);
            const std::vector<ChannelScaling> eq = computeEqualization(g);
            QCOMPARE(eq.size(), size_t(1));
            QCOMPARE(eq[0].first, std::string("fc1"));
            QCOMPARE(eq[0].second, std::string("fc2"));
            QCOMPARE(eq[0].scales, std::vector<double>({2.0, 0.25}));
            const Tensor x = Tensor::fromVector<float>({0.5f, -1.0f, 2.0f}, {1, 3});
            const std::vector<float> before = runFp32(g, x);
            applyEqualization(g, eq);
            QCOMPARE(constantOf(g, "fc1", 1), std::vector<float>({2, -0.5f, 1, 2, 1, -2}));
            QCOMPARE(constantOf(g, "fc1", 2), std::vector<float>({0.5f, -8}));
            QCOMPARE(constantOf(g, "fc2", 1), std::vector<float>({2, -0.5f, 1, 2}));
            // h = [2 + 1 + 4 + 1, 0.25 - 0.25 - 1 - 2] = [8, -3]; y (Relu) = [8, 4], (none) = [14, -20].
            const std::vector<float> expected = std::string(act) == "Relu" ? std::vector<float>{8, 4} : std::vector<float>{14, -20};
            QCOMPARE(before, expected);
            QCOMPARE(runFp32(g, x), expected);
        }
    }

    // A scalar Gemm C broadcasts over the columns: it becomes a per-column [N] bias.
    void scalarBiasIsExpanded()
    {
        Graph g = twoLayers("Relu");
        Node& fc1 = g.node(*g.findNode("fc1"));
        fc1.inputs[2] = g.addConstant("c", Tensor::fromVector<float>({1.0f}, {1}));
        g.rebuildUses();
        inferShapes(g);
        const Tensor x = Tensor::fromVector<float>({0.5f, -1.0f, 2.0f}, {1, 3});
        const std::vector<float> before = runFp32(g, x);
        applyEqualization(g, computeEqualization(g));
        QCOMPARE(constantOf(g, "fc1", 2), std::vector<float>({0.5f, 4.0f})); // 1 / [2, 0.25]
        QCOMPARE(runFp32(g, x), before);
    }

    // ReLU6 is not positive-homogeneous (the bound 6 would have to scale per channel).
    void boundedActivationIsNotEqualized()
    {
        Graph g = twoLayers("Clip");
        QVERIFY(findEqualizablePairs(g).empty());
        const QString e = [&] {
            try {
                applyEqualization(g, {{"fc1", "fc2", {2.0, 0.25}}});
            } catch (const Error& err) {
                return QString(err.what());
            }
            return QString();
        }();
        QVERIFY2(e.contains("fc1") && e.contains("fc2") && e.contains("not an equalizable pair"), qPrintable(e));
    }

    void wrongScaleCountIsReported()
    {
        Graph g = twoLayers("Relu");
        try {
            applyEqualization(g, {{"fc1", "fc2", {2.0}}});
            QFAIL("no error");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("1 scales for the 2 channels"), err.what());
        }
    }

    void checkModel(const std::string& model, const std::string& inputs, size_t expectedPairs)
    {
        ModelGraphs graphs(data(model));
        checkExact(graphs, sliceRows(loadNpyDataset({data(inputs)}).inputs, 0, 32), expectedPairs);
    }

    // Conv 1x1 (ReLU) -> depthwise 3x3 (ReLU) -> Conv 1x1: a depthwise layer as L2 of the
    // first pair and as L1 of the second, with channel multiplier 1.
    void depthwiseChainExact()
    {
        Graph g;
        g.name = "dwchain";
        auto weights = [](int64_t n, float seed) {
            std::vector<float> w(static_cast<size_t>(n));
            for (size_t i = 0; i < w.size(); ++i) // deterministic, uneven channel ranges
                w[i] = std::sin(seed * (i + 1)) * (1.0f + (i % 5) * 3.0f);
            return w;
        };
        ValueId x = g.addValue("x", DType::Float32, {2, 2, 5, 5});
        ValueId w1 = g.addConstant("w1", Tensor::fromVector<float>(weights(8, 0.7f), {4, 2, 1, 1}));
        ValueId b1 = g.addConstant("b1", Tensor::fromVector<float>({0.5f, -1, 2, 0}, {4}));
        ValueId w2 = g.addConstant("w2", Tensor::fromVector<float>(weights(36, 1.3f), {4, 1, 3, 3}));
        ValueId b2 = g.addConstant("b2", Tensor::fromVector<float>({0, 1, -1, 0.25f}, {4}));
        ValueId w3 = g.addConstant("w3", Tensor::fromVector<float>(weights(12, 2.1f), {3, 4, 1, 1}));
        ValueId h1 = g.addValue("h1"), h2 = g.addValue("h2"), y = g.addValue("y");
        Attributes relu, dw;
        relu.set("fused_activation", std::string("Relu"));
        dw = relu;
        dw.set("group", int64_t{4});
        dw.set("pads", std::vector<int64_t>{1, 1, 1, 1});
        g.addNode("pw1", "Conv", {x, w1, b1}, {h1}, relu);
        g.addNode("dw", "Conv", {h1, w2, b2}, {h2}, dw);
        g.addNode("pw2", "Conv", {h2, w3}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        inferShapes(g);
        std::vector<float> in(2 * 2 * 5 * 5);
        for (size_t i = 0; i < in.size(); ++i)
            in[i] = std::cos(0.37f * i);
        ModelGraphs graphs(g);
        checkExact(graphs, Tensor::fromVector<float>(in, {2, 2, 5, 5}), 2);
    }

    // No pair: every layer is followed by ReLU6 (Clip 0..6), HardSwish or a residual Add.
    void mnistMobileHasNoPair() { checkModel("mnist/mnist_mobile.onnx", "mnist/mnist_test_x.npy", 0); }
    // Conv -> MaxPool -> Conv and Conv -> MaxPool -> Flatten -> Gemm, Gemm -> Gemm.
    void mnistLenetExact() { checkModel("mnist/mnist_lenet.onnx", "mnist/mnist_test_x.npy", 4); }
    void digitsCnnExact() { checkModel("digits/digits_cnn.onnx", "digits/digits_test_x8.npy", 2); }
    // Only the squeeze-excitation block's fc1 (ReLU) -> fc2 qualifies.
    void digitsResnetExact() { checkModel("digits/digits_resnet.onnx", "digits/digits_test_x16.npy", 1); }

    // The result records the scalings; a reader re-applies them to the imported model.
    void resultRecordsEqualization()
    {
        QTemporaryDir dir;
        ModelGraphs graphs(data("mnist/mnist_lenet.onnx"));
        Dataset calib = loadNpyDataset({data("mnist/mnist_calib_x.npy")});
        calib.inputs = sliceRows(calib.inputs, 0, 64);
        QuantConfig config;
        config.equalize = true;
        const QuantSpec r = calibrate(graphs, calib, config);
        QVERIFY(!r.equalization.empty());
        QCOMPARE(graphs.equalization(), r.equalization);
        const std::string path = dir.filePath("q.json").toStdString();
        writeQuantSpec(path, r);
        const QuantSpec back = readQuantSpec(path);
        QCOMPARE(back.equalization.size(), r.equalization.size());
        for (size_t i = 0; i < r.equalization.size(); ++i) {
            QCOMPARE(back.equalization[i].first, r.equalization[i].first);
            QCOMPARE(back.equalization[i].scales.size(), r.equalization[i].scales.size());
            for (size_t c = 0; c < r.equalization[i].scales.size(); ++c) // JSON keeps 17 digits
                QCOMPARE(back.equalization[i].scales[c], r.equalization[i].scales[c]);
        }
        QVERIFY(back.config.equalize);
        // A fresh model prepared for the result hands out the equalized weights.
        ModelGraphs fresh(data("mnist/mnist_lenet.onnx"));
        prepareModel(fresh, back);
        const std::string first = r.equalization[0].first;
        QCOMPARE(constantOf(fresh.forBatch(1), first, 1), constantOf(graphs.forBatch(1), first, 1));
        QVERIFY(constantOf(fresh.forBatch(1), first, 1) != constantOf(ModelGraphs(data("mnist/mnist_lenet.onnx")).forBatch(1), first, 1));
    }

    // Conv -> ConvTranspose (Relu) -> Conv: ConvTranspose's [N, K] view takes part as L2
    // and as L1 (its output channels are groups of kernel-tap columns). The spec's rewrites,
    // re-applied by core's applyQuantRewrites with a smoothing, keep the FP32 output.
    void convTransposeChainThroughCoreRewrites()
    {
        Graph g;
        g.name = "convT";
        auto w = [&](const char* name, Shape shape, float step) {
            std::vector<float> v(static_cast<size_t>(numElements(shape)));
            for (size_t i = 0; i < v.size(); ++i)
                v[i] = std::sin(step * static_cast<float>(i + 1)) * (1.0f + static_cast<float>(i % 5));
            return g.addConstant(name, Tensor::fromVector(v, shape));
        };
        const ValueId x = g.addValue("x", DType::Float32, {1, 2, 4, 4});
        const ValueId h1 = g.addValue("h1"), h2 = g.addValue("h2"), y = g.addValue("y");
        Attributes relu, up;
        relu.set("fused_activation", std::string("Relu"));
        up = relu;
        up.set("strides", std::vector<int64_t>{2, 2});
        g.addNode("c1", "Conv", {x, w("W1", {3, 2, 3, 3}, 0.7f), w("B1", {3}, 0.3f)}, {h1}, relu);
        g.addNode("up", "ConvTranspose", {h1, w("W2", {3, 4, 3, 3}, 1.3f), w("B2", {4}, 0.9f)}, {h2}, up);
        g.addNode("c3", "Conv", {h2, w("W3", {2, 4, 1, 1}, 2.1f)}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        inferShapes(g);
        const Tensor input = Tensor::fromVector(std::vector<float>(32, 0.5f), {1, 2, 4, 4});
        const std::vector<float> before = runFp32(g, input);
        QuantSpec spec;
        spec.equalization = computeEqualization(g);
        QCOMPARE(spec.equalization.size(), size_t(2)); // c1 -> up, up -> c3
        for (const ChannelScaling& cs : spec.equalization) // the check would prove nothing with all scales 1
            QVERIFY(std::any_of(cs.scales.begin(), cs.scales.end(), [](double s) { return std::fabs(s - 1.0) > 1e-3; }));
        spec.smoothing = {{"up", {2.0, 0.5, 4.0}}};
        applyQuantRewrites(g, spec);
        QVERIFY2(maxRelDiff(before, runFp32(g, input)) <= 1e-5, qPrintable(QString::number(maxRelDiff(before, runFp32(g, input)))));
    }
};

QTEST_APPLESS_MAIN(TestEqualization)
#include "test_equalization.moc"
