// ONNX import: the bundled models (structure checked against `protoc --decode` of the
// files), opset normalization on tiny hand-built models, initializer storage, external
// data, symbolic dims, and the support check.
#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/onnx/OnnxImporter.h"
#include "core/onnx/SupportCheck.h"
#include "test_onnx_import_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <map>

using namespace tessera;
using namespace tessera::testing;

namespace {

const std::string kModels = std::string(TESSERA_TEST_DATA) + "/models/";

std::map<std::string, int> opCounts(const Graph& g)
{
    std::map<std::string, int> counts;
    for (NodeId id : g.liveNodes())
        ++counts[g.node(id).opType];
    return counts;
}

ImportedModel importLenient(const OnnxModel& m)
{
    ImportOptions options;
    options.lenient = true;
    return importOnnxBytes(m.bytes(), "tiny.onnx", options);
}

const Node& onlyNode(const Graph& g, const std::string& op)
{
    for (NodeId id : g.liveNodes())
        if (g.node(id).opType == op)
            return g.node(id);
    throw Error("no " + op + " node");
}

std::vector<int64_t> constInput(const Graph& g, const Node& n, size_t i)
{
    if (!n.hasInput(i) || !g.value(n.inputs[i]).isConstant())
        throw Error("input " + std::to_string(i) + " of " + n.name + " is not a constant");
    return g.value(n.inputs[i]).constant.toInt64Vector();
}

std::vector<float> constFloats(const Graph& g, const Node& n, size_t i)
{
    if (!n.hasInput(i) || !g.value(n.inputs[i]).isConstant())
        throw Error("input " + std::to_string(i) + " of " + n.name + " is not a constant");
    return g.value(n.inputs[i]).constant.toFloatVector();
}

// Ops of a model that the registry does not know yet (kernels land separately).
QString missingOps(const std::string& path)
{
    ImportOptions options;
    options.lenient = true;
    ImportedModel m = importOnnxFile(path, options);
    QStringList ops;
    for (const auto& u : m.report.unsupported)
        if (!ops.contains(QString::fromStdString(u.opType)))
            ops << QString::fromStdString(u.opType);
    return ops.join(", ");
}

} // namespace

