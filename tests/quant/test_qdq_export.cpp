// QDQ ONNX export (quant/QdqExport.h) and the generic ONNX exporter (core/onnx/OnnxExporter.h).
//  - QuantizeLinear/DequantizeLinear rows: hand-computed cases (the ONNX backend node tests
//    run them too, in test_onnx_conformance).
//  - Structure of the export of mnist_lenet (shipped quant JSON, 32-bit ADCs): per-channel
//    int8 weights equal to round-half-even(W / sw) computed here, zero points 0, one QDQ
//    per quantized tensor with its scale and signedness.
//  - Our FP32 executor on the re-imported export agrees with the quantized executor within
//    1 LSB; ONNX Runtime's output on the export (shipped, made by bench/ort/run-ort.js, see
//    tests/data/LICENSES.md) agrees with the quantized executor within 1 LSB.
//  - Exporter round trip: import -> export -> import gives the same FP32 outputs.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/analog/AnalogLowering.h"
#include "core/io/Npy.h"
#include "core/onnx/OnnxExporter.h"
#include "core/onnx/OnnxImporter.h"
#include "quant/Calibrator.h"
#include "quant/Dataset.h"
#include "quant/QdqExport.h"
#include "quant/QuantizedExecutor.h"

#include <QtTest>

#include <cfenv>
#include <cmath>
#include <filesystem>
#include <map>

using namespace tessera;
using namespace tessera::quant;

namespace {

// 1 LSB, plus float rounding of code * scale (float32 scales in the file, double in the
// quantized executor): up to ~0.002 LSB for 16-bit codes.
constexpr double kOneLsb = 1.01;

std::string data(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/" + file; }
std::string mnist(const std::string& file) { return data("models/mnist/" + file); }

Graph reimport(const Graph& g)
{
    return importOnnxBytes(exportOnnxBytes(g), "export of " + g.name).graph;
}

Tensor runFp32(const Graph& g, const Tensor& x) { return Executor(g).run({x})[0]; }

// Max |a - b| / scale.
double maxLsbDiff(const Tensor& a, const Tensor& b, double scale)
{
    double worst = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i)
        worst = std::max(worst, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]) / scale);
    return worst;
}

std::vector<const Node*> nodesOf(const Graph& g, const std::string& opType)
{
    std::vector<const Node*> out;
    for (NodeId id : g.liveNodes())
        if (g.node(id).opType == opType)
            out.push_back(&g.node(id));
    return out;
}

const Node* producerOf(const Graph& g, ValueId v)
{
    return g.value(v).producer == kNoNode ? nullptr : &g.node(g.value(v).producer);
}

// Every quantized tensor of a run: the quantized executor's vs the FP32 executor's on the
// QDQ graph (same names), in LSBs of that tensor's own scale.
struct TensorAgreement {
    double worstLsb = 0.0;
    std::string worstTensor;
    double worst8BitLsb = 0.0; // over tensors of <= 8 bits
    int64_t differingCodes = 0, codes = 0;
};

TensorAgreement compareTensors(const Graph& g, const QuantSpec& r, const Graph& qdq, const Tensor& x)
{
    std::map<std::string, Tensor> ours, theirs;
    auto recorder = [](const Graph& graph, std::map<std::string, Tensor>& into) {
        return [&graph, &into](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
            for (size_t i = 0; i < outs.size(); ++i)
                into[graph.value(node.outputs[i]).name] = outs[i]->clone();
        };
    };
    QuantizedExecutor(g, r).run({x}, recorder(g, ours));
    Executor(qdq).run({x}, recorder(qdq, theirs));
    TensorAgreement a;
    for (const auto& [name, t] : ours) {
        const TensorQuant* q = r.findTensor(name);
        if (!q || !q->quantized || !theirs.count(name))
            continue;
        const Tensor& o = theirs.at(name);
        for (int64_t i = 0; i < t.numel(); ++i) {
            const double d = std::fabs(double(t.data<float>()[i]) - o.data<float>()[i]) / q->scale;
            a.differingCodes += d > 0.5;
            if (q->bits <= 8)
                a.worst8BitLsb = std::max(a.worst8BitLsb, d);
            if (d > a.worstLsb) {
                a.worstLsb = d;
                a.worstTensor = name;
            }
        }
        a.codes += t.numel();
    }
    return a;
}

