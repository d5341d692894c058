// Per-layer DAC (input) bits through every stage: the coding rule (analog::dacCoding) on
// hand values; a two-layer Gemm graph with its second layer driven at 4 DAC bits, compiled
// and simulated bit-identically to the quantized reference; and the performance model's
// time and energy of that layer against the documented formulas (docs/performance-model.md:
// analog read = setup + a x ns_per_input_bit + conversions; cell energy = K x N x a x
// analog_mac_pj_per_input_bit per vector).
#include "SimFixture.h"

#include "core/ShapeInference.h"
#include "core/analog/Numerics.h"
#include "simulator/PerfModel.h"

#include "../core/OpTestHarness.h"

using namespace tessera;
using namespace tessera::testing;

namespace {

// x[1, 40] -> Gemm 40x24 -> Relu -> Gemm 24x16 -> y.
Graph twoGemms()
{
    Graph g;
    g.name = "two_gemms";
    ValueId x = g.addValue("x", DType::Float32, {1, 40});
    g.markGraphInput(x);
    Attributes a;
    a.set("transB", int64_t{1});
    ValueId h = g.addValue("h"), r = g.addValue("r"), y = g.addValue("y");
    g.addNode("first", "Gemm", {x, g.addConstant("w1", filled({24, 40}, -1, 1, 5))}, {h}, a);
    g.addNode("relu", "Relu", {h}, {r});
    g.addNode("second", "Gemm", {r, g.addConstant("w2", filled({16, 24}, -1, 1, 6))}, {y}, a);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

const package::PackageLayer& layerNamed(const package::Package& p, const std::string& name)
{
    for (const package::PackageLayer& l : p.layers)
        if (l.programmed.params.name == name)
            return l;
    throw Error("no layer " + name);
}

} // namespace

class TestDacBits : public QObject {
    Q_OBJECT
private:
    quant::ModelGraphs m_model{twoGemms()};
    QuantSpec m_base, m_dac4;

private slots:
    void initTestCase()
    {
        m_base = quantizeFor(m_model, filled({6, 40}, -1, 1, 11), "m1076");
        m_dac4 = quant::withChosenBits(m_base, m_model.forBatch(1), {}, {}, {{"second", 4}});
    }

    void dacCodingKeepsTheRealRange()
    {
        // Signed 8 -> 4 bits: 127 codes become 7, the step 127/7 times wider.
        const analog::DacCoding s = analog::dacCoding(0.1, 0, 8, true, 4);
        QCOMPARE(s.bits, 4);
        QCOMPARE(s.scale, 0.1 * 127.0 / 7.0);
        QCOMPARE(s.zeroPoint, int64_t{0});
        // Offset codes 8 -> 4 bits: 255 steps become 15 (ratio 17), z = 100 -> round(5.88) = 6.
        const analog::DacCoding o = analog::dacCoding(0.02, 100, 8, false, 4);
        QCOMPARE(o.scale, 0.02 * 17.0);
        QCOMPARE(o.zeroPoint, int64_t{6});
        // A DAC as wide as the tensor (or wider) reads its codes as they are.
        const analog::DacCoding same = analog::dacCoding(0.02, 100, 8, false, 10);
        QCOMPARE(same.bits, 8);
        QCOMPARE(same.scale, 0.02);
        QCOMPARE(same.zeroPoint, int64_t{100});
    }

    void specRecordsTheDacBits()
    {
        QCOMPARE(m_dac4.findLayer("second")->inputBits, 4);
        QCOMPARE(m_dac4.findLayer("first")->inputBits, 8);
        QCOMPARE(m_dac4.config.layerDacBits.at("second"), 4);
        // The ADC range follows the input codes: 7 / 255 of the 8-bit one (ReLU input: unsigned).
        const int64_t r8 = m_base.findLayer("second")->adcRange;
        QCOMPARE(m_dac4.findLayer("second")->adcRange, static_cast<int64_t>(std::ceil(r8 * 15.0 / 255.0)));
        QVERIFY_EXCEPTION_THROWN(quant::withChosenBits(m_base, m_model.forBatch(1), {}, {}, {{"second", 9}}), Error);
    }

