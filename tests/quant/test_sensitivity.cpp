// Per-layer sensitivity and mixed-precision search on mnist_mobile (and sensitivity
// timing on mnist_wide). The search runs label-free on the calibration images (output
// agreement with FP32), and its chosen point is then measured on the labelled test set:
// target (issue 5): >= 50% of weights at <= 3 bits within 1 pp of FP32 top-1.
#include "core/Error.h"
#include "core/Parallel.h"
#include "core/analog/CostModel.h"
#include "core/target/AnalogCost.h"
#include "core/target/Target.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/Sensitivity.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }
std::string digits(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/digits/" + file; }

// A result's energy per frame priced by the target from its layers as written (the test's
// own LayerWork, not the search's).
double energyPj(const QuantSpec& r, const Graph& g, const TargetCostModel& target)
{
    double sum = 0.0;
    for (const LayerQuant& l : r.layers) {
        analog::LayerWork w{l.rows, l.cols, l.groups};
        w.vectors = numElements(g.value(g.node(*g.findNode(l.node)).outputs[0]).shape) / l.cols;
        w.weightBits = l.weightBits, w.inputBits = l.inputBits, w.adcBits = l.adcBits;
        sum += target.layerCost(w, r.config.geometry).energyPj;
    }
    return sum;
}

// Cancels after a number of progress reports.
class CancelAfter : public ProgressSink {
public:
    explicit CancelAfter(int reports) : m_left(reports) {}
    void report(double fraction, std::string_view) override
    {
        QVERIFY(fraction >= 0.0 && fraction <= 1.0);
        --m_left;
    }
    bool isCancelled() const override { return m_left <= 0; }

private:
    int m_left;
};

void compareTables(const SensitivityReport& fast, const SensitivityReport& full)
{
    QCOMPARE(fast.entries.size(), full.entries.size());
    QCOMPARE(fast.hasLabels, full.hasLabels);
    QVERIFY(fast.fp32Top1 == full.fp32Top1);
    for (size_t i = 0; i < full.entries.size(); ++i) {
        const SensitivityEntry &a = fast.entries[i], &b = full.entries[i];
        QCOMPARE(a.layer, b.layer);
        QCOMPARE(a.bits, b.bits);
        QCOMPARE(a.adcBits, b.adcBits);
        QCOMPARE(a.dacBits, b.dacBits);
        QCOMPARE(a.params, b.params);
        // Bit for bit (QCOMPARE on doubles is fuzzy).
        QVERIFY2(a.top1 == b.top1, a.layer.c_str());
        QVERIFY2(a.agreement == b.agreement, a.layer.c_str());
        QVERIFY2(a.accuracyDrop == b.accuracyDrop, a.layer.c_str());
        QVERIFY2(a.outputSqnrDb == b.outputSqnrDb, a.layer.c_str());
    }
}

} // namespace

class TestSensitivity : public QObject {
    Q_OBJECT
private:
    Dataset m_calib, m_test, m_search;

private slots:
    void initTestCase()
    {
        m_calib = loadNpyDataset({mnist("mnist_calib_x.npy")});
        m_test = loadNpyDataset({mnist("mnist_test_x.npy")}, mnist("mnist_test_y.npy"));
        // The searches measure on the first 256 calibration images (label-free) to keep
        // the test within the CI budget on a shared 2-core machine.
        m_search.inputs = sliceRows(m_calib.inputs, 0, 256);
        m_search.source = "mnist_calib_x.npy[:256]";
    }

