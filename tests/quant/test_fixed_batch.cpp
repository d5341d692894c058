// Models exported with a FIXED batch (torch.onnx.export writes batch 1 unless told
// otherwise): quant::ModelGraphs decides once whether the graph re-batches (Flatten) or runs
// only its own batch (Reshape to a constant [B, K]), and calibration, evaluation and
// sensitivity over 64 (or 63: a padded last run) samples give exactly the numbers of the
// same model with a symbolic batch, the independent reference.
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/QuantizeApi.h"
#include "quant/Sensitivity.h"

#include <QtTest>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string data(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/" + file; }
// digits_cnn.onnx (input [N,1,8,8]) and its fixed-batch exports (scripts/make_fixed_batch_models.py).
std::string symbolic() { return data("digits/digits_cnn.onnx"); }
std::string fixed(const std::string& name) { return data("fixedbatch/" + name + ".onnx"); }

Dataset digits(int64_t count)
{
    Dataset d = loadNpyDataset({data("digits/digits_test_x8.npy")}, data("digits/digits_test_y.npy"));
    d.inputs = sliceRows(d.inputs, 0, count);
    d.labels.resize(static_cast<size_t>(count));
    return d;
}

QuantConfig everyPass()
{
    QuantConfig c;
    c.weightBits = 4; // visible rounding error, so bias correction has something to measure
    c.equalize = true;
    c.biasCorrection = true;
    return c;
}

// The reference's spec used on the fixed-batch copy: the same function in another graph
// (Flatten vs Reshape), so its content hash differs and the hash check is left out.
QuantSpec forEitherGraph(QuantSpec r)
{
    r.modelHash.clear();
    return r;
}

nlohmann::json withoutModel(const QuantSpec& r)
{
    nlohmann::json j = toJson(r);
    j.erase("model");
    j.erase("model_hash"); // the models differ in graph (Flatten vs Reshape), not in function
    return j;
}

