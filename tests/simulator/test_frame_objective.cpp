// The mixed-precision search ranked by whole frames (core/target/FrameCost.h, implemented by
// compiling and running the performance model: app/framecost/PerfFrameCost.h): on a two-conv
// graph whose first conv (many input pixels, wide ADC) limits frames/s, the fps objective
// lowers that layer's ADC / DAC bits; its chosen point's frames/s is the performance
// model's for the chosen spec compiled by the test itself; the re-scored front has no
// dominated point.
#include "SimFixture.h"

#include "app/framecost/PerfFrameCost.h"
#include "core/ShapeInference.h"
#include "core/target/AnalogCost.h"
#include "quant/Sensitivity.h"
#include "simulator/PerfModel.h"

#include "../core/OpTestHarness.h"

using namespace tessera;
using namespace tessera::testing;

namespace {

// x[1, 4, 16, 16] -> Conv 3x3 (4 -> 24) -> Relu -> Conv 3x3 (24 -> 8): as many reads per
// frame, the first digitizing three times the columns.
Graph twoConvs()
{
    Graph g;
    g.name = "two_convs";
    ValueId x = g.addValue("x", DType::Float32, {1, 4, 16, 16});
    g.markGraphInput(x);
    Attributes a;
    a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    ValueId h = g.addValue("h"), r = g.addValue("r"), y = g.addValue("y");
    g.addNode("wide", "Conv", {x, g.addConstant("w1", filled({24, 4, 3, 3}, -1, 1, 5))}, {h}, a);
    g.addNode("relu", "Relu", {h}, {r});
    g.addNode("narrow", "Conv", {r, g.addConstant("w2", filled({8, 24, 3, 3}, -1, 1, 6))}, {y}, a);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

} // namespace

class TestFrameObjective : public QObject {
    Q_OBJECT
private:
    quant::ModelGraphs m_model{twoConvs()};
    quant::Dataset m_data;
    QuantSpec m_base;
    quant::SensitivityReport m_sens;
    quant::MixedPrecisionReport m_fps;

    quant::MixedPrecisionOptions options(quant::CostObjective objective) const
    {
        quant::MixedPrecisionOptions o;
        o.objective = objective;
        o.maxAccuracyDrop = -1; // no budget: the chosen point is the cheapest measured
        o.bits = {8};
        o.dacBits = {8, 4};
        o.adcBits = {12, 8, 6};
        return o;
    }

private slots:
    void initTestCase()
    {
        m_data.inputs = filled({8, 4, 16, 16}, -1, 1, 11);
        m_base = quantizeFor(m_model, m_data.inputs, "m1076");
        quant::SensitivityOptions so;
        so.bits = {8};
        so.dacBits = {8, 4};
        so.adcBits = {12, 8, 6};
        m_sens = quant::analyzeSensitivity(m_model, m_base, m_data, so);
        const PerfFrameCost frames(loadTarget("m1076"));
        m_fps = quant::searchMixedPrecision(m_model, m_base, m_data, m_sens, options(quant::CostObjective::Fps),
                                            TargetCostModel(loadTarget("m1076")), nullptr, &frames);
    }

    void fpsChoiceIsThePerformanceModels()
    {
        QVERIFY(m_fps.chosen > 0);
        const quant::ParetoPoint& base = m_fps.measured[0];
        const quant::ParetoPoint& c = m_fps.measured[m_fps.chosen];
        QVERIFY(base.hasFrame && c.hasFrame);
        // The base is limited by the wide conv; the chosen point lowered its ADC or DAC bits.
        QCOMPARE(base.frame.bottleneckLayers.at(0), std::string("wide"));
        QVERIFY(c.adcBits.at("wide") < base.adcBits.at("wide") || c.dacBits.at("wide") < base.dacBits.at("wide"));
        // Independent reference: the chosen spec compiled here and run through the performance model.
        const sim::PerfReport b = sim::modelPerformance(compileFor(m_model.forBatch(1), m_base, "m1076"));
        const sim::PerfReport r = sim::modelPerformance(compileFor(m_model.forBatch(1), m_fps.chosenResult, "m1076"));
        QCOMPARE(c.frame.fps, r.fps);
        QCOMPARE(c.frame.energyUjPerFrame, r.energyPjPerFrame * 1e-6);
        QCOMPARE(c.cost, 1e6 / r.fps);
        QCOMPARE(base.frame.fps, b.fps);
        qInfo("base %.0f fps (%s), chosen %.0f fps (%s), %d frame-model calls", b.fps, b.bottleneck.c_str(), r.fps,
              r.bottleneck.c_str(), m_fps.frameCalls);
        QVERIFY(r.fps > 1.2 * b.fps);
        // Lowering the wide conv's bits moved the bottleneck to the narrow one, whose bits the
        // search then lowered too.
        QVERIFY(std::any_of(m_fps.measured.begin(), m_fps.measured.end(), [](const quant::ParetoPoint& p) {
            return p.frame.bottleneckLayers == std::vector<std::string>{"narrow"};
        }));
        QVERIFY(c.adcBits.at("narrow") < base.adcBits.at("narrow") || c.dacBits.at("narrow") < base.dacBits.at("narrow"));
        QVERIFY(m_fps.frameCalls > 0);
    }

    void firstStepMovesTheBottleneck()
    {
        // Steps make progress on frames/s: the first lowers the bottleneck layer and raises fps.
        const quant::ParetoPoint& s0 = m_fps.measured[0];
        const quant::ParetoPoint& s1 = m_fps.measured.at(1);
        QVERIFY(s1.adcBits.at("wide") != s0.adcBits.at("wide") || s1.dacBits.at("wide") != s0.dacBits.at("wide"));
        QVERIFY(s1.frame.fps > s0.frame.fps);
    }

    void rescoredFrontHasNoDominatedPoint()
    {
        const PerfFrameCost frames(loadTarget("m1076"));
        for (quant::CostObjective obj : {quant::CostObjective::Fps, quant::CostObjective::FrameEnergy}) {
            const quant::MixedPrecisionReport rep = obj == quant::CostObjective::Fps
                ? m_fps
                : quant::searchMixedPrecision(m_model, m_base, m_data, m_sens, options(obj),
                                              TargetCostModel(loadTarget("m1076")), nullptr, &frames);
            for (const quant::ParetoPoint& p : rep.measured) {
                // Every cost is the frame model's figure.
                QCOMPARE(p.cost, obj == quant::CostObjective::Fps ? 1e6 / p.frame.fps : p.frame.energyUjPerFrame);
                bool dominated = false;
                for (const quant::ParetoPoint& q : rep.measured)
                    dominated = dominated || (q.cost <= p.cost && q.accuracyDrop <= p.accuracyDrop &&
                                              (q.cost < p.cost || q.accuracyDrop < p.accuracyDrop));
                QCOMPARE(p.onFront, !dominated);
            }
        }
    }

    void frameObjectiveNeedsAFrameModel()
    {
        QVERIFY_EXCEPTION_THROWN(quant::searchMixedPrecision(m_model, m_base, m_data, m_sens,
                                                             options(quant::CostObjective::FrameEnergy),
                                                             TargetCostModel(loadTarget("m1076"))),
                                 Error);
    }
};

QTEST_GUILESS_MAIN(TestFrameObjective)
#include "test_frame_objective.moc"