// x[N, 8] -> MatMul with a constant [8, 6] -> Relu -> output: a MatMul analog layer
// (weights [K, N], per-channel axis 1). Values from a fixed LCG.
Graph matmulGraph(int64_t rows)
{
    uint32_t state = 7;
    auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return static_cast<float>((state >> 8) & 0xffff) / 32768.0f - 1.0f;
    };
    std::vector<float> w(48);
    for (float& v : w)
        v = next();
    Graph g;
    g.name = "matmul";
    const ValueId x = g.addValue("x", DType::Float32, {rows, 8});
    g.markGraphInput(x);
    const ValueId b = g.addConstant("B", Tensor::fromVector<float>(w, {8, 6}));
    const ValueId h = g.addValue("h"), y = g.addValue("y");
    g.addNode("mm", "MatMul", {x, b}, {h});
    g.addNode("act", "Relu", {h}, {y});
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

Tensor lcgData(const Shape& shape)
{
    Tensor t(DType::Float32, shape);
    uint32_t state = 11;
    for (int64_t i = 0; i < t.numel(); ++i) {
        state = state * 1103515245u + 12345u;
        t.mutableData<float>()[i] = static_cast<float>((state >> 8) & 0xffff) / 16384.0f - 2.0f;
    }
    return t;
}

Tensor runNode(const std::string& opType, std::vector<Tensor> inputs, Attributes attrs = {})
{
    Graph g;
    std::vector<ValueId> ins;
    for (size_t i = 0; i < inputs.size(); ++i)
        ins.push_back(g.addConstant("in" + std::to_string(i), inputs[i]));
    const ValueId out = g.addValue("out");
    g.addNode("n", opType, ins, {out}, std::move(attrs));
    g.markGraphOutput(out);
    inferShapes(g);
    return Executor(g).run({})[0];
}

} // namespace

class TestQdqExport : public QObject {
    Q_OBJECT
private slots:
    // Round half to even, saturation to the full int8 range (-128), per-axis scales.
    void quantizeLinearHandCases()
    {
        const Tensor x = Tensor::fromVector<float>({0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -300.f, 300.f}, {7});
        const Tensor q = runNode("QuantizeLinear", {x, Tensor::scalar<float>(1.f), Tensor::scalar<int8_t>(0)});
        const std::vector<int64_t> want = {0, 2, 2, 0, -2, -128, 127};
        QCOMPARE(q.toInt64Vector(), want);
        const Tensor u = runNode("QuantizeLinear", {x, Tensor::scalar<float>(0.5f)}); // uint8 by default
        QCOMPARE(u.toInt64Vector(), (std::vector<int64_t>{1, 3, 5, 0, 0, 0, 255}));
        // Per axis 0 on [2, 2]: row 0 at scale 1, row 1 at scale 4 with zero point 10.
        Attributes axis0;
        axis0.set("axis", int64_t(0));
        const Tensor codes = Tensor::fromVector<uint8_t>({3, 4, 10, 12}, {2, 2});
        const Tensor y = runNode("DequantizeLinear",
                                 {codes, Tensor::fromVector<float>({1.f, 4.f}, {2}), Tensor::fromVector<uint8_t>({0, 10}, {2})},
                                 axis0);
        QCOMPARE(y.toFloatVector(), (std::vector<float>{3.f, 4.f, 0.f, 8.f}));
        const Tensor bias = runNode("DequantizeLinear", {Tensor::fromVector<int32_t>({-7, 100000}, {2}),
                                                         Tensor::fromVector<float>({0.5f, 0.25f}, {2})}, axis0);
        QCOMPARE(bias.toFloatVector(), (std::vector<float>{-3.5f, 25000.f}));
    }

