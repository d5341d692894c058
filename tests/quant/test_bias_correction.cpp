// Empirical bias correction (quant/BiasCorrection.h): a hand-built layer whose weight
// rounding error has a known sign and size, the JSON record, and the measured effect on
// a real model at 4-bit weights (with and without cross-layer equalization).
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "quant/BiasCorrection.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizedExecutor.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }

// y = W x (Gemm transB), W = [[1, 0.375], [0.5, -0.375]], 4-bit weights with scales 1/4:
// levels [[4, 1.5 -> 2], [2, -1.5 -> -2]] (ties to even), so the quantized weights are
// [[1, 0.5], [0.5, -0.5]]: errors +0.125 and -0.125 on the second input. Inputs are
// exact at sx = 1/64; unit sx*sw = 1/256 and sy = 1/1024 make every other step exact, so
// the output error is exactly (+0.125, -0.125) * x2.
Graph handLayer()
{
    Graph g;
    g.name = "hand";
    ValueId x = g.addValue("x", DType::Float32, {4, 2});
    ValueId w = g.addConstant("W", Tensor::fromVector<float>({1, 0.375f, 0.5f, -0.375f}, {2, 2}));
    ValueId y = g.addValue("y");
    Attributes attrs;
    attrs.set("transB", int64_t{1});
    g.addNode("fc", "Gemm", {x, w}, {y}, attrs);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

QuantSpec handResult()
{
    QuantSpec r;
    r.config.adcBits = 32;
    r.tensors["x"] = TensorQuant{true, 1.0 / 64, 8, false, 0, 1, "graph-input"};
    r.tensors["y"] = TensorQuant{true, 1.0 / 1024, 16, true, -1, 2, "analog-matmul"};
    LayerQuant l;
    l.node = "fc";
    l.input = "x";
    l.output = "y";
    l.weightBits = 4;
    l.adcBits = 32;
    l.rows = 2;
    l.cols = 2;
    l.weightScales = {0.25, 0.25};
    r.layers.push_back(l);
    return r;
}

} // namespace

class TestBiasCorrection : public QObject {
    Q_OBJECT
private:
    Dataset m_calib, m_test;

    void lenetAt4Bits(bool equalize, bool biasCorrection, EvalReport& rep)
    {
        ModelGraphs model(mnist("mnist_lenet.onnx"));
        QuantConfig config;
        config.weightBits = 4;
        config.equalize = equalize;
        config.biasCorrection = biasCorrection;
        const QuantSpec r = calibrate(model, m_calib, config);
        for (const LayerQuant& l : r.layers)
            QCOMPARE(l.biasCorrection.empty(), !biasCorrection);
        rep = evaluate(model, r, m_test);
        qInfo("mnist_lenet W4 equalize=%d bias-correction=%d: top-1 %.2f%% (FP32 %.2f%%), agreement %.2f%%, "
              "output SQNR %.1f dB",
              equalize, biasCorrection, 100 * rep.quantTop1, 100 * rep.fp32Top1, 100 * rep.agreement, rep.outputSqnrDb);
    }

private slots:
    void initTestCase()
    {
        m_calib = loadNpyDataset({mnist("mnist_calib_x.npy")});
        m_test = loadNpyDataset({mnist("mnist_test_x.npy")}, mnist("mnist_test_y.npy"));
    }

    // x samples [1,1], [0.5,1], [1,0.5], [0.5,0.5]: mean x2 = 0.75, so the mean output
    // error is (+0.09375, -0.09375); the correction cancels it exactly.
    void removesKnownMeanError()
    {
        Dataset d;
        d.inputs = Tensor::fromVector<float>({1, 1, 0.5f, 1, 1, 0.5f, 0.5f, 0.5f}, {4, 2});
        d.source = "hand";
        ModelGraphs model(handLayer());
        QuantSpec r = handResult();
        QCOMPARE(measureMeanError(r, model, d, "fc"), std::vector<double>({0.09375, -0.09375}));
        correctBiases(r, model, d);
        QCOMPARE(r.layers[0].biasCorrection, std::vector<double>({0.09375, -0.09375}));
        QCOMPARE(measureMeanError(r, model, d, "fc"), std::vector<double>({0.0, 0.0}));
        // The executor applies it through layerBias: the graph has no bias, so the
        // epilogue's bias is minus the correction.
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(model.forBatch(4), model.forBatch(4).node(0));
        QCOMPARE(layerBias(r.layers[0], view), std::vector<float>({-0.09375f, 0.09375f}));
        // Quantized outputs of sample 0: [1 + 0.5, 0.5 - 0.5] - correction.
        const Tensor y = QuantizedExecutor(model.forBatch(4), r).run({d.inputs})[0];
        QCOMPARE(y.toFloatVector()[0], 1.5f - 0.09375f);
        QCOMPARE(y.toFloatVector()[1], 0.0f + 0.09375f);
    }

    void jsonKeepsTheCorrection()
    {
        QTemporaryDir dir;
        QuantSpec r = handResult();
        r.layers[0].biasCorrection = {0.09375, -0.09375};
        const std::string path = dir.filePath("q.json").toStdString();
        writeQuantSpec(path, r);
        QCOMPARE(readQuantSpec(path).layers[0].biasCorrection, r.layers[0].biasCorrection);
        r.layers[0].biasCorrection = {1.0};
        writeQuantSpec(path, r);
        try {
            readQuantSpec(path);
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("'fc'") && QString(e.what()).contains("1 bias corrections for 2"), e.what());
        }
    }

    // 4-bit weights: correcting the biases brings the outputs measurably closer to FP32
    // (SQNR +2 dB, top-1 agreement not lower, 2,000 held-out digits), with and without
    // equalization.
    void improvesLenetAt4Bits()
    {
        for (bool equalize : {false, true}) {
            EvalReport plain, corrected;
            lenetAt4Bits(equalize, false, plain);
            lenetAt4Bits(equalize, true, corrected);
            QVERIFY2(corrected.outputSqnrDb > plain.outputSqnrDb + 2.0, "bias correction: < 2 dB SQNR gain");
            // Not worse in agreement (with offset codes and smoothing alpha 0.75 the equalized
            // 4-bit lenet already agrees on 99.25% without correction, as with it).
            QVERIFY(corrected.agreement >= plain.agreement);
            QVERIFY(corrected.quantTop1 >= corrected.fp32Top1 - 0.003);
        }
    }
};

QTEST_APPLESS_MAIN(TestBiasCorrection)
#include "test_bias_correction.moc"
