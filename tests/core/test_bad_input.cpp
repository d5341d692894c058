// Every malformed model must end in a tessera::Error that names the file (and the node or
// tensor at fault) — never a crash, an abort, or a huge allocation.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/onnx/OnnxImporter.h"
#include "core/onnx/SupportCheck.h"
#include "core/io/FileIO.h"
#include "test_onnx_import_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <random>

using namespace tessera;
using namespace tessera::testing;

namespace {

const std::string kModels = std::string(TESSERA_TEST_DATA) + "/models/";

void expectBytesError(const OnnxModel& m, const QStringList& parts)
{
    expectError([&] { importOnnxBytes(m.bytes(), "bad.onnx"); }, QStringList{"bad.onnx"} + parts);
}

// A 3x3 Conv over [1,1,8,8] with every pad `pad`, 4 output channels.
OnnxModel paddedConv(int64_t pad)
{
    OnnxModel m(13);
    m.input("x", {1, 1, 8, 8});
    m.initializer("w", {4, 1, 3, 3}, std::vector<float>(36, 0.5f));
    addInts(m.node("Conv", {"x", "w"}, {"y"}, "conv_pad"), "pads", {pad, pad, pad, pad});
    m.output("y");
    return m;
}

OnnxModel reluModel()
{
    OnnxModel m(13);
    m.input("x", {1, 4});
    m.node("Relu", {"x"}, {"y"}, "relu");
    m.output("y");
    return m;
}

} // namespace

class TestBadInput : public QObject {
    Q_OBJECT
private slots:
    void missingFile()
    {
        expectError([] { importOnnxFile("/nonexistent/dir/model.onnx"); }, {"/nonexistent/dir/model.onnx", "not found"});
        expectError([] { importOnnxFile(TESSERA_TEST_DATA); }, {"directory"});
    }

    void emptyFile()
    {
        expectError([] { importOnnxBytes("", "empty.onnx"); }, {"empty.onnx", "empty"});
    }

    void truncatedFile()
    {
        const std::string bytes = readFileBytes(kModels + "digits/digits_cnn.onnx");
        for (size_t cut : {bytes.size() / 2, bytes.size() - 3, size_t(17)})
            expectError([&] { importOnnxBytes(bytes.substr(0, cut), "digits_cnn.onnx"); }, {"digits_cnn.onnx"});
    }

    void randomBytes()
    {
        std::mt19937 rng(1234);
        for (int round = 0; round < 20; ++round) {
            std::string bytes(1 + rng() % 4096, '\0');
            for (char& c : bytes)
                c = static_cast<char>(rng());
            expectError([&] { importOnnxBytes(bytes, "noise.onnx"); }, {"noise.onnx"});
        }
    }

    void otherProtobufIsNotAModel()
    {
        // A serialized TensorProto from the ONNX backend data parses as protobuf but is no model.
        const std::string path = std::string(ONNX_TESTDATA_DIR) + "/node/test_relu/test_data_set_0/input_0.pb";
        expectError([&] { importOnnxFile(path); }, {"input_0.pb"});
        // And a model file is not a TensorProto.
        expectError([] { readTensorProtoFile(kModels + "digits/digits_cnn.onnx"); }, {"digits_cnn.onnx"});
    }

    void emptyGraph()
    {
        OnnxModel m(13);
        m.input("x", {1});
        m.output("x");
        expectBytesError(m, {"no nodes"});
    }

    void unsupportedOpset()
    {
        OnnxModel m = reluModel();
        m.proto().mutable_opset_import(0)->set_version(0);
        expectBytesError(m, {"opset 0"});
        // Opsets 1-5 are read only for operators unchanged since then; Reshape-1 took the
        // shape as an attribute, so an opset-3 Reshape is refused by name.
        OnnxModel old(3);
        old.input("x", {1, 4});
        old.initializerInt64("shape", {4, 1});
        old.node("Reshape", {"x", "shape"}, {"y"}, "old_reshape");
        old.output("y");
        expectBytesError(old, {"old_reshape", "opset 3", "Reshape"});
    }

