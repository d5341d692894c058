// Quantization-aware retraining end to end (slow, opt-in: TESSERA_SLOW_QAT=1): mnist_mobile
// quantized at 4-bit weights by the normal quantizer, retrained one epoch against that spec
// (runRetrain, what `tessera retrain` runs), then the tuned model quantized by the normal
// path (the quantized executor with the tuned spec: `tessera quant-eval tuned.onnx --quant
// tuned.quant.json`) must agree with the training-time fake-quantized predictions.
#include "core/Error.h"
#include "quant/QuantizeApi.h"
#include "quant/train/QatEval.h"
#include "quant/train/Retrain.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::train;

namespace {

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }

} // namespace

class TestQatFlow : public QObject {
    Q_OBJECT
private slots:
    void tunedModelAgreesWithTheTrainingForward()
    {
        if (!qEnvironmentVariableIsSet("TESSERA_SLOW_QAT"))
            QSKIP("set TESSERA_SLOW_QAT=1 to retrain mnist_mobile at 4 bits (minutes)");
        QTemporaryDir dir;
        const std::string base = dir.path().toStdString();
        quant::QuantizeRequest q;
        q.modelPath = mnist("mnist_mobile.onnx");
        q.calibration.npyFiles = {mnist("mnist_calib_x.npy")};
        q.config.weightBits = 4;
        q.outputPath = base + "/q4.json";
        quant::runQuantize(q);
        RetrainRequest r;
        r.modelPath = q.modelPath;
        r.quantPath = q.outputPath;
        r.data.npyFiles = {mnist("mnist_test_x.npy")}; // the first 1,000 labelled digits
        r.data.labelsNpy = mnist("mnist_test_y.npy");
        r.data.limit = 1000;
        r.options.epochs = 1;
        r.options.holdout = 0.0; // keep the trained weights (no held-out choice of the starting ones)
        r.options.learningRate = 3e-4;
        r.options.threads = 1;
        r.outputModel = base + "/tuned.onnx";
        r.outputQuant = base + "/tuned.quant.json";
        runRetrain(r);
        const quant::Dataset test = quant::loadNpyDataset({mnist("mnist_test_x.npy")}, mnist("mnist_test_y.npy"));
        const QuantSpec tuned = readQuantSpec(r.outputQuant);
        QVERIFY(tuned.equalization.empty() && tuned.smoothing.empty());
        const std::vector<int64_t> exec = executorPredictions(r.outputModel, tuned, test, 500);
        const std::vector<int64_t> fake = fakeQuantPredictions(r.outputModel, tuned, test, 500);
        const double agreement = agreementOf(exec, fake);
        qInfo("agreement %.4f, executor top-1 %.4f, training forward top-1 %.4f", agreement,
              accuracyOf(exec, test.labels), accuracyOf(fake, test.labels));
        QVERIFY(agreement >= 0.995);
    }
};

QTEST_GUILESS_MAIN(TestQatFlow)
#include "test_qat_flow.moc"
