// Input smoothing (quant/Smoothing.h): hand-computed factors, exactness in FP32, the
// quantization gain on an unbalanced input, depthwise layers, errors naming the layer.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/Smoothing.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace tessera;
using namespace tessera::quant;

namespace {

// x[N,2] -> fc (Gemm transB, W [[0.01, 1], [0.02, -0.5]]) -> y: channel 0 is large but
// barely used, channel 1 small and carries the signal.
Graph unbalancedGemm(int64_t n)
{
    Graph g;
    g.name = "unbalanced";
    ValueId x = g.addValue("x", DType::Float32, {n, 2});
    ValueId w = g.addConstant("W", Tensor::fromVector<float>({0.01f, 1.0f, 0.02f, -0.5f}, {2, 2}));
    ValueId y = g.addValue("y");
    Attributes a;
    a.set("transB", int64_t{1});
    g.addNode("fc", "Gemm", {x, w}, {y}, a);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

// x0 uniform in +-100, x1 uniform in +-1.
Dataset unbalancedData(int64_t n)
{
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(2 * n));
    for (int64_t i = 0; i < n; ++i) {
        v[2 * i] = 100.0f * u(rng);
        v[2 * i + 1] = u(rng);
    }
    return Dataset{Tensor::fromVector(v, {n, 2}), {}, "unbalanced"};
}

} // namespace

class TestSmoothing : public QObject {
    Q_OBJECT
private slots:
    void factorsAreHandComputed()
    {
        const Graph g = unbalancedGemm(1);
        // a = {100, 1}; w = max|W[:, c]| = {0.02, 1}; alpha 0.5: m = sqrt(a / w) = {sqrt(5000), 1},
        // centred by their geometric mean sqrt(sqrt(5000)).
        const std::vector<InputSmoothing> s = computeSmoothing(g, {{"fc", {100.0, 1.0}}}, 0.5);
        QCOMPARE(s.size(), size_t{1});
        QCOMPARE(s[0].layer, std::string("fc"));
        const double centre = std::sqrt(std::sqrt(5000.0));
        QVERIFY(std::fabs(s[0].factors[0] / (std::sqrt(5000.0) / centre) - 1.0) < 1e-6); // W is float
        QVERIFY(std::fabs(s[0].factors[1] / (1.0 / centre) - 1.0) < 1e-6);
        // The Depthwise scope leaves dense layers alone (their weights would pay).
        QVERIFY(computeSmoothing(g, {{"fc", {100.0, 1.0}}}, 0.5, SmoothingScope::Depthwise).empty());
        // Balanced inputs are left alone.
        QVERIFY(computeSmoothing(g, {{"fc", {2.0, 1.0}}}, 0.5).empty());
    }

    void smoothedGraphComputesTheSameFunction()
    {
        Graph g = unbalancedGemm(4);
        const Tensor x = unbalancedData(4).inputs;
        const std::vector<float> before = Executor(g).run({x})[0].toFloatVector();
        applySmoothing(g, {{"fc", {10.0, 0.1}}});
        const Node& fc = g.node(*g.findNode("fc"));
        const Node& mul = g.node(g.value(fc.inputs[0]).producer);
        QCOMPARE(mul.opType, std::string("Mul"));
        QCOMPARE(g.value(mul.inputs[0]).name, std::string("x"));
        const std::vector<float> w = g.value(fc.inputs[1]).constant.toFloatVector();
        const std::vector<float> expected{0.1f, 0.1f, 0.2f, -0.05f}; // W[:, c] * m_c
        for (size_t i = 0; i < w.size(); ++i)
            QVERIFY(std::fabs(w[i] - expected[i]) < 1e-6f);
        const std::vector<float> after = Executor(g).run({x})[0].toFloatVector();
        for (size_t i = 0; i < before.size(); ++i)
            QVERIFY2(std::fabs(before[i] - after[i]) < 1e-5f * (1.0f + std::fabs(before[i])), qPrintable(QString::number(i)));
    }