    void cyclicGraph()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.node("Add", {"x", "b"}, {"a"}, "first");
        m.node("Relu", {"a"}, {"b"}, "second");
        m.output("b");
        expectBytesError(m, {"cycle", "first", "second"});
    }

    void missingInitializer()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.node("Add", {"x", "bias"}, {"y"}, "add_bias");
        m.output("y");
        expectBytesError(m, {"add_bias", "'bias'"});
    }

    void undefinedGraphOutput()
    {
        OnnxModel m = reluModel();
        m.output("ghost");
        expectBytesError(m, {"'ghost'"});
    }

    void rawDataSizeMismatch()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.initializer("w", {1, 4}, {1, 2, 3}); // 12 bytes for 4 floats
        m.node("Add", {"x", "w"}, {"y"});
        m.output("y");
        expectBytesError(m, {"'w'", "raw_data", "12 bytes"});
    }

    void typedDataCountMismatch()
    {
        OnnxModel m(13);
        m.input("x", {2});
        auto* t = m.graph().add_initializer();
        t->set_name("w");
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(2);
        t->add_float_data(1.f);
        m.node("Add", {"x", "w"}, {"y"});
        m.output("y");
        expectBytesError(m, {"'w'", "float_data"});
    }

    void hugeDimsWithoutDataDoNotAllocate()
    {
        OnnxModel m(13);
        m.input("x", {2});
        auto* t = m.graph().add_initializer();
        t->set_name("w");
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(int64_t(1) << 35); // 128 GiB claimed, no data present
        t->set_raw_data("abcd");
        m.node("Add", {"x", "w"}, {"y"});
        m.output("y");
        expectBytesError(m, {"'w'"});
        t->clear_dims();
        for (int i = 0; i < 4; ++i)
            t->add_dims(int64_t(1) << 20); // element count overflows
        expectBytesError(m, {"'w'", "too large"});
    }

    void badAttributeTensorNamesNode()
    {
        auto badTensor = [](onnx::NodeProto& n) {
            auto* a = n.add_attribute();
            a->set_name("value");
            a->set_type(onnx::AttributeProto::TENSOR);
            a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
            a->mutable_t()->add_dims(2);
            a->mutable_t()->set_raw_data("abc"); // 3 bytes for 2 floats
        };
        OnnxModel c(13);
        c.input("x", {2});
        badTensor(c.node("Constant", {}, {"k"}, "const_k"));
        c.node("Add", {"x", "k"}, {"y"});
        c.output("y");
        expectBytesError(c, {"Constant node 'const_k'", "raw_data"});
        OnnxModel s(13);
        s.input("shape", {1}, onnx::TensorProto::INT64);
        badTensor(s.node("ConstantOfShape", {"shape"}, {"y"}, "fill"));
        s.output("y");
        expectBytesError(s, {"node 'fill'", "attribute 'value'"});
    }

    void shapeMismatch()
    {
        OnnxModel m(13);
        m.input("x", {2, 3});
        m.initializer("w", {4, 5}, std::vector<float>(20, 1.f));
        m.node("Add", {"x", "w"}, {"y"}, "bad_add");
        m.output("y");
        expectBytesError(m, {"bad_add"});
        // A declared output shape that disagrees with inference.
        OnnxModel d(13);
        d.input("x", {1, 4});
        d.node("Relu", {"x"}, {"y"}, "relu");
        d.output("y", {1, 5});
        expectBytesError(d, {"'y'", "declared"});
    }

    void negativeDims()
    {
        OnnxModel m(13);
        m.input("x", {1, -3});
        m.node("Relu", {"x"}, {"y"});
        m.output("y");
        expectBytesError(m, {"'x'", "negative"});
        OnnxModel w(13);
        w.input("x", {2});
        w.initializer("w", {-2}, {});
        w.node("Add", {"x", "w"}, {"y"});
        w.output("y");
        expectBytesError(w, {"'w'", "negative"});
    }

    void unsupportedElementType()
    {
        OnnxModel m(13);
        m.input("x", {2}, onnx::TensorProto::STRING);
        m.node("Identity", {"x"}, {"y"});
        m.output("y");
        expectBytesError(m, {"'x'", "STRING"});
    }

    void duplicateOutputName()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.node("Relu", {"x"}, {"y"}, "one");
        m.node("Relu", {"x"}, {"y"}, "two");
        m.output("y");
        expectBytesError(m, {"two", "'y'"});
    }

    void externalDataOutsideModelDir()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string base = dir.path().toStdString();
        QDir().mkpath(dir.path() + "/model");
        {
            std::ofstream secret(base + "/secret.bin", std::ios::binary);
            secret << std::string(8, 'x');
        }
        auto writeModel = [&](const std::string& location, const std::string& length) {
            OnnxModel m(13);
            m.input("x", {2});
            m.externalInitializer("w", {2}, {{"location", location}, {"length", length}});
            m.node("Add", {"x", "w"}, {"y"});
            m.output("y");
            std::ofstream f(base + "/model/m.onnx", std::ios::binary);
            f << m.bytes();
        };
        const std::string modelPath = base + "/model/m.onnx";
        writeModel("../secret.bin", "8");
        expectError([&] { importOnnxFile(modelPath); }, {"m.onnx", "'w'", "outside"});
        writeModel(base + "/secret.bin", "8");
        expectError([&] { importOnnxFile(modelPath); }, {"m.onnx", "'w'", "absolute"});
        writeModel("missing.bin", "8");
        expectError([&] { importOnnxFile(modelPath); }, {"m.onnx", "'w'", "missing.bin"});
        {
            std::ofstream shortFile(base + "/model/short.bin", std::ios::binary);
            shortFile << "abc";
        }
        writeModel("short.bin", "8");
        expectError([&] { importOnnxFile(modelPath); }, {"m.onnx", "'w'", "short.bin"});
        writeModel("short.bin", "99999999999999999999999");
        expectError([&] { importOnnxFile(modelPath); }, {"m.onnx", "'w'"});
    }

    void symbolicSpatialDimsGetAHint()
    {
        // PaddleOCR's classifier declares [?, 3, ?, ?]: at the default of 1 its MaxPool cannot
        // fit, and the message must say why and how to give the real shape.
        const std::string cls = kModels + "ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx";
        expectError([&] { importOnnxFile(cls); }, {"MaxPool", "symbolic dims were set to 1", "--shape"});
        ImportOptions options;
        options.inputShapes["x"] = {1, 3, 48, 192};
        const Graph graph = importOnnxFile(cls, options).graph;
        QCOMPARE(graph.value(graph.inputs()[0]).shape, Shape({1, 3, 48, 192}));
    }

    void unknownOpStrictNamesNodeOpAndFile()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.node("Relu", {"x"}, {"h"}, "relu");
        m.node("TotallyNewOp", {"h"}, {"y"}, "mystery_7");
        m.output("y");
        expectBytesError(m, {"node 'mystery_7'", "operator 'TotallyNewOp'"});
    }

    void customDomainOpIsUnsupported()
    {
        OnnxModel m(13);
        m.input("x", {1, 4});
        m.node("Relu", {"x"}, {"y"}, "ms_relu").set_domain("com.microsoft");
        m.output("y");
        expectBytesError(m, {"ms_relu", "com.microsoft"});
    }

    void sileroVadIsRefusedNamingLstmAndIf()
    {
        const std::string path = kModels + "unsupported/silero_vad_legacy.onnx";
        expectError([&] { importOnnxFile(path); },
                    {"silero_vad_legacy.onnx", "'LSTM'", "'If'", "recurrent", "control flow", "If_25"});
        // Lenient import (inspection) keeps going and lists the nodes instead.
        ImportOptions lenient;
        lenient.lenient = true;
        ImportedModel m = importOnnxFile(path, lenient);
        bool lstm = false, ifNode = false;
        for (const auto& u : m.report.unsupported) {
            lstm |= u.opType == "LSTM";
            ifNode |= u.opType == "If" && u.reason.find("control flow") != std::string::npos;
        }
        QVERIFY(lstm && ifNode);
    }

    // 50000-pixel pads: [1,4,100006,100006] float32 is 160 GB. The executor names the node,
    // the tensor and the bytes instead of a bare "out of memory".
    void hugePadsNameTheNodeAndTheBytes()
    {
        const Graph g = importOnnxBytes(paddedConv(50000).bytes(), "pads.onnx").graph;
        const uint64_t bytes = uint64_t(4) * 100006 * 100006 * 4; // hand-computed output size
        expectError([&] { Executor e(g); }, {"conv_pad", "'y'", "[1,4,100006,100006]", QString::number(bytes) + " bytes",
                                             "160.0 GB", "out of memory"});
    }

    // Pads near 2^62 overflowed the window arithmetic; 2^31 makes Flatten's product overflow.
    void overflowingPadsAreRefused()
    {
        expectBytesError(paddedConv(int64_t(1) << 62), {"conv_pad", "'pads' must be in 0..2147483648"});
        OnnxModel m = paddedConv(int64_t(1) << 31);
        m.graph().mutable_output()->Clear();
        addInt(m.node("Flatten", {"y"}, {"flat"}, "flat"), "axis", 0);
        m.output("flat");
        expectBytesError(m, {"Flatten node 'flat'", "more elements than fit in 64 bits"});
    }
};

QTEST_APPLESS_MAIN(TestBadInput)
#include "test_bad_input.moc"