    void mobileSensitivityAndMixedPrecision()
    {
        ModelGraphs model(mnist("mnist_mobile.onnx"));
        QuantConfig cfg; // low-bit search: smooth only where it is free (quant/Smoothing.h)
        cfg.smoothInputs = SmoothingScope::Depthwise;
        const QuantSpec base = calibrate(model, m_calib, cfg);
        const SensitivityReport sens = analyzeSensitivity(model, base, m_search);
        qInfo("mnist_mobile sensitivity (%zu layers x 5 depths, %lld images): %.1f s", base.layers.size(),
              static_cast<long long>(m_search.count()), sens.seconds);
        QCOMPARE(sens.entries.size(), base.layers.size() * 5);
        for (const LayerQuant& l : base.layers) {
            const SensitivityEntry* e8 = sens.find(l.node, 8);
            const SensitivityEntry* e2 = sens.find(l.node, 2);
            QVERIFY(e8 && e2);
            qInfo("  %-22s %6lld params  SQNR 8b %5.1f  6b %5.1f  4b %5.1f  3b %5.1f  2b %5.1f dB", l.node.c_str(),
                  static_cast<long long>(e8->params), e8->outputSqnrDb, sens.find(l.node, 6)->outputSqnrDb,
                  sens.find(l.node, 4)->outputSqnrDb, sens.find(l.node, 3)->outputSqnrDb, e2->outputSqnrDb);
            QVERIFY2(e2->outputSqnrDb < e8->outputSqnrDb, l.node.c_str()); // fewer levels, more noise
        }

        MixedPrecisionOptions mo;
        mo.maxAccuracyDrop = 0.01; // label-free on calibration data: <= 1% top-1 disagreement with FP32
        analog::DefaultCostModel costModel;
        // The table comes from 256 images, but every candidate point is measured on all 512:
        // a 1% budget on 256 images is 2.5 images, and a point that flipped one of them
        // lost 1.5 pp on the test set.
        const MixedPrecisionReport mp = searchMixedPrecision(model, base, m_calib, sens, mo, costModel);
        qInfo("mixed precision: %zu measured points in %.1f s", mp.measured.size(), mp.seconds);
        for (const ParetoPoint& p : mp.measured)
            qInfo("  cost %9.0f weight bits  disagreement %5.2f%%  <=3-bit weights %5.1f%% %s", p.cost,
                  100 * p.accuracyDrop, 100 * p.fractionWeightsAtMost3Bits, p.onFront ? "(Pareto)" : "");
        QVERIFY(mp.measured.size() > 1);
        QVERIFY(mp.chosen >= 0);
        QVERIFY(mp.measured[mp.chosen].onFront);

        // The chosen point, measured on the labelled test set.
        const EvalReport test = evaluate(model, mp.chosenResult, m_test);
        const ParetoPoint& c = mp.measured[mp.chosen];
        qInfo("chosen: %.1f%% of weights at <= 3 bits; test top-1 %.2f%% vs FP32 %.2f%%", 100 * c.fractionWeightsAtMost3Bits,
              100 * test.quantTop1, 100 * test.fp32Top1);
        QVERIFY2(c.fractionWeightsAtMost3Bits >= 0.5, "fewer than half of the weights at <= 3 bits");
        QVERIFY2(test.fp32Top1 - test.quantTop1 <= 0.01 + 1e-9, "mixed-precision drop above 1 pp");
        // The point's numbers are measured, not predicted: re-measuring gives the same.
        const EvalReport again = evaluate(model, mp.chosenResult, m_calib);
        QCOMPARE(again.agreement, c.agreement);
    }

