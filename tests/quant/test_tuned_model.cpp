// saveTunedModel: a tuned graph (weights changed after the spec's rewrites) saved as a new
// ONNX plus its spec is taken by the normal path (openModelFor + QuantizedExecutor) and
// computes bit for bit what the in-memory graph with the original spec computes.
#include "core/Error.h"
#include "core/WeightMatrix.h"
#include "core/quantspec/GraphRewrites.h"
#include "quant/Calibrator.h"
#include "quant/QuantizeApi.h"
#include "quant/QuantizedExecutor.h"
#include "quant/TunedModel.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string data(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/" + file; }

Dataset samples(const std::string& npy, int64_t count)
{
    Dataset d = loadNpyDataset({data(npy)});
    d.inputs = sliceRows(d.inputs, 0, count);
    return d;
}
Dataset digits(int64_t count) { return samples("digits/digits_test_x8.npy", count); }

// The spec's first layer with its weights scaled by 1.05 (a stand-in for training).
Graph tunedGraph(ModelGraphs& model, const QuantSpec& spec)
{
    Graph g = model.forBatch(8);
    const NodeId layer = *g.findNode(spec.layers.front().node);
    scaleWeightInputChannels(g, layer, std::vector<double>(smoothingChannels(g, g.node(layer)), 1.05));
    return g;
}

} // namespace

class TestTunedModel : public QObject {
    Q_OBJECT
private slots:
    void savedPairRunsAsTheTunedGraph_data()
    {
        QTest::addColumn<QString>("modelFile");
        QTest::addColumn<QString>("inputs");
        QTest::newRow("digits_cnn") << "digits/digits_cnn.onnx" << "digits/digits_test_x8.npy";
        // depthwise, Clip, squeeze-excitation, Concat, an unfoldable BatchNorm, Softmax
        QTest::newRow("digits_resnet") << "digits/digits_resnet.onnx" << "digits/digits_test_x16.npy";
        QTest::newRow("mnist_mobile") << "mnist/mnist_mobile.onnx" << "mnist/mnist_test_x16.npy";
    }
    void savedPairRunsAsTheTunedGraph()
    {
        QFETCH(QString, modelFile);
        QFETCH(QString, inputs);
        const Dataset d = samples(inputs.toStdString(), 8);
        ModelGraphs model = openModelFor(data(modelFile.toStdString()), d);
        const QuantSpec spec = calibrate(model, d, QuantConfig{});
        QVERIFY(!spec.smoothing.empty()); // the default rewrites: they must end up in the weights
        const Graph tuned = tunedGraph(model, spec);
        const std::vector<Tensor> want = QuantizedExecutor(tuned, spec).run({d.inputs});

        QTemporaryDir dir;
        const TunedModelFiles out{dir.filePath("tuned.onnx").toStdString(), dir.filePath("tuned.json").toStdString()};
        saveTunedModel(tuned, &spec, out);
        const QuantSpec saved = readQuantSpec(out.quant);
        QVERIFY(saved.smoothing.empty() && saved.equalization.empty());
        QVERIFY(saved.modelHash != spec.modelHash);
        ModelGraphs reopened = openModelFor(out.model, saved); // checks the hash
        const std::vector<Tensor> got = QuantizedExecutor(reopened.forBatch(8), saved).run({d.inputs});
        QCOMPARE(got[0].toFloatVector(), want[0].toFloatVector());
        // and the weights really changed: the original model gives other outputs
        const std::vector<Tensor> before = QuantizedExecutor(model.forBatch(8), spec).run({d.inputs});
        QVERIFY(before[0].toFloatVector() != want[0].toFloatVector());
    }

    void specForAnotherGraphIsRefusedAndNothingWritten()
    {
        const Dataset d = digits(8);
        ModelGraphs model = openModelFor(data("digits/digits_cnn.onnx"), d);
        QuantSpec spec = calibrate(model, d, QuantConfig{});
        spec.layers.front().node = "no_such_layer";
        QTemporaryDir dir;
        const TunedModelFiles out{dir.filePath("t.onnx").toStdString(), dir.filePath("t.json").toStdString()};
        try {
            saveTunedModel(model.forBatch(8), &spec, out);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("no_such_layer") != std::string::npos, e.what());
        }
        QVERIFY(!QFile::exists(dir.filePath("t.onnx")) && !QFile::exists(dir.filePath("t.json")));
    }
};

QTEST_GUILESS_MAIN(TestTunedModel)
#include "test_tuned_model.moc"