    void exportStructure()
    {
        const QuantSpec r = readQuantSpec(data("quant/mnist_lenet_adc32.json"));
        ModelGraphs model(mnist("mnist_lenet.onnx"), {16, 1, 28, 28});
        prepareModel(model, r);
        const Graph& g = model.forBatch(16);
        QdqExportSummary summary;
        const Graph q = reimport(buildQdqGraph(g, r, &summary));
        QCOMPARE(summary.analogLayers, int(r.layers.size()));
        QVERIFY2(summary.warnings.empty(), summary.warnings.empty() ? "" : summary.warnings[0].c_str());

        // One QuantizeLinear per quantized (non-wide) tensor, with its scale and type.
        int expectedQ = 0;
        for (const auto& [name, t] : r.tensors)
            expectedQ += t.quantized && t.bits <= 8 && g.findValue(name);
        QCOMPARE(int(nodesOf(q, "QuantizeLinear").size()), expectedQ);
        for (const Node* n : nodesOf(q, "QuantizeLinear")) {
            const std::string tensor = q.value(n->outputs[0]).name.substr(0, q.value(n->outputs[0]).name.rfind("_quantized"));
            const TensorQuant* t = r.findTensor(tensor);
            QVERIFY2(t, tensor.c_str());
            QCOMPARE(q.value(n->inputs[1]).constant.data<float>()[0], static_cast<float>(t->scale));
            const Tensor& zp = q.value(n->inputs[2]).constant;
            QCOMPARE(zp.dtype(), t->isSigned ? DType::Int8 : DType::UInt8);
            QCOMPARE(zp.valueAsInt(0), int64_t(0));
        }

        // Analog layers: DQ(int8 levels, per-channel scales, axis 0) and DQ(int32 bias).
        for (const LayerQuant& l : r.layers) {
            const Node& layer = q.node(*q.findNode(l.node));
            const Node* wdq = producerOf(q, layer.inputs[1]);
            QVERIFY2(wdq && wdq->opType == "DequantizeLinear", l.node.c_str());
            QCOMPARE(wdq->attrs.getInt("axis", 1), int64_t(0));
            const Tensor& levels = q.value(wdq->inputs[0]).constant;
            const Tensor& scales = q.value(wdq->inputs[1]).constant;
            QCOMPARE(levels.dtype(), DType::Int8);
            QCOMPARE(scales.numel(), l.cols);
            for (int64_t i = 0; i < q.value(wdq->inputs[2]).constant.numel(); ++i)
                QCOMPARE(q.value(wdq->inputs[2]).constant.valueAsInt(i), int64_t(0));
            // Levels = saturate(round-half-even(W / sw)), computed independently here.
            const analog::AnalogMatmulView view = analog::lowerAnalogNode(g, g.node(*g.findNode(l.node)));
            const int qmax = (1 << (l.weightBits - 1)) - 1;
            QCOMPARE(std::fegetround(), FE_TONEAREST);
            for (int64_t n = 0; n < l.cols; ++n)
                for (int64_t k = 0; k < l.rows; ++k) {
                    const double level = std::nearbyint(view.weights[n * l.rows + k] / l.weightScales[n]);
                    QCOMPARE(levels.valueAsInt(n * l.rows + k), int64_t(std::clamp<double>(level, -qmax, qmax)));
                }
            const Node* bdq = producerOf(q, layer.inputs[2]);
            QVERIFY2(bdq && bdq->opType == "DequantizeLinear", l.node.c_str());
            QCOMPARE(q.value(bdq->inputs[0]).constant.dtype(), DType::Int32);
            const double sx = r.findTensor(l.input)->scale;
            QCOMPARE(q.value(bdq->inputs[1]).constant.data<float>()[0], static_cast<float>(sx * l.weightScales[0]));
        }
        // The lenet convs/FCs are fused with ReLU: explicit Relu nodes in the file.
        QVERIFY(!nodesOf(q, "Relu").empty());
        for (NodeId id : q.liveNodes()) // no Tessera-internal attribute reaches the file
            QVERIFY(!q.node(id).attrs.has("fused_activation"));
    }