    // The cached-prefix table equals one full evaluation per (layer, bits), number for
    // number: labelled data, a short last batch (a second graph), read noise and bias
    // correction (an 8-bit trial is not the base then).
    void cachedTableEqualsFullRuns()
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        QuantConfig cfg;
        cfg.biasCorrection = true;
        cfg.nonIdealities.readNoise = 0.02;
        cfg.nonIdealities.weightProgramNoise = 0.01;
        cfg.nonIdealities.seed = 7;
        const QuantSpec base = calibrate(model, m_calib, cfg);
        Dataset d;
        d.inputs = sliceRows(m_test.inputs, 0, 90);
        d.labels.assign(m_test.labels.begin(), m_test.labels.begin() + 90);
        SensitivityOptions so;
        so.bits = {8, 4, 2};
        so.adcBits = {6}; // ADC trials too
        so.dacBits = {5}; // and DAC trials
        so.batchSize = 40;
        const SensitivityReport full = analyzeSensitivityByFullRuns(model, base, d, so);
        for (int threads : {1, 2}) { // trials split over workers: the same numbers
            setThreadCount(threads);
            compareTables(analyzeSensitivity(model, base, d, so), full);
        }
        setThreadCount(1);
        QVERIFY(full.find(base.layers[0].node, 2)->outputSqnrDb < full.find(base.layers[0].node, 8)->outputSqnrDb);
    }

    // ADC bits as a second axis of an energy search: the chosen point lowers some layer's
    // ADC and costs less than the base; with the axis off, ADC trials in the table change
    // nothing and every point keeps the base's ADC bits.
    void adcAxisLowersEnergy()
    {
        ModelGraphs model(digits("digits_cnn.onnx"));
        const Dataset d = loadNpyDataset({digits("digits_test_x8.npy")}, digits("digits_test_y.npy"));
        const QuantSpec base = calibrate(model, d, QuantConfig{});
        SensitivityOptions so;
        so.adcBits = {12, 10, 8, 6};
        const SensitivityReport sens = analyzeSensitivity(model, base, d, so);
        const TargetCostModel target(loadTarget("m1076"));
        MixedPrecisionOptions mo;
        mo.objective = CostObjective::Energy;
        mo.maxAccuracyDrop = 0.02;
        mo.adcBits = so.adcBits;
        const MixedPrecisionReport mp = searchMixedPrecision(model, base, d, sens, mo, target);
        QVERIFY(mp.chosen > 0);
        const Graph& g1 = model.forBatch(model.runBatch(1));
        QVERIFY(energyPj(mp.chosenResult, g1, target) < energyPj(base, g1, target));
        bool lowered = false;
        for (const LayerQuant& l : mp.chosenResult.layers)
            lowered |= l.adcBits < base.findLayer(l.node)->adcBits;
        QVERIFY(lowered);

        mo.adcBits.clear();
        SensitivityOptions weightsOnly;
        const MixedPrecisionReport off = searchMixedPrecision(model, base, d, sens, mo, target);
        const MixedPrecisionReport today =
            searchMixedPrecision(model, base, d, analyzeSensitivity(model, base, d, weightsOnly), mo, target);
        QCOMPARE(off.measured.size(), today.measured.size());
        for (size_t i = 0; i < off.measured.size(); ++i) {
            QVERIFY(off.measured[i].weightBits == today.measured[i].weightBits);
            QVERIFY(off.measured[i].cost == today.measured[i].cost && off.measured[i].top1 == today.measured[i].top1);
            for (const LayerQuant& l : base.layers)
                QCOMPARE(off.measured[i].adcBits.at(l.node), l.adcBits);
        }
        QCOMPARE(off.chosen, today.chosen);
    }

    // DAC (input) bits as an axis of an energy search, with weights and ADC: the chosen point
    // drives some layer's input at fewer bits and costs less than the base, priced by the
    // test's own LayerWork; every point's DAC bits are within the axis and a DAC trial at
    // the base's 8 bits scores as the 8-bit weight trial (both are the base).
    void dacAxisLowersEnergy()
    {
        ModelGraphs model(digits("digits_cnn.onnx"));
        const Dataset d = loadNpyDataset({digits("digits_test_x8.npy")}, digits("digits_test_y.npy"));
        const QuantSpec base = calibrate(model, d, QuantConfig{});
        SensitivityOptions so;
        so.adcBits = {12, 8};
        so.dacBits = {8, 6, 4};
        const SensitivityReport sens = analyzeSensitivity(model, base, d, so);
        const std::string first = base.layers[0].node;
        QVERIFY(sens.findDac(first, 8) && sens.findDac(first, 4) && sens.findDac(first, 8)->top1 == sens.find(first, 8)->top1);
        QVERIFY(sens.findDac(first, 4)->outputSqnrDb < sens.findDac(first, 8)->outputSqnrDb);
        const TargetCostModel target(loadTarget("m1076"));
        MixedPrecisionOptions mo;
        mo.objective = CostObjective::Energy;
        mo.maxAccuracyDrop = 0.02;
        mo.adcBits = so.adcBits;
        mo.dacBits = so.dacBits;
        const MixedPrecisionReport mp = searchMixedPrecision(model, base, d, sens, mo, target);
        QVERIFY(mp.chosen > 0);
        const Graph& g1 = model.forBatch(model.runBatch(1));
        QVERIFY(energyPj(mp.chosenResult, g1, target) < energyPj(base, g1, target));
        QVERIFY(std::abs(mp.measured[mp.chosen].cost - energyPj(mp.chosenResult, g1, target)) <
                1e-9 * energyPj(base, g1, target));
        bool lowered = false;
        for (const LayerQuant& l : mp.chosenResult.layers) {
            lowered |= l.inputBits < 8;
            QCOMPARE(mp.measured[mp.chosen].dacBits.at(l.node), l.inputBits);
        }
        QVERIFY(lowered);
        mo.objective = CostObjective::WeightBits; // DAC bits do not change weight storage
        QVERIFY_EXCEPTION_THROWN(searchMixedPrecision(model, base, d, sens, mo, target), Error);
    }

    // An 8-bit trial over an 8-bit base without bias correction is the base itself (its
    // outputs are reused): still the numbers of a full run.
    void baseProgrammedTrialsEqualFullRuns()
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        const QuantSpec base = calibrate(model, m_calib, QuantConfig{});
        SensitivityOptions so;
        so.bits = {8, 3};
        Dataset d;
        d.inputs = sliceRows(m_test.inputs, 0, 200);
        d.labels.assign(m_test.labels.begin(), m_test.labels.begin() + 200);
        compareTables(analyzeSensitivity(model, base, d, so), analyzeSensitivityByFullRuns(model, base, d, so));
    }

    // The user's metric in the table: the command runs once for the ceiling and once per
    // trial, the drops equal one full evaluation per trial with that metric, and a trial
    // programmed as the base scores the bytes in which the base's outputs differ from FP32.
    void userMetricRanksTheTable()
    {
        ModelGraphs model(digits("digits_cnn.onnx"));
        Dataset d = loadNpyDataset({digits("digits_test_x8.npy")});
        d.inputs = sliceRows(d.inputs, 0, 12);
        const QuantSpec base = calibrate(model, d, QuantConfig{});
        QTemporaryDir dir;
        const std::string count = dir.filePath("runs").toStdString();
        SensitivityOptions so;
        so.bits = {8, 2};
        so.batchSize = 5; // several batches: outputs kept per trial until the last one
        so.metricCommand = "echo >> '" + count + "'; " + std::string(TESSERA_TEST_DATA) +
                           "/../cli/lib/bytes_differ.sh {ref} {out}";
        const SensitivityReport fast = analyzeSensitivity(model, base, d, so);
        QFile runs(QString::fromStdString(count));
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll().count('\n'), qsizetype(fast.entries.size() + 1));
        QCOMPARE(fast.userMetric, so.metricCommand);
        compareTables(fast, analyzeSensitivityByFullRuns(model, base, d, so));
        const std::vector<float> fp = computeFp32Reference(model, d).outputs;
        const std::vector<float> q = runQuantizedOutputs(model, base, d);
        int64_t differ = 0;
        for (size_t i = 0; i < fp.size() * sizeof(float); ++i)
            differ += reinterpret_cast<const char*>(fp.data())[i] != reinterpret_cast<const char*>(q.data())[i];
        QVERIFY(differ > 0);
        QCOMPARE(fast.find(base.layers[0].node, 8)->accuracyDrop, double(differ));
        QVERIFY(fast.find(base.layers[0].node, 2)->accuracyDrop > 0.0);
    }

    void sensitivityIsCancellable()
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        const QuantSpec base = calibrate(model, m_calib, QuantConfig{});
        for (int threads : {1, 2}) {
            setThreadCount(threads);
            CancelAfter cancel(5);
            QVERIFY_THROWS_EXCEPTION(Cancelled, analyzeSensitivity(model, base, m_calib, {}, &cancel));
        }
        setThreadCount(1);
    }

    void badBitDepthsAreRejected()
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        const QuantSpec base = calibrate(model, m_calib, QuantConfig{});
        SensitivityOptions so;
        so.bits = {8, 1};
        QVERIFY_THROWS_EXCEPTION(Error, analyzeSensitivity(model, base, m_calib, so));
    }

    // Timing for the report (minutes on a shared 2-core machine): opt-in.
    void wideSensitivityTiming()
    {
        if (qEnvironmentVariableIsEmpty("TESSERA_QUANT_TIMING"))
            QSKIP("set TESSERA_QUANT_TIMING=1 to time mnist_wide's sensitivity analysis");
        ModelGraphs model(mnist("mnist_wide.onnx"));
        const QuantSpec base = calibrate(model, m_calib, QuantConfig{});
        const SensitivityReport sens = analyzeSensitivity(model, base, m_search);
        qInfo("mnist_wide sensitivity (%zu layers x 5 depths, %lld images): %.1f s", base.layers.size(),
              static_cast<long long>(m_search.count()), sens.seconds);
        QCOMPARE(sens.entries.size(), base.layers.size() * 5);
    }
};

int main(int argc, char** argv)
{
    // The searches measure dozens of configurations: QtTest's 5-minute per-function
    // watchdog is too short on a loaded machine (ctest's own timeout still applies).
    if (qEnvironmentVariableIsEmpty("QTEST_FUNCTION_TIMEOUT"))
        qputenv("QTEST_FUNCTION_TIMEOUT", "900000");
    TestSensitivity test;
    return QTest::qExec(&test, argc, argv);
}
#include "test_sensitivity.moc"
