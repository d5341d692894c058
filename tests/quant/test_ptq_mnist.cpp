// Post-training quantization of the bundled MNIST models (ANA8: 8-bit weights and
// activations, 12-bit ADCs, calibrated on mnist_calib_x.npy), evaluated on the 2,000
// held-out digits against labels and FP32. Targets (issue 5): top-1 within 0.3 pp of FP32.
#include "core/Error.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizedExecutor.h"

#include <QtTest>

#include <cmath>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }

} // namespace

class TestPtqMnist : public QObject {
    Q_OBJECT
private:
    Dataset m_calib, m_test;

    void checkModel(const std::string& name, int64_t expectedSplitLayers)
    {
        ModelGraphs model(mnist(name + ".onnx"));
        QuantSpec r = calibrate(model, m_calib, QuantConfig{});
        QVERIFY(!r.layers.empty());
        // Layers with more rows than a 1024-row array are digitized per row block.
        int64_t split = 0;
        for (const LayerQuant& l : r.layers)
            split += l.rowBlocks > 1;
        QCOMPARE(split, expectedSplitLayers);
        for (const LayerQuant& l : r.layers)
            QVERIFY2(l.adcRange > 0, l.node.c_str());
        EvalOptions eo;
        eo.perLayer = true;
        EvalReport rep = evaluate(model, r, m_test, eo);
        qInfo("%s: FP32 %.2f%%  ANA8 %.2f%%  agreement %.2f%%  output SQNR %.1f dB  (%.1f s)", name.c_str(),
              100 * rep.fp32Top1, 100 * rep.quantTop1, 100 * rep.agreement, rep.outputSqnrDb, rep.seconds);
        for (const LayerError& l : rep.layers)
            if (l.analog)
                qInfo("   %-28s %-6s SQNR %6.1f dB", l.node.c_str(), l.opType.c_str(), l.sqnrDb);
        QVERIFY2(rep.fp32Top1 - rep.quantTop1 <= 0.003 + 1e-9, "ANA8 drop above 0.3 pp");
        QVERIFY(rep.agreement > 0.99);
        QVERIFY(!rep.layers.empty());
    }

private slots:
    void initTestCase()
    {
        m_calib = loadNpyDataset({mnist("mnist_calib_x.npy")});
        m_test = loadNpyDataset({mnist("mnist_test_x.npy")}, mnist("mnist_test_y.npy"));
    }

    // FP32 reference reproduces the numbers ONNX Runtime/torch reported (results.json).
    void fp32MatchesPublishedAccuracy()
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        QuantSpec r = calibrate(model, m_calib, QuantConfig{});
        EvalReport rep = evaluate(model, r, m_test);
        QCOMPARE(rep.samples, int64_t(2000));
        QVERIFY2(std::fabs(rep.fp32Top1 - 0.972) < 1e-9, qPrintable(QString::number(rep.fp32Top1)));
    }

    void lenetAna8() { checkModel("mnist_lenet", 0); }
    void mobileAna8() { checkModel("mnist_mobile", 0); }
    // Two layers exceed 1024 rows: a 3x3 conv over 128 channels (1,152 rows) and FC 2304->1024.
    void wideAna8() { checkModel("mnist_wide", 2); }
};

QTEST_APPLESS_MAIN(TestPtqMnist)
#include "test_ptq_mnist.moc"
