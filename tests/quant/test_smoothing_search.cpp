// Per-layer smoothing alpha (quant/SmoothingSearch.h): on a two-layer graph where each
// layer is quantized best at a different alpha, the search picks each layer's own, checked
// against whole quantized runs at each fixed alpha; the choice round-trips through the spec.
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"
#include "quant/SmoothingSearch.h"

#include <QtTest>

#include <random>

using namespace tessera;
using namespace tessera::quant;

namespace {

Attributes transB()
{
    Attributes a;
    a.set("transB", int64_t{1});
    return a;
}

// x [N, 4] (channel ranges 20, 6, 6, 1) -> fcA -> yA; x * {0.3, 10, 33.3, 1} (ranges 6, 60, 200, 1)
// -> fcB -> yB. fcA's weights are lopsided per row, fcB's per input channel: moving range into
// the weights (high alpha) serves fcA and costs fcB (found with a scalar model of 8-bit codes;
// whole quantized runs measure it too, see the test's log).
Graph twoLayers(int64_t n)
{
    Graph g;
    g.name = "two_layers";
    ValueId x = g.addValue("x", DType::Float32, {n, 4});
    ValueId wa = g.addConstant("WA", Tensor::fromVector<float>({1, -1, 1, 3, 0.05f, 0.05f, -1, 0.05f}, {2, 4}));
    ValueId wb = g.addConstant("WB", Tensor::fromVector<float>({-3, 0.3f, -1, 3, -0.3f, 0.05f, -1, 0.05f}, {2, 4}));
    ValueId s = g.addConstant("S", Tensor::fromVector<float>({0.3f, 10, 100.0f / 3, 1}, {4}));
    ValueId z = g.addValue("z"), ya = g.addValue("yA"), yb = g.addValue("yB");
    g.addNode("fcA", "Gemm", {x, wa}, {ya}, transB());
    g.addNode("scale", "Mul", {x, s}, {z});
    g.addNode("fcB", "Gemm", {z, wb}, {yb}, transB());
    g.markGraphInput(x);
    g.markGraphOutput(ya);
    g.markGraphOutput(yb);
    inferShapes(g);
    return g;
}

Dataset uniformData(int64_t n)
{
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float range[4] = {20, 6, 6, 1};
    std::vector<float> v(static_cast<size_t>(4 * n));
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = range[i % 4] * u(rng);
    Dataset d;
    d.inputs = Tensor::fromVector(v, {n, 4});
    d.source = "uniform";
    return d;
}

QuantConfig plainConfig(std::vector<double> alphas)
{
    QuantConfig c;
    c.activationObserver.kind = ObserverKind::MinMax; // the search codes x / m over its min/max
    c.weightObserver = ObserverKind::MinMax;
    c.adcBits = 16; // the ADC does not depend on alpha; keep it out of the reference
    c.smoothingAlphas = std::move(alphas);
    return c;
}

} // namespace

class TestSmoothingSearch : public QObject {
    Q_OBJECT
private slots:
    void eachLayerTakesItsOwnAlpha()
    {
        const int64_t n = 512;
        const Dataset data = uniformData(n);
        const std::vector<Tensor> ref = Executor(twoLayers(n)).run({data.inputs});
        // Independent reference: whole quantized runs at each fixed alpha, relative error per output.
        const double alphas[2] = {0.5, 0.9};
        double err[2][2];
        for (int k = 0; k < 2; ++k) {
            ModelGraphs model(twoLayers(n));
            QuantConfig c = plainConfig({});
            c.smoothingAlpha = alphas[k];
            const QuantSpec r = calibrate(model, data, c, nullptr, n);
            const std::vector<Tensor> out = QuantizedExecutor(model.forBatch(n), r).run({data.inputs});
            for (int o = 0; o < 2; ++o) { // mean over the 2 output columns of noise / signal
                const std::vector<float> a = ref[o].toFloatVector(), b = out[o].toFloatVector();
                double noise[2] = {0, 0}, signal[2] = {0, 0};
                for (size_t i = 0; i < a.size(); ++i) {
                    noise[i % 2] += (a[i] - b[i]) * (a[i] - b[i]);
                    signal[i % 2] += a[i] * a[i];
                }
                err[o][k] = (noise[0] / signal[0] + noise[1] / signal[1]) / 2;
            }
        }
        qInfo("fcA error %.3g (0.5) %.3g (0.9); fcB %.3g (0.5) %.3g (0.9)", err[0][0], err[0][1], err[1][0], err[1][1]);
        QVERIFY(err[0][1] < 0.8 * err[0][0]); // the graph is what it claims: fcA wants 0.9 ...
        QVERIFY(err[1][0] < 0.8 * err[1][1]); // ... and fcB 0.5

        ModelGraphs model(twoLayers(n));
        const QuantSpec r = calibrate(model, data, plainConfig({0.5, 0.9}), nullptr, n);
        QCOMPARE(r.smoothing.size(), size_t{2});
        std::map<std::string, double> chosen;
        for (const InputSmoothing& s : r.smoothing)
            chosen[s.layer] = s.alpha;
        QCOMPARE(chosen["fcA"], 0.9);
        QCOMPARE(chosen["fcB"], 0.5);

        // The spec keeps the candidates and each layer's alpha with its factors.
        const QuantSpec back = quantSpecFromJson(toJson(r), "mem");
        QCOMPARE(back.config.smoothingAlphas, (std::vector<double>{0.5, 0.9}));
        QCOMPARE(back.smoothing.size(), r.smoothing.size());
        for (size_t i = 0; i < r.smoothing.size(); ++i)
            QVERIFY(back.smoothing[i] == r.smoothing[i]);
    }

    void oldSpecsKeepOneAlpha()
    {
        QuantSpec r;
        r.smoothing = {{"fc", {10.0, 0.1}}};
        nlohmann::json j = toJson(r);
        j["config"].erase("smoothing_alphas");
        const QuantSpec back = quantSpecFromJson(j, "old.json");
        QVERIFY(back.config.smoothingAlphas.empty());
        QCOMPARE(back.smoothing[0].alpha, -1.0);
    }
};

QTEST_APPLESS_MAIN(TestSmoothingSearch)
#include "test_smoothing_search.moc"