    void simulatorEqualsTheReferenceAtFourDacBits()
    {
        const Graph& g = m_model.forBatch(1);
        const package::Package pkg = compileFor(g, m_dac4, "m1076");
        const analog::AnalogLayerParams& p = layerNamed(pkg, "second").programmed.params;
        QCOMPARE(p.numerics.inputBits, 4);
        const TensorQuant& r = *m_dac4.findTensor(m_dac4.findLayer("second")->input); // unsigned (after ReLU)
        QVERIFY(!r.isSigned);
        QCOMPARE(p.inputScale, r.scale * 255.0 / 15.0);
        QCOMPARE(layerNamed(pkg, "first").programmed.params.numerics.inputBits, 8);
        const Tensor x = filled({3, 40}, -1, 1, 12);
        const std::vector<Tensor> got = sim::Machine(pkg).run({x}, {});
        TESSERA_COMPARE_BITS(got[0], referenceOutputs(g, m_dac4, x, false)[0]);
        // The 4-bit DAC changed the numbers: the 8-bit reference differs.
        std::string why;
        QVERIFY(!sameBits(got[0], referenceOutputs(g, m_base, x, false)[0], why));
    }

    void performanceModelFollowsTheFormula()
    {
        const Graph& g = m_model.forBatch(1);
        const Target t = loadTarget("m1076");
        sim::PerfOptions o;
        o.frames = 1;
        const sim::PerfReport r8 = sim::modelPerformance(compileFor(g, m_base, "m1076"), o);
        const sim::PerfReport r4 = sim::modelPerformance(compileFor(g, m_dac4, "m1076"), o);
        // One vector per frame: the second layer's one read (16 columns) takes setup + a input-bit
        // cycles + ceil(16 / ADCs) conversions of conversion_ns x adc / max_bits.
        const auto busy = [&](const sim::PerfReport& r) {
            for (const sim::LayerPerf& l : r.layers)
                if (l.name == "second")
                    return l.busyNsPerFrame;
            return -1.0;
        };
        const int adc = m_dac4.findLayer("second")->adcBits;
        const double conversions = std::ceil(16.0 / double(t.analog.adc.count)) * t.analog.adc.conversionNs * adc /
                                   double(t.analog.adc.maxBits);
        for (const auto& [r, a] : {std::pair{&r8, 8}, std::pair{&r4, 4}})
            QVERIFY(std::abs(busy(*r) - (t.analog.mvm.setupNs + a * t.analog.mvm.nsPerInputBit + conversions)) < 1e-6);
        QVERIFY(r4.latencyNs < r8.latencyNs);
        // Cell energy: (40 x 24 x 8 + 24 x 16 x a) x analog_mac_pj_per_input_bit.
        const double pj = t.energy.analogMacPjPerInputBit;
        QVERIFY(std::abs(r8.energy.analog - (40 * 24 * 8 + 24 * 16 * 8) * pj) < 1e-9 * r8.energy.analog);
        QVERIFY(std::abs(r4.energy.analog - (40 * 24 * 8 + 24 * 16 * 4) * pj) < 1e-9 * r8.energy.analog);
        // The layer's own energy is lower. (The whole frame's need not be: the compiler places
        // and replicates by time, so the packages' digital and NoC work differ on this tiny graph.)
        const auto energy = [](const sim::PerfReport& r) {
            for (const sim::LayerPerf& l : r.layers)
                if (l.name == "second")
                    return l.energyPjPerFrame;
            return -1.0;
        };
        QVERIFY(energy(r4) > 0 && energy(r4) < energy(r8));
        QVERIFY(r4.fps >= r8.fps);
    }
};

QTEST_GUILESS_MAIN(TestDacBits)
#include "test_dac_bits.moc"