class TestOnnxImport : public QObject {
    Q_OBJECT
private slots:
    void bundledModelStructure_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("opset");
        QTest::addColumn<QString>("ops"); // op:count, from protoc --decode (Constant nodes become constants)
        QTest::addColumn<QString>("inputShape");
        QTest::newRow("digits_cnn") << "digits/digits_cnn.onnx" << 13 << "Conv:2 Flatten:1 Gemm:1 MaxPool:1 Relu:2" << "[1,1,8,8]";
        QTest::newRow("digits_resnet") << "digits/digits_resnet.onnx" << 13
                                       << "Add:2 AveragePool:1 BatchNormalization:1 Clip:2 Concat:1 Conv:8 Flatten:1 Gemm:1 "
                                          "GlobalAveragePool:2 MaxPool:1 Mul:1 Pad:1 Relu:7 Sigmoid:1 Softmax:1"
                                       << "[1,1,16,16]";
        QTest::newRow("mnist_lenet") << "mnist/mnist_lenet.onnx" << 13 << "Conv:2 Flatten:1 Gemm:3 MaxPool:2 Relu:4" << "[1,1,28,28]";
        QTest::newRow("mnist_mobile") << "mnist/mnist_mobile.onnx" << 13
                                      << "Add:2 Clip:4 Conv:8 Flatten:1 Gemm:1 GlobalAveragePool:1 HardSigmoid:2 Mul:2 Softmax:1"
                                      << "[1,1,28,28]";
        QTest::newRow("mnist_wide") << "mnist/mnist_wide.onnx" << 13 << "Conv:4 Flatten:1 Gemm:2 MaxPool:3 Relu:5" << "[1,1,28,28]";
        QTest::newRow("ocr_cls") << "ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" << 9
                                 << "Add:26 BatchNormalization:35 Cast:3 Clip:18 Concat:1 Conv:53 Div:18 GlobalAveragePool:10 "
                                    "HardSigmoid:9 MatMul:1 MaxPool:1 Mul:27 Relu:15 Reshape:1 Shape:1 Slice:1 Softmax:1"
                                 << "[1,3,48,192]";
        QTest::newRow("ocr_det") << "ocr/ch_PP-OCRv4_det_infer.onnx" << 11
                                 << "Add:89 BatchNormalization:3 Clip:24 Concat:1 Conv:62 ConvTranspose:2 Div:24 "
                                    "GlobalAveragePool:10 HardSigmoid:10 Mul:86 Relu:12 Resize:6 Sigmoid:1"
                                 << "[1,3,640,640]";
    }

    void bundledModelStructure()
    {
        QFETCH(QString, path);
        QFETCH(int, opset);
        QFETCH(QString, ops);
        QFETCH(QString, inputShape);
        ImportOptions options;
        options.lenient = true;
        if (path.startsWith("ocr/ch_ppocr"))
            options.inputShapes["x"] = {1, 3, 48, 192};
        if (path.startsWith("ocr/ch_PP"))
            options.inputShapes["x"] = {1, 3, 640, 640};
        ImportedModel m = importOnnxFile(kModels + path.toStdString(), options);
        QCOMPARE(m.report.opsetVersion, int64_t(opset));
        QStringList actual;
        for (const auto& [op, count] : opCounts(m.graph))
            actual << QString("%1:%2").arg(QString::fromStdString(op)).arg(count);
        QCOMPARE(actual.join(' '), ops);
        QCOMPARE(m.graph.inputs().size(), size_t(1));
        QCOMPARE(QString::fromStdString(shapeToString(m.graph.value(m.graph.inputs()[0]).shape)), inputShape);
        QCOMPARE(m.graph.outputs().size(), size_t(1));
        for (NodeId id : m.graph.liveNodes()) // weights (initializers or Constant nodes) are constants
            if (m.graph.node(id).opType == "Conv")
                QVERIFY(m.graph.value(m.graph.node(id).inputs[1]).isConstant());
    }

    void bundledModelsImportStrictWithShapes_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("outputShape");
        QTest::newRow("digits_cnn") << "digits/digits_cnn.onnx" << "[1,10]";
        QTest::newRow("digits_resnet") << "digits/digits_resnet.onnx" << "[1,10]";
        QTest::newRow("mnist_lenet") << "mnist/mnist_lenet.onnx" << "[1,10]";
        QTest::newRow("mnist_mobile") << "mnist/mnist_mobile.onnx" << "[1,10]";
        QTest::newRow("mnist_wide") << "mnist/mnist_wide.onnx" << "[1,10]";
        QTest::newRow("ocr_cls") << "ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" << "[1,2]";
        QTest::newRow("ocr_det") << "ocr/ch_PP-OCRv4_det_infer.onnx" << "[1,1,640,640]";
    }

    void bundledModelsImportStrictWithShapes()
    {
        QFETCH(QString, path);
        QFETCH(QString, outputShape);
        const std::string file = kModels + path.toStdString();
        QString missing = missingOps(file);
        if (!missing.isEmpty())
            QSKIP(qPrintable("op registry does not have: " + missing));
        ImportOptions options;
        if (path.startsWith("ocr/ch_ppocr"))
            options.inputShapes["x"] = {1, 3, 48, 192};
        if (path.startsWith("ocr/ch_PP"))
            options.inputShapes["x"] = {1, 3, 640, 640};
        ImportedModel m = importOnnxFile(file, options);
        QVERIFY(m.report.unsupported.empty());
        QCOMPARE(QString::fromStdString(shapeToString(m.graph.value(m.graph.outputs()[0]).shape)), outputShape);
        QCOMPARE(m.graph.value(m.graph.outputs()[0]).dtype, DType::Float32);
    }

    void batchFromInputShapes()
    {
        ImportOptions options;
        options.lenient = true;
        options.inputShapes["input"] = {360, 1, 8, 8};
        ImportedModel m = importOnnxFile(kModels + "digits/digits_cnn.onnx", options);
        QCOMPARE(m.graph.value(m.graph.inputs()[0]).shape, Shape({360, 1, 8, 8}));
        options.inputShapes.clear();
        options.dynamicDimValue = 7;
        m = importOnnxFile(kModels + "digits/digits_cnn.onnx", options);
        QCOMPARE(m.graph.value(m.graph.inputs()[0]).shape, Shape({7, 1, 8, 8}));
    }

    // A fixed-batch export ([1, 3] in and out): another batch is refused, unless
    // freeBatchDim lets dim 0 (and only dim 0) differ from the declared one, in and out.
    void freeBatchDimRebatchesAFixedBatch()
    {
        OnnxModel m(13);
        m.input("x", {1, 3});
        m.node("Relu", {"x"}, {"y"});
        m.output("y", {1, 3});
        ImportOptions options;
        options.inputShapes["x"] = {5, 3};
        expectError([&] { importOnnxBytes(m.bytes(), "b1.onnx", options); }, {"b1.onnx", "'x'", "dimension 1 at axis 0"});
        options.freeBatchDim = true;
        const Graph g = importOnnxBytes(m.bytes(), "b1.onnx", options).graph;
        QCOMPARE(g.value(g.outputs()[0]).shape, Shape({5, 3}));
        options.inputShapes["x"] = {5, 4}; // axis 1 stays checked
        expectError([&] { importOnnxBytes(m.bytes(), "b1.onnx", options); }, {"b1.onnx", "dimension 3 at axis 1"});
    }

    // The OCR detector's input x is declared [?, 3, ?, ?]: the report names the two spatial
    // dims it set to 1 (input, axis, symbol), not the batch.
    void defaultedDimsAreReportedAsFields()
    {
        const ImportedModel m = importOnnxFile(kModels + "ocr/ch_PP-OCRv4_det_infer.onnx");
        QCOMPARE(m.report.defaultedDims.size(), size_t(2));
        const DefaultedDim& h = m.report.defaultedDims[0];
        QCOMPARE(h.input, std::string("x"));
        QCOMPARE(h.axis, int64_t(2));
        QCOMPARE(m.report.defaultedDims[1].axis, int64_t(3));
        QCOMPARE(h.text(), "input 'x' axis 2 ('" + h.symbol + "')");
    }

    void symbolicDimWithoutValueIsAnError()
    {
        OnnxModel m(13);
        m.input("x", {kSymbolic, 3});
        m.node("Relu", {"x"}, {"y"});
        m.output("y");
        ImportOptions options;
        options.dynamicDimValue = 0;
        expectError([&] { importOnnxBytes(m.bytes(), "sym.onnx", options); }, {"sym.onnx", "'x'", "symbolic"});
        options.inputShapes["x"] = {4, 5}; // declared 3 at axis 1
        QVERIFY_THROWS_EXCEPTION(Error, importOnnxBytes(m.bytes(), "sym.onnx", options));
        options.inputShapes.clear();
        options.inputShapes["nope"] = {1, 3};
        QVERIFY_THROWS_EXCEPTION(Error, importOnnxBytes(m.bytes(), "sym.onnx", options));
    }

    void graphInputThatIsInitializerIsConstant()
    {
        OnnxModel m(9);
        m.input("x", {2});
        m.input("w", {2}); // old exporters list weights as inputs too
        m.initializer("w", {2}, {1.5f, -2.f});
        m.node("Add", {"x", "w"}, {"y"});
        m.output("y");
        ImportedModel im = importLenient(m);
        QCOMPARE(im.graph.inputs().size(), size_t(1));
        QVERIFY(im.graph.value(*im.graph.findValue("w")).isConstant());
    }

    void clipAttributesBecomeInputs()
    {
        OnnxModel m(7);
        m.input("x", {4});
        auto& n = m.node("Clip", {"x"}, {"y"}, "clip");
        addFloat(n, "min", 0.f);
        addFloat(n, "max", 6.f);
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& clip = onlyNode(im.graph, "Clip");
        QCOMPARE(clip.inputs.size(), size_t(3));
        QCOMPARE(constFloats(im.graph, clip, 1), std::vector<float>{0.f});
        QCOMPARE(constFloats(im.graph, clip, 2), std::vector<float>{6.f});
        QVERIFY(!clip.attrs.has("min") && !clip.attrs.has("max"));
        // Only max given: min stays omitted.
        OnnxModel m2(7);
        m2.input("x", {4});
        addFloat(m2.node("Clip", {"x"}, {"y"}), "max", 1.f);
        m2.output("y");
        ImportedModel im2 = importLenient(m2);
        const Node& clip2 = onlyNode(im2.graph, "Clip");
        QCOMPARE(clip2.inputs.size(), size_t(3));
        QVERIFY(!clip2.hasInput(1));
        QCOMPARE(constFloats(im2.graph, clip2, 2), std::vector<float>{1.f});
    }

    void padAttributesBecomeInputs()
    {
        OnnxModel m(7);
        m.input("x", {1, 2});
        auto& n = m.node("Pad", {"x"}, {"y"});
        addInts(n, "pads", {0, 1, 0, 2});
        addFloat(n, "value", 0.5f);
        addString(n, "mode", "constant");
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& pad = onlyNode(im.graph, "Pad");
        QCOMPARE(constInput(im.graph, pad, 1), std::vector<int64_t>({0, 1, 0, 2}));
        QCOMPARE(constFloats(im.graph, pad, 2), std::vector<float>{0.5f});
        QCOMPARE(pad.attrs.getString("mode", ""), std::string("constant"));
        QVERIFY(!pad.attrs.has("pads") && !pad.attrs.has("value"));
    }

    void sliceAttributesBecomeInputs()
    {
        OnnxModel m(9);
        m.input("x", {4, 6});
        auto& n = m.node("Slice", {"x"}, {"y"});
        addInts(n, "starts", {1});
        addInts(n, "ends", {3});
        addInts(n, "axes", {1});
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& s = onlyNode(im.graph, "Slice");
        QCOMPARE(s.inputs.size(), size_t(4));
        QCOMPARE(constInput(im.graph, s, 1), std::vector<int64_t>{1});
        QCOMPARE(constInput(im.graph, s, 2), std::vector<int64_t>{3});
        QCOMPARE(constInput(im.graph, s, 3), std::vector<int64_t>{1});
        QVERIFY(s.attrs.all().empty());
    }

    void splitSqueezeUnsqueezeAxesBecomeInputs()
    {
        OnnxModel m(11);
        m.input("x", {1, 6});
        auto& split = m.node("Split", {"x"}, {"a", "b"}, "split");
        addInt(split, "axis", 1);
        addInts(split, "split", {2, 4});
        addInts(m.node("Squeeze", {"a"}, {"sa"}, "squeeze"), "axes", {0});
        addInts(m.node("Unsqueeze", {"b"}, {"ub"}, "unsqueeze"), "axes", {0});
        m.node("Squeeze", {"b"}, {"sb"}, "squeeze_all"); // no axes: stays without input 1
        m.output("sa");
        m.output("ub");
        m.output("sb");
        ImportedModel im = importLenient(m);
        const Graph& g = im.graph;
        const Node& sp = g.node(*g.findNode("split"));
        QCOMPARE(constInput(g, sp, 1), std::vector<int64_t>({2, 4}));
        QCOMPARE(sp.attrs.getInt("axis", 0), int64_t(1));
        QCOMPARE(constInput(g, g.node(*g.findNode("squeeze")), 1), std::vector<int64_t>{0});
        QCOMPARE(constInput(g, g.node(*g.findNode("unsqueeze")), 1), std::vector<int64_t>{0});
        QCOMPARE(g.node(*g.findNode("squeeze_all")).inputs.size(), size_t(1));
        // Opset 13 forms are left alone.
        OnnxModel m13(13);
        m13.input("x", {1, 6});
        m13.initializerInt64("axes", {0});
        m13.node("Squeeze", {"x", "axes"}, {"y"});
        m13.output("y");
        ImportedModel im13 = importLenient(m13);
        QCOMPARE(constInput(im13.graph, onlyNode(im13.graph, "Squeeze"), 1), std::vector<int64_t>{0});
    }

    void reduceMeanAxesInputBecomesAttribute()
    {
        OnnxModel m(18);
        m.input("x", {2, 3, 4});
        m.initializerInt64("axes", {1, 2});
        addInt(m.node("ReduceMean", {"x", "axes"}, {"y"}), "keepdims", 0);
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& r = onlyNode(im.graph, "ReduceMean");
        QCOMPARE(r.inputs.size(), size_t(1));
        QCOMPARE(r.attrs.getInts("axes"), std::vector<int64_t>({1, 2}));
        // Computed axes cannot become an attribute.
        OnnxModel bad(18);
        bad.input("x", {2, 3});
        bad.input("axes", {1}, onnx::TensorProto::INT64);
        bad.node("ReduceMean", {"x", "axes"}, {"y"}, "rm");
        bad.output("y");
        expectError([&] { importLenient(bad); }, {"'rm'", "axes"});
    }

    void opset6BroadcastAlignsAtAxis()
    {
        OnnxModel m(6);
        m.input("x", {2, 3, 4});
        m.initializer("b", {3}, {1, 2, 3});
        auto& add = m.node("Add", {"x", "b"}, {"y"});
        addInt(add, "broadcast", 1);
        addInt(add, "axis", 1); // b's single dim lines up with x's axis 1
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& a = onlyNode(im.graph, "Add");
        QVERIFY(a.attrs.all().empty());
        QCOMPARE(im.graph.value(a.inputs[1]).shape, Shape({3, 1}));
        // A computed B cannot be reshaped at import: refused with the node named.
        OnnxModel bad(6);
        bad.input("x", {2, 3, 4});
        bad.input("b", {3});
        auto& badAdd = bad.node("Add", {"x", "b"}, {"y"}, "legacy_add");
        addInt(badAdd, "broadcast", 1);
        addInt(badAdd, "axis", 1);
        bad.output("y");
        expectError([&] { importLenient(bad); }, {"legacy_add", "opset 6"});
    }

    void resize10BecomesResize11Form()
    {
        OnnxModel m(10);
        m.input("x", {1, 1, 2, 2});
        m.initializer("scales", {4}, {1, 1, 2, 2});
        addString(m.node("Resize", {"x", "scales"}, {"y"}), "mode", "nearest");
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& r = onlyNode(im.graph, "Resize");
        QCOMPARE(r.inputs.size(), size_t(3));
        QVERIFY(!r.hasInput(1)); // roi omitted
        QCOMPARE(constFloats(im.graph, r, 2), std::vector<float>({1, 1, 2, 2}));
        QCOMPARE(r.attrs.getString("coordinate_transformation_mode", ""), std::string("asymmetric"));
        QCOMPARE(r.attrs.getString("mode", ""), std::string("nearest"));
    }

    void resize11EmptyScalesBecomeOmitted()
    {
        OnnxModel m(11);
        m.input("x", {1, 1, 2, 2});
        m.initializer("roi", {0}, {});
        m.initializer("scales", {0}, {});
        m.initializerInt64("sizes", {1, 1, 4, 4});
        m.node("Resize", {"x", "roi", "scales", "sizes"}, {"y"});
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& r = onlyNode(im.graph, "Resize");
        QCOMPARE(r.inputs.size(), size_t(4));
        QVERIFY(!r.hasInput(1) && !r.hasInput(2));
        QCOMPARE(constInput(im.graph, r, 3), std::vector<int64_t>({1, 1, 4, 4}));
    }

    void upsampleBecomesResize()
    {
        OnnxModel m7(7);
        m7.input("x", {1, 1, 2, 2});
        auto& n = m7.node("Upsample", {"x"}, {"y"});
        addFloats(n, "scales", {1, 1, 2, 2});
        addString(n, "mode", "nearest");
        m7.output("y");
        ImportedModel im7 = importLenient(m7);
        const Node& r = onlyNode(im7.graph, "Resize");
        QCOMPARE(constFloats(im7.graph, r, 2), std::vector<float>({1, 1, 2, 2}));
        QCOMPARE(r.attrs.getString("nearest_mode", ""), std::string("floor"));

        OnnxModel m9(9);
        m9.input("x", {1, 1, 2, 2});
        m9.initializer("s", {4}, {1, 1, 3, 3});
        addString(m9.node("Upsample", {"x", "s"}, {"y"}), "mode", "linear");
        m9.output("y");
        ImportedModel im9 = importLenient(m9);
        const Node& r9 = onlyNode(im9.graph, "Resize");
        QCOMPARE(constFloats(im9.graph, r9, 2), std::vector<float>({1, 1, 3, 3}));
        QCOMPARE(r9.attrs.getString("mode", ""), std::string("linear"));
    }

    void legacyFlagsDroppedAndSoftmaxOpsetRecorded()
    {
        OnnxModel m(7);
        m.input("x", {1, 2, 1, 1});
        for (const char* p : {"s", "b", "mean", "var"})
            m.initializer(p, {2}, {1, 0});
        auto& bn = m.node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"bn"});
        addInt(bn, "spatial", 1);
        addInt(bn, "is_test", 1);
        addInts(bn, "consumed_inputs", {0, 0, 0, 1, 1});
        addInt(m.node("Dropout", {"bn"}, {"d"}), "is_test", 1);
        addInt(m.node("Softmax", {"d"}, {"y"}), "axis", 1);
        m.output("y");
        ImportedModel im = importLenient(m);
        const Node& b = onlyNode(im.graph, "BatchNormalization");
        QVERIFY(!b.attrs.has("spatial") && !b.attrs.has("is_test") && !b.attrs.has("consumed_inputs"));
        QVERIFY(!onlyNode(im.graph, "Dropout").attrs.has("is_test"));
        const Node& sm = onlyNode(im.graph, "Softmax");
        QCOMPARE(sm.attrs.getInt("onnx_opset", 0), int64_t(7));
        QCOMPARE(sm.attrs.getInt("axis", 0), int64_t(1));
        QVERIFY(!b.attrs.has("onnx_opset")); // only Softmax/LogSoftmax carry it
    }

    void constantNodesBecomeConstants()
    {
        OnnxModel m(13);
        m.input("x", {3});
        auto& c1 = m.node("Constant", {}, {"c_tensor"});
        auto* a = c1.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        OnnxModel::fillFloat(*a->mutable_t(), "", {3}, {1, 2, 3});
        addFloat(m.node("Constant", {}, {"c_float"}), "value_float", 2.5f);
        addInts(m.node("Constant", {}, {"c_ints"}), "value_ints", {4, 5});
        addInt(m.node("Constant", {}, {"c_int"}), "value_int", 9);
        addFloats(m.node("Constant", {}, {"c_floats"}), "value_floats", {0.25f});
        m.node("Add", {"x", "c_tensor"}, {"s1"});
        m.node("Mul", {"s1", "c_float"}, {"s2"});
        m.node("Add", {"s2", "c_floats"}, {"y"});
        m.node("Concat", {"c_ints", "c_int"}, {"z"}); // keeps the int constants alive
        m.output("y");
        m.output("z");
        ImportedModel im = importLenient(m);
        const Graph& g = im.graph;
        QCOMPARE(opCounts(g).count("Constant"), size_t(0));
        QCOMPARE(g.value(*g.findValue("c_tensor")).constant.toFloatVector(), std::vector<float>({1, 2, 3}));
        QCOMPARE(g.value(*g.findValue("c_float")).constant.shape(), Shape{});
        QCOMPARE(g.value(*g.findValue("c_float")).constant.toFloatVector(), std::vector<float>{2.5f});
        QCOMPARE(g.value(*g.findValue("c_ints")).constant.toInt64Vector(), std::vector<int64_t>({4, 5}));
        QCOMPARE(g.value(*g.findValue("c_int")).constant.dtype(), DType::Int64);
        QCOMPARE(g.value(*g.findValue("c_floats")).constant.shape(), Shape{1});
    }

    void initializerStorage()
    {
        OnnxModel m(13);
        m.input("x", {2});
        m.initializer("raw", {2}, {1.f, 2.f});
        auto* typed = m.graph().add_initializer(); // float_data: copied
        typed->set_name("typed");
        typed->set_data_type(onnx::TensorProto::FLOAT);
        typed->add_dims(2);
        typed->add_float_data(3.f);
        typed->add_float_data(4.f);
        auto* half = m.graph().add_initializer(); // float16 -> float32
        half->set_name("half");
        half->set_data_type(onnx::TensorProto::FLOAT16);
        half->add_dims(2);
        half->add_int32_data(0x3c00); // 1.0
        half->add_int32_data(0xc100); // -2.5
        auto* i8 = m.graph().add_initializer();
        i8->set_name("i8");
        i8->set_data_type(onnx::TensorProto::INT8);
        i8->add_dims(2);
        i8->add_int32_data(-7);
        i8->add_int32_data(100);
        m.node("Add", {"x", "raw"}, {"a"});
        m.node("Add", {"a", "typed"}, {"b"});
        m.node("Add", {"b", "half"}, {"y"});
        m.node("Identity", {"i8"}, {"z"});
        m.output("y");
        m.output("z");
        ImportedModel im = importLenient(m);
        const Graph& g = im.graph;
        const Tensor& raw = g.value(*g.findValue("raw")).constant;
        QVERIFY(raw.isReadOnly()); // wrapped, not copied (protobuf strings are heap-aligned)
        QCOMPARE(raw.toFloatVector(), std::vector<float>({1, 2}));
        QCOMPARE(g.value(*g.findValue("typed")).constant.toFloatVector(), std::vector<float>({3, 4}));
        const Tensor& h = g.value(*g.findValue("half")).constant;
        QCOMPARE(h.dtype(), DType::Float32);
        QCOMPARE(h.toFloatVector(), std::vector<float>({1.f, -2.5f}));
        // Identity of a constant is folded into it: the graph output z holds i8's data.
        QCOMPARE(g.value(*g.findValue("z")).constant.toInt64Vector(), std::vector<int64_t>({-7, 100}));
    }

    void externalDataIsReadInsideModelDir()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string base = dir.path().toStdString();
        {
            std::ofstream data(base + "/weights.bin", std::ios::binary);
            float pad = 0, w[2] = {0.5f, 8.f};
            data.write(reinterpret_cast<const char*>(&pad), 4);
            data.write(reinterpret_cast<const char*>(w), 8);
        }
        OnnxModel m(13);
        m.input("x", {2});
        m.externalInitializer("w", {2}, {{"location", "weights.bin"}, {"offset", "4"}, {"length", "8"}});
        m.node("Mul", {"x", "w"}, {"y"});
        m.output("y");
        {
            std::ofstream f(base + "/model.onnx", std::ios::binary);
            f << m.bytes();
        }
        ImportedModel im = importOnnxFile(base + "/model.onnx");
        QCOMPARE(im.graph.value(*im.graph.findValue("w")).constant.toFloatVector(), std::vector<float>({0.5f, 8.f}));
        // importOnnxBytes without a base dir refuses external data.
        QVERIFY_THROWS_EXCEPTION(Error, importOnnxBytes(m.bytes(), "mem.onnx"));
    }

    void readTensorProtoFromBackendData()
    {
        // test_relu: input_0 is float32 [3,4,5]; output_0 = max(input_0, 0).
        const std::string dir = std::string(ONNX_TESTDATA_DIR) + "/node/test_relu/test_data_set_0/";
        Tensor in = readTensorProtoFile(dir + "input_0.pb");
        Tensor out = readTensorProtoFile(dir + "output_0.pb");
        QCOMPARE(in.shape(), Shape({3, 4, 5}));
        QCOMPARE(in.dtype(), DType::Float32);
        std::vector<float> x = in.toFloatVector(), y = out.toFloatVector();
        for (size_t i = 0; i < x.size(); ++i)
            QCOMPARE(y[i], std::max(x[i], 0.f));
        Tensor b = readTensorProtoFile(std::string(ONNX_TESTDATA_DIR) + "/node/test_and2d/test_data_set_0/input_0.pb");
        QCOMPARE(b.dtype(), DType::Bool);
        QCOMPARE(b.shape(), Shape({3, 4}));
        QVERIFY_THROWS_EXCEPTION(Error, readTensorProtoFile(dir + "missing.pb"));
    }

    void lenientKeepsUnknownOpsAndReportsThem()
    {
        OnnxModel m(13);
        m.input("x", {2});
        m.node("FancyOp", {"x"}, {"h"}, "fancy");
        m.node("Relu", {"h"}, {"y"});
        m.output("y");
        ImportedModel im = importLenient(m);
        QCOMPARE(im.report.unsupported.size(), size_t(1));
        QCOMPARE(im.report.unsupported[0].nodeName, std::string("fancy"));
        QCOMPARE(im.graph.node(*im.graph.findNode("fancy")).op, nullptr);
    }

    void supportCheckOnSilero()
    {
        SupportReport r = checkSupport(kModels + "unsupported/silero_vad_legacy.onnx");
        QVERIFY(!r.fullySupported());
        QStringList ops;
        for (const NodeSupport& n : r.nodes)
            if (n.placement == Placement::Unsupported)
                ops << QString::fromStdString(n.opType);
        QVERIFY(ops.contains("LSTM"));
        QVERIFY(ops.contains("If"));
        QString text = QString::fromStdString(formatSupportReport(r));
        QVERIFY(text.contains("recurrent layers are not supported"));
        QVERIFY(text.contains("control flow"));
    }

    void supportCheckPlacesMatmulsAnalog()
    {
        const std::string file = kModels + "digits/digits_cnn.onnx";
        if (!missingOps(file).isEmpty())
            QSKIP(qPrintable("op registry does not have: " + missingOps(file)));
        SupportReport r = checkSupport(file);
        QVERIFY(r.fullySupported());
        QCOMPARE(r.nodes.size(), size_t(7));
        QCOMPARE(r.count(Placement::Analog), size_t(3)); // 2 Conv + 1 Gemm with constant weights
        QCOMPARE(r.count(Placement::Digital), size_t(4));
    }
};

QTEST_APPLESS_MAIN(TestOnnxImport)
#include "test_onnx_import.moc"