    void fp32OnExportMatchesQuantizedExecutor_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<bool>("outputWithinOneLsb");
        QTest::newRow("mnist_lenet") << "mnist_lenet" << true;
        // Float evaluation of a QDQ graph (ours, or ONNX Runtime with optimizations off)
        // rounds float sums, so values within ~1e-5 of a rounding boundary can land on the
        // neighbouring code: here 750 of 1.1M 8-bit codes (each off by 1 LSB), which move
        // the 16-bit logits by up to 12 of their much finer LSBs. ONNX Runtime's integer
        // kernels agree exactly (ortOnExportMatchesQuantizedExecutor).
        QTest::newRow("mnist_wide") << "mnist_wide" << false;
    }

    // Our FP32 executor on the re-imported QDQ file vs the integer analog model: every
    // activation tensor within 1 LSB of its own scale, nearly all codes equal.
    void fp32OnExportMatchesQuantizedExecutor()
    {
        QFETCH(QString, model);
        QFETCH(bool, outputWithinOneLsb);
        const std::string name = model.toStdString();
        const QuantSpec r = readQuantSpec(data("quant/" + name + "_adc32.json"));
        ModelGraphs graphs(mnist(name + ".onnx"), {16, 1, 28, 28});
        prepareModel(graphs, r);
        const Graph& g = graphs.forBatch(16);
        const Tensor x = readNpy(mnist("mnist_test_x16.npy"));
        const Graph qdq = reimport(buildQdqGraph(g, r));
        const TensorAgreement t = compareTensors(g, r, qdq, x);
        const TensorQuant* out = r.findTensor(g.value(g.outputs()[0]).name);
        QVERIFY(out && out->quantized && out->bits > 8);
        const double outputLsb = maxLsbDiff(QuantizedExecutor(g, r).run({x})[0], runFp32(qdq, x), out->scale);
        qInfo("%s: FP32 executor on the QDQ export vs quantized executor: output max %.4g LSB; all tensors: %lld of "
              "%lld codes differ, worst %.4g LSB in '%s'; 8-bit tensors worst %.4g LSB", name.c_str(), outputLsb,
              (long long)t.differingCodes, (long long)t.codes, t.worstLsb, t.worstTensor.c_str(), t.worst8BitLsb);
        QVERIFY(t.worst8BitLsb <= kOneLsb);
        QVERIFY(t.differingCodes * 1000 <= t.codes); // <= 0.1%
        if (outputWithinOneLsb)
            QVERIFY(outputLsb <= kOneLsb);
    }

    void ortOnExportMatchesQuantizedExecutor_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("mnist_lenet") << "mnist_lenet";
        QTest::newRow("mnist_wide") << "mnist_wide";
    }

    // ONNX Runtime 1.30 ran the export of the shipped JSON (tests/data/LICENSES.md).
    void ortOnExportMatchesQuantizedExecutor()
    {
        QFETCH(QString, model);
        const std::string name = model.toStdString();
        const QuantSpec r = readQuantSpec(data("quant/" + name + "_adc32.json"));
        ModelGraphs graphs(mnist(name + ".onnx"), {16, 1, 28, 28});
        prepareModel(graphs, r);
        const Graph& g = graphs.forBatch(16);
        const Tensor ours = QuantizedExecutor(g, r).run({readNpy(mnist("mnist_test_x16.npy"))})[0];
        const Tensor ort = readNpy(mnist(name + "_qdq_ort16.npy"));
        QCOMPARE(ort.shape(), ours.shape());
        const double lsb = maxLsbDiff(ours, ort, r.findTensor(g.value(g.outputs()[0]).name)->scale);
        qInfo("%s: ONNX Runtime on the QDQ export vs quantized executor: max %.4g LSB", name.c_str(), lsb);
        QVERIFY(lsb <= kOneLsb);
    }

    // What QDQ cannot express is reported, and a result for another model is refused.
    void warningsAndErrors()
    {
        QuantSpec r = readQuantSpec(data("quant/mnist_lenet_adc32.json"));
        ModelGraphs model(mnist("mnist_lenet.onnx"), {1, 1, 28, 28});
        prepareModel(model, r);
        const Graph& g = model.forBatch(1);
        r.layers[0].adcBits = 6;
        r.config.nonIdealities.readNoise = 0.01;
        QdqExportSummary summary;
        buildQdqGraph(g, r, &summary);
        QCOMPARE(int(summary.warnings.size()), 2);
        QVERIFY(QString::fromStdString(summary.warnings[1]).contains(QString::fromStdString(r.layers[0].node)));
        r.layers[0].node = "no_such_conv";
        try {
            buildQdqGraph(g, r);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("no_such_conv"), e.what());
        }
        const std::string bad = (std::filesystem::temp_directory_path() / "no_such_dir_qdq" / "x.onnx").string();
        try {
            exportQdqOnnx(g, readQuantSpec(data("quant/mnist_lenet_adc32.json")), bad);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("no_such_dir_qdq"), e.what());
        }
    }

    void calibratedModelsAgree_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("bits");
        QTest::addColumn<double>("maxLsb");
        // Depthwise convs, signed (clipped) tensors, 16-bit tensors, a Softmax. Evaluated in
        // float, a code flipped at a rounding near-tie shifts what reads it by a fraction of
        // an LSB, so where two such shifts add up a downstream 8-bit code is off by 2.
        QTest::newRow("mnist_mobile 8-bit") << "mnist_mobile" << 8 << 2.0;
        QTest::newRow("matmul 8-bit") << "matmul" << 8 << 1.0;
        QTest::newRow("matmul 4-bit") << "matmul" << 4 << 1.0; // < 8 bits: Clip to the code range
    }

    // Calibrated here (32-bit ADCs, current defaults): our FP32 executor on the export vs
    // the quantized executor, every quantized tensor: nearly all codes equal.
    void calibratedModelsAgree()
    {
        QFETCH(QString, model);
        QFETCH(int, bits);
        QFETCH(double, maxLsb);
        const bool mnistModel = model.startsWith("mnist");
        ModelGraphs graphs = mnistModel ? ModelGraphs(mnist(model.toStdString() + ".onnx"), {16, 1, 28, 28})
                                        : ModelGraphs(matmulGraph(16));
        Dataset calib;
        calib.inputs = mnistModel ? sliceRows(readNpy(mnist("mnist_calib_x.npy")), 0, 256) : lcgData({64, 8});
        QuantConfig config;
        config.adcBits = 32;
        config.activationBits = bits;
        config.weightBits = bits;
        const QuantSpec r = calibrate(graphs, calib, config);
        const Graph& g = graphs.forBatch(16);
        QdqExportSummary summary;
        const Graph qdq = reimport(buildQdqGraph(g, r, &summary));
        QVERIFY2(summary.warnings.empty(), summary.warnings.empty() ? "" : summary.warnings[0].c_str());
        const Tensor x = mnistModel ? readNpy(mnist("mnist_test_x16.npy")) : lcgData({16, 8});
        const TensorAgreement t = compareTensors(g, r, qdq, x);
        qInfo("%s: %lld of %lld codes differ, worst %.4g LSB in '%s' (8-bit tensors: %.4g); %d tensors with a "
              "code-range Clip", qPrintable(model), (long long)t.differingCodes, (long long)t.codes, t.worstLsb,
              t.worstTensor.c_str(), t.worst8BitLsb, summary.clippedTensors);
        QVERIFY(t.worst8BitLsb <= maxLsb * kOneLsb);
        // At most 0.2% of codes differ (mnist_mobile with offset codes: 0.12%; every 8-bit code
        // within 2 LSB, the check above).
        QVERIFY(t.differingCodes * 500 <= t.codes);
        if (bits < 8 || mnistModel)
            QVERIFY(summary.clippedTensors > 0);
        if (!mnistModel) { // MatMul's B is [K, N]: per-channel along axis 1
            const Node* wdq = producerOf(qdq, qdq.node(*qdq.findNode("mm")).inputs[1]);
            QVERIFY(wdq && wdq->opType == "DequantizeLinear");
            QCOMPARE(wdq->attrs.getInt("axis", 1), int64_t(1));
            QCOMPARE(qdq.value(wdq->inputs[0]).shape, (Shape{8, 6}));
        }
    }

    void exporterRoundTrip_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("input");
        QTest::newRow("mnist_lenet") << "models/mnist/mnist_lenet.onnx" << "models/mnist/mnist_test_x16.npy";
        QTest::newRow("mnist_wide") << "models/mnist/mnist_wide.onnx" << "models/mnist/mnist_test_x16.npy";
        QTest::newRow("mnist_mobile") << "models/mnist/mnist_mobile.onnx" << "models/mnist/mnist_test_x16.npy";
        QTest::newRow("digits_cnn") << "models/digits/digits_cnn.onnx" << "models/digits/digits_test_x8.npy";
        QTest::newRow("digits_resnet") << "models/digits/digits_resnet.onnx" << "models/digits/digits_test_x16.npy";
        QTest::newRow("ocr_cls") << "models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" << "models/ocr/cls_in.npy";
    }

    // import (cleanup passes: fused activations, folded BN) -> export -> import: same outputs.
    void exporterRoundTrip()
    {
        QFETCH(QString, model);
        QFETCH(QString, input);
        const Tensor x = readNpy(data(input.toStdString())).castTo(DType::Float32);
        ImportOptions options;
        options.runCleanupPasses = true;
        const Graph probe = importOnnxFile(data(model.toStdString()), ImportOptions{{}, 1, true}).graph;
        options.inputShapes[probe.value(probe.inputs()[0]).name] = x.shape();
        const Graph g = importOnnxFile(data(model.toStdString()), options).graph;
        const Graph back = reimport(g);
        QCOMPARE(back.value(back.inputs()[0]).name, g.value(g.inputs()[0]).name);
        QCOMPARE(back.value(back.outputs()[0]).name, g.value(g.outputs()[0]).name);
        const Tensor a = runFp32(g, x), b = runFp32(back, x);
        QCOMPARE(a.shape(), b.shape());
        float worst = 0.f;
        for (int64_t i = 0; i < a.numel(); ++i)
            worst = std::max(worst, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
        QVERIFY2(worst <= 1e-6f, qPrintable(QString::number(worst)));
    }

    // Opset-11 Softmax over a non-last axis flattens: exported as Flatten/Softmax/Reshape.
    void legacySoftmaxRoundTrip()
    {
        Graph g;
        g.name = "legacy_softmax";
        const ValueId x = g.addValue("x", DType::Float32, {2, 3, 2});
        g.markGraphInput(x);
        const ValueId y = g.addValue("y");
        Attributes attrs;
        attrs.set("axis", int64_t(1));
        attrs.set("onnx_opset", int64_t(11));
        g.addNode("softmax", "Softmax", {x}, {y}, attrs);
        g.markGraphOutput(y);
        inferShapes(g);
        const Tensor in = Tensor::fromVector<float>({0, 1, 2, 3, 4, 5, -1, -2, 0, 0, 1, 1}, {2, 3, 2});
        const Graph back = reimport(g);
        QCOMPARE(int(nodesOf(back, "Flatten").size()), 1);
        // Hand-computed: each batch row's 6 values share one softmax.
        const Tensor out = runFp32(back, in);
        double sum = 0.0;
        for (int i = 0; i < 6; ++i)
            sum += std::exp(double(i));
        QVERIFY(std::fabs(out.data<float>()[5] - std::exp(5.0) / sum) < 1e-6);
        QCOMPARE(out.shape(), (Shape{2, 3, 2}));
        QVERIFY(maxLsbDiff(runFp32(g, in), out, 1.0) < 1e-6);
    }
};

QTEST_APPLESS_MAIN(TestQdqExport)
#include "test_qdq_export.moc"
