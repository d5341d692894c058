// runRetrain (quant/train/Retrain.h) on a slice of MNIST digits with mnist_lenet: the run is
// the same for the same seed, a run resumed from its checkpoint ends where an uninterrupted
// one does, cancellation and a NaN loss still write the best weights, and data a trainer
// cannot use is refused before anything is written.
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "quant/QuantizeApi.h"
#include "quant/train/Retrain.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace tessera;
using namespace tessera::train;

namespace {

std::string mnist(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/mnist/" + file; }

RetrainRequest lenetRequest(const QTemporaryDir& dir, const std::string& name, int epochs)
{
    RetrainRequest r;
    r.modelPath = mnist("mnist_lenet.onnx");
    r.data.npyFiles = {mnist("mnist_test_x.npy")};
    r.data.labelsNpy = mnist("mnist_test_y.npy");
    r.data.limit = 96;
    r.options.epochs = epochs;
    r.options.batchSize = 32;
    r.options.holdout = 0.25;
    r.options.learningRate = 1e-3;
    r.options.patience = 0;
    r.options.seed = 7;
    r.options.threads = 1;
    r.outputModel = dir.filePath(QString::fromStdString(name + ".onnx")).toStdString();
    return r;
}

// Cancels once `after` progress reports arrived.
class CancelAfter : public ProgressSink {
public:
    explicit CancelAfter(int after) : m_left(after) {}
    void report(double, std::string_view) override { --m_left; }
    bool isCancelled() const override { return m_left <= 0; }

private:
    int m_left;
};

} // namespace

class TestRetrain : public QObject {
    Q_OBJECT
private slots:
    void sameSeedSameRunAndResumeEqualsUninterrupted()
    {
        QTemporaryDir dir;
        const RetrainResult a = runRetrain(lenetRequest(dir, "a", 2));
        const RetrainResult b = runRetrain(lenetRequest(dir, "b", 2));
        QCOMPARE(a.epochs.size(), size_t(2));
        QCOMPARE(a.epochs[1].trainLoss, b.epochs[1].trainLoss);
        QCOMPARE(readFileBytes(a.outputModel), readFileBytes(b.outputModel));
        runRetrain(lenetRequest(dir, "c", 1)); // stops after epoch 1, checkpoint c.onnx.ckpt
        const RetrainResult c = runRetrain(lenetRequest(dir, "c", 2));
        QCOMPARE(c.epochs.size(), size_t(2)); // epoch 1 from the checkpoint's history
        QCOMPARE(c.epochs[1].trainLoss, a.epochs[1].trainLoss);
        QCOMPARE(readFileBytes(c.outputModel), readFileBytes(a.outputModel));
    }
    void earlyStopKeepsTheStartingWeightsWhenTrainingHurts()
    {
        QTemporaryDir dir;
        RetrainRequest r = lenetRequest(dir, "early", 5);
        r.options.learningRate = 0.05; // far too large for a trained model: held-out accuracy falls
        r.options.patience = 1;
        const RetrainResult result = runRetrain(r);
        QVERIFY2(result.stopReason.rfind("early stop", 0) == 0, result.stopReason.c_str());
        QCOMPARE(result.epochs.size(), size_t(1));
        QCOMPARE(result.bestEpoch, 0);
        QCOMPARE(result.heldoutAfter, result.heldoutBefore);
    }
    void cancelKeepsTheBestWeightsAndWritesThem()
    {
        QTemporaryDir dir;
        CancelAfter cancel(3); // 72 training samples: 3 batches, so epoch 2 is cancelled before its first
        const RetrainResult r = runRetrain(lenetRequest(dir, "cancel", 3), &cancel);
        QCOMPARE(r.stopReason, std::string("cancelled"));
        QCOMPARE(r.epochs.size(), size_t(1));
        QVERIFY(std::filesystem::exists(r.outputModel));
    }
    void nanLossStopsNamingTheBatch()
    {
        QTemporaryDir dir;
        RetrainRequest req = lenetRequest(dir, "nan", 2);
        req.options.learningRate = 1e30;
        const RetrainResult r = runRetrain(req);
        QVERIFY2(r.stopReason.rfind("NaN loss at epoch 1, batch ", 0) == 0, r.stopReason.c_str());
        QCOMPARE(r.bestEpoch, 0); // the starting weights are the last good ones
        QVERIFY(std::filesystem::exists(r.outputModel));
        QVERIFY(!std::filesystem::exists(r.outputModel + ".ckpt")); // no epoch completed
    }
    void quantizationAwareRunWritesTheTunedSpec()
    {
        QTemporaryDir dir;
        quant::QuantizeRequest q;
        q.modelPath = mnist("mnist_lenet.onnx");
        q.calibration.npyFiles = {mnist("mnist_calib_x.npy")};
        q.calibration.limit = 64;
        q.config.weightBits = 4;
        q.outputPath = dir.filePath("lenet4.json").toStdString();
        quant::runQuantize(q);
        RetrainRequest r = lenetRequest(dir, "qat", 1);
        r.quantPath = q.outputPath;
        r.outputQuant = dir.filePath("qat.json").toStdString();
        const RetrainResult result = runRetrain(r);
        QVERIFY(result.heldoutAfter >= result.heldoutBefore);
        quant::EvalRequest e; // the pair goes through the normal quantized path
        e.modelPath = result.outputModel;
        e.quantPath = result.outputQuant;
        e.data = r.data;
        e.perLayer = false;
        QVERIFY(quant::runQuantEval(e).contains("quant_top1"));
        RetrainRequest other = r; // the spec of mnist_lenet for another model
        other.modelPath = mnist("mnist_wide.onnx");
        other.outputModel = dir.filePath("other.onnx").toStdString();
        QVERIFY_THROWS_EXCEPTION(Error, runRetrain(other));
        QVERIFY(!std::filesystem::exists(other.outputModel));
    }
    // Fully distilled (weight 1) from the starting FP32 model, a run never reads the labels:
    // wrong labels give the same weights; at weight 0.5 they change the run.
    void fullDistillationIgnoresTheLabels()
    {
        QTemporaryDir dir;
        std::vector<int64_t> wrong = readNpy(mnist("mnist_test_y.npy")).toInt64Vector();
        for (int64_t& y : wrong)
            y = (y + 1) % 10;
        const std::string wrongPath = dir.filePath("wrong_y.npy").toStdString();
        writeNpy(wrongPath, Tensor::fromVector<int64_t>(wrong, {static_cast<int64_t>(wrong.size())}));
        auto run = [&](const std::string& name, const std::string& labels, double weight) {
            RetrainRequest r = lenetRequest(dir, name, 1);
            r.data.labelsNpy = labels;
            r.options.holdout = 0.0;
            r.options.distillWeight = weight;
            return readFileBytes(runRetrain(r).outputModel);
        };
        QCOMPARE(run("right", mnist("mnist_test_y.npy"), 1.0), run("wrong", wrongPath, 1.0));
        QVERIFY(run("right_half", mnist("mnist_test_y.npy"), 0.5) != run("wrong_half", wrongPath, 0.5));
    }
    void unusableDataIsRefusedBeforeWriting()
    {
        QTemporaryDir dir;
        RetrainRequest noLabels = lenetRequest(dir, "x", 1);
        noLabels.data.labelsNpy.clear();
        QVERIFY_THROWS_EXCEPTION(Error, runRetrain(noLabels));
        RetrainRequest tooFew = lenetRequest(dir, "x", 1);
        tooFew.data.npyFiles = {mnist("mnist_test_x16.npy")}; // 16 samples, 2000 labels
        QVERIFY_THROWS_EXCEPTION(Error, runRetrain(tooFew));
        RetrainRequest badSplit = lenetRequest(dir, "x", 1);
        badSplit.options.holdout = 1.5;
        QVERIFY_THROWS_EXCEPTION(Error, runRetrain(badSplit));
        QVERIFY(!std::filesystem::exists(noLabels.outputModel));
    }
};

QTEST_GUILESS_MAIN(TestRetrain)
#include "test_retrain.moc"