// Conv(1->4, 3x3) -> Relu -> [Flatten | Reshape to a constant [batch, 144]] -> Gemm(144->3)
// on an input [batch, 1, 8, 8]; weights from a fixed formula.
Graph handCnn(int64_t batch, bool constantReshape)
{
    auto ramp = [](int64_t n, float step) {
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
            v[static_cast<size_t>(i)] = step * static_cast<float>((i * 7) % 11 - 5);
        return v;
    };
    Graph g;
    g.name = "hand_cnn";
    ValueId x = g.addValue("x", DType::Float32, {batch, 1, 8, 8});
    ValueId w = g.addConstant("w", Tensor::fromVector<float>(ramp(36, 0.1f), {4, 1, 3, 3}));
    ValueId c = g.addValue("c"), r = g.addValue("r"), f = g.addValue("f"), y = g.addValue("y");
    g.addNode("conv", "Conv", {x, w}, {c});
    g.addNode("relu", "Relu", {c}, {r});
    if (constantReshape)
        g.addNode("flat", "Reshape", {r, g.addConstant("shape", Tensor::fromVector<int64_t>({batch, 144}, {2}))}, {f});
    else
        g.addNode("flat", "Flatten", {r}, {f});
    Attributes attrs;
    attrs.set("transB", int64_t{1});
    g.addNode("fc", "Gemm", {f, g.addConstant("fw", Tensor::fromVector<float>(ramp(432, 0.02f), {3, 144}))}, {y}, attrs);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

// A transformer-like block exported at batch 1 that drops its batch: x [1, 16, 32] ->
// Reshape to a constant [16, 32] -> MatMul [32, 10] -> y [16, 10]. The reference keeps the
// batch (Reshape to [0, 16, 32], 0 copying dim 0): y [N, 16, 10], the same values per sample.
Graph tokenBlock(bool dropsBatch)
{
    std::vector<float> w(320);
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = 0.01f * static_cast<float>(static_cast<int>((i * 5) % 13) - 6);
    Graph g;
    g.name = "token_block";
    ValueId x = g.addValue("x", DType::Float32, {dropsBatch ? 1 : 64, 16, 32});
    const std::vector<int64_t> shape = dropsBatch ? std::vector<int64_t>{16, 32} : std::vector<int64_t>{0, 16, 32};
    ValueId t = g.addValue("t"), y = g.addValue("y");
    g.addNode("flat", "Reshape", {x, g.addConstant("shape", Tensor::fromVector<int64_t>(shape, {int64_t(shape.size())}))}, {t});
    g.addNode("mm", "MatMul", {t, g.addConstant("w", Tensor::fromVector<float>(w, {32, 10}))}, {y});
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

Dataset rampData(int64_t count, Shape sample = {1, 8, 8})
{
    Dataset d;
    d.source = "ramp";
    sample.insert(sample.begin(), count);
    d.inputs = Tensor(DType::Float32, sample);
    float* p = d.inputs.mutableData<float>();
    for (int64_t i = 0; i < d.inputs.numel(); ++i)
        p[i] = static_cast<float>((i * 13) % 17) / 17.0f - 0.25f;
    return d;
}

void checkSameEval(ModelGraphs& reference, ModelGraphs& model, const QuantSpec& r, const Dataset& d)
{
    EvalOptions eo;
    eo.perLayer = true;
    eo.batchSize = 16;
    const EvalReport a = evaluate(reference, r, d, eo), b = evaluate(model, r, d, eo);
    QCOMPARE(b.samples, d.count());
    QCOMPARE(b.agreement, a.agreement);
    QCOMPARE(b.quantTop1, a.quantTop1);
    QCOMPARE(b.outputSqnrDb, a.outputSqnrDb);
    QCOMPARE(b.layers.size(), a.layers.size());
    for (size_t i = 0; i < a.layers.size(); ++i)
        QCOMPARE(b.layers[i].sqnrDb, a.layers[i].sqnrDb);
}

} // namespace

class TestFixedBatch : public QObject {
    Q_OBJECT
private slots:
    void batchCapabilityIsDecidedOnce()
    {
        ModelGraphs flatten(fixed("digits_cnn_b1"));
        QCOMPARE(flatten.declaredBatch(), int64_t{1});
        QCOMPARE(flatten.runBatch(16), int64_t{16});
        QCOMPARE(flatten.forBatch(16).value(flatten.forBatch(16).outputs()[0]).shape, (Shape{16, 10}));
        ModelGraphs reshape(fixed("digits_cnn_b1_reshape"));
        QCOMPARE(reshape.runBatch(16), int64_t{1});
        QVERIFY(QString::fromStdString(reshape.fixedBatchReason()).contains("Reshape"));
        QCOMPARE(reshape.runBatch(5), int64_t{1});
        ModelGraphs four(fixed("digits_cnn_b4_reshape"));
        QCOMPARE(four.runBatch(3), int64_t{4});
        ModelGraphs hand(handCnn(1, true));
        QCOMPARE(hand.runBatch(8), int64_t{1});
        QCOMPARE(ModelGraphs(handCnn(1, false)).runBatch(8), int64_t{8});
    }

    void calibrationMatchesSymbolicBatch_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("samples");
        QTest::newRow("b1 flatten, 64") << "digits_cnn_b1" << 64;
        QTest::newRow("b1 constant reshape, 64") << "digits_cnn_b1_reshape" << 64;
        QTest::newRow("b4 constant reshape, 63 (last run padded)") << "digits_cnn_b4_reshape" << 63;
    }
    void calibrationMatchesSymbolicBatch()
    {
        QFETCH(QString, model);
        QFETCH(int, samples);
        const Dataset d = digits(samples);
        ModelGraphs reference = openModelFor(symbolic(), d), m = openModelFor(fixed(model.toStdString()), d);
        const QuantSpec a = forEitherGraph(calibrate(reference, d, everyPass())), b = calibrate(m, d, everyPass());
        QVERIFY(!a.equalization.empty());
        QVERIFY(!a.layers.at(0).biasCorrection.empty());
        QCOMPARE(withoutModel(b).dump(), withoutModel(a).dump());
        checkSameEval(reference, m, a, d);
    }

    void handGraphsMatchTheBatchFreeGraph()
    {
        const Dataset d = rampData(64);
        ModelGraphs reference(handCnn(64, false)), flatten(handCnn(1, false)), reshape(handCnn(1, true));
        const QuantSpec a = forEitherGraph(calibrate(reference, d, everyPass()));
        QCOMPARE(withoutModel(calibrate(flatten, d, everyPass())).dump(), withoutModel(a).dump());
        QCOMPARE(withoutModel(calibrate(reshape, d, everyPass())).dump(), withoutModel(a).dump());
        checkSameEval(reference, reshape, a, d);
        const Fp32Reference fa = computeFp32Reference(reference, d), fb = computeFp32Reference(reshape, d, 7);
        QCOMPARE(fb.outputs, fa.outputs);
    }

    // [5, 16, 32] data is 5 samples of the [1, 16, 32] input (a [1, 16, 32] array is one).
    void batchDroppingModelRunsOneSampleAtATime()
    {
        const Dataset d = rampData(5, {16, 32});
        ModelGraphs reference(tokenBlock(false)), m(tokenBlock(true));
        QCOMPARE(m.runBatch(5), int64_t{1});
        const QuantSpec a = forEitherGraph(calibrate(reference, d, QuantConfig{}));
        QCOMPARE(a.layers.size(), size_t{1}); // the MatMul runs on the analog array
        nlohmann::json b = withoutModel(calibrate(m, d, QuantConfig{})), ja = withoutModel(a);
        QCOMPARE(b["tensors"].dump(), ja["tensors"].dump());
        QCOMPARE(b["layers"].dump(), ja["layers"].dump());
        QCOMPARE(computeFp32Reference(m, d).outputs, computeFp32Reference(reference, d).outputs);
        checkSameEval(reference, m, a, d);
        QCOMPARE(computeFp32Reference(m, rampData(1, {16, 32})).outputs.size(), size_t{160});
    }

    void sensitivityMatchesSymbolicBatch()
    {
        const Dataset d = digits(63);
        ModelGraphs reference = openModelFor(symbolic(), d), m = openModelFor(fixed("digits_cnn_b4_reshape"), d);
        const QuantSpec base = forEitherGraph(calibrate(reference, d, QuantConfig{}));
        SensitivityOptions so;
        so.bits = {4, 2};
        so.batchSize = 10;
        const SensitivityReport a = analyzeSensitivity(reference, base, d, so), b = analyzeSensitivity(m, base, d, so);
        QCOMPARE(b.entries.size(), a.entries.size());
        for (size_t i = 0; i < a.entries.size(); ++i) {
            QCOMPARE(b.entries[i].layer, a.entries[i].layer);
            QCOMPARE(b.entries[i].top1, a.entries[i].top1);
            QCOMPARE(b.entries[i].outputSqnrDb, a.entries[i].outputSqnrDb);
        }
    }

    void dataThatCannotFitNamesInputAndShape()
    {
        Dataset d = loadNpyDataset({data("digits/digits_test_x16.npy")}); // 16x16 digits, the model takes 8x8
        try {
            openModelFor(fixed("digits_cnn_b1"), d);
            QFAIL("16x16 samples were accepted by an 8x8 model");
        } catch (const Error& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("digits_test_x16.npy") && m.contains("[360,1,16,16]") && m.contains("'input'"),
                     e.what());
        }
        Dataset stacked = digits(4);
        stacked.inputs = stacked.inputs.reshaped({4, 1, 1, 8, 8}); // 4 arrays of the input's full shape
        try {
            openModelFor(fixed("digits_cnn_b1"), stacked);
            QFAIL("data with an extra axis was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("reshape it to [-1,1,8,8]"), e.what());
        }
        ModelGraphs hand(handCnn(1, true));
        try {
            checkDatasetFitsGraph(rampData(2), hand.forBatch(1));
            Dataset wrong = rampData(2);
            wrong.inputs = wrong.inputs.reshaped({2, 64});
            checkDatasetFitsGraph(wrong, hand.forBatch(1));
            QFAIL("[2,64] data was accepted for a [1,1,8,8] input");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("[-1,1,8,8]") && QString(e.what()).contains("'x'"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestFixedBatch)
#include "test_fixed_batch.moc"