    void smoothingRaisesTheOutputSqnr()
    {
        const Dataset data = unbalancedData(512);
        double sqnr[2];
        for (bool smooth : {false, true}) {
            ModelGraphs model(unbalancedGemm(512));
            QuantConfig c;
            c.smoothInputs = smooth ? SmoothingScope::All : SmoothingScope::Off;
            const QuantSpec r = calibrate(model, data, c, nullptr, 512);
            QCOMPARE(r.smoothing.size(), size_t(smooth ? 1 : 0));
            sqnr[smooth] = evaluate(model, r, data, {512, false}).outputSqnrDb;
        }
        qInfo("output SQNR without smoothing %.1f dB, with %.1f dB", sqnr[0], sqnr[1]);
        QVERIFY(sqnr[1] > sqnr[0] + 10.0);
    }

    void depthwiseLayersNormalizeEveryChannel()
    {
        Graph g;
        g.name = "dw";
        ValueId x = g.addValue("x", DType::Float32, {1, 2, 3, 3});
        ValueId w = g.addConstant("W", Tensor::fromVector<float>(std::vector<float>(18, 0.5f), {2, 1, 3, 3}));
        ValueId y = g.addValue("y");
        Attributes a;
        a.set("group", int64_t{2});
        g.addNode("dw", "Conv", {x, w}, {y}, a);
        g.markGraphInput(x);
        g.markGraphOutput(y);
        inferShapes(g);
        // Channel ranges of an NCHW input: batch 2, 2 channels, 1x3 planes.
        const Tensor planes = Tensor::fromVector<float>({1, -4, 2, 0.5f, 0, -1, -3, 1, 0, 7, -0.25f, 2}, {2, 2, 1, 3});
        std::vector<double> r;
        Graph g13 = g;
        g13.value(g13.inputs()[0]).shape = {2, 2, 1, 3};
        observeChannelRanges(g13, g13.node(*g13.findNode("dw")), planes, r);
        QCOMPARE(r, (std::vector<double>{4.0, 7.0})); // c0: {1,-4,2,-3,1,0}; c1: {0.5,0,-1,7,-0.25,2}
        // alpha is ignored: m_c proportional to a_c (the weight scale absorbs it).
        const std::vector<InputSmoothing> s = computeSmoothing(g, {{"dw", {50.0, 2.0}}}, 0.5, SmoothingScope::Depthwise);
        QCOMPARE(s.size(), size_t{1});
        QVERIFY(std::fabs(s[0].factors[0] / s[0].factors[1] - 25.0) < 1e-9);
    }

    void errorsNameTheLayer()
    {
        Graph g = unbalancedGemm(1);
        try {
            applySmoothing(g, {{"fc", {1.0, 2.0, 3.0}}});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("'fc'") && QString(e.what()).contains("3 factors"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, applySmoothing(g, {{"nope", {1.0, 2.0}}}));
        QVERIFY_THROWS_EXCEPTION(Error, applySmoothing(g, {{"fc", {1.0, -2.0}}}));
    }

    void resultFileKeepsTheFactors()
    {
        QuantSpec r;
        r.smoothing = {{"fc", {10.0, 0.1}}};
        r.config.smoothInputs = SmoothingScope::Depthwise;
        const QuantSpec back = quantSpecFromJson(toJson(r), "mem");
        QVERIFY(back.config.smoothInputs == SmoothingScope::Depthwise);
        QCOMPARE(back.smoothing.size(), size_t{1});
        QVERIFY(back.smoothing[0] == r.smoothing[0]);
        nlohmann::json bad = toJson(r);
        bad["smoothing"][0]["factors"][1] = 0.0;
        QVERIFY_THROWS_EXCEPTION(Error, quantSpecFromJson(bad, "bad.json"));
        QVERIFY_THROWS_EXCEPTION(Error, parseSmoothingScope("some"));
    }
};

QTEST_APPLESS_MAIN(TestSmoothing)
#include "test_smoothing.moc"
