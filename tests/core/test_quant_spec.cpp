// The quantization spec (core/quantspec): JSON round trip, version handling, every field
// validated with a message naming the key and layer, and the model content hash that
// keeps a spec from being used with another model.
#include "core/Error.h"
#include "core/Warning.h"
#include "core/io/FileIO.h"
#include "core/onnx/OnnxImporter.h"
#include "core/quantspec/ModelHash.h"
#include "core/quantspec/QuantSpec.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace tessera;
using nlohmann::json;

namespace {

// One Gemm layer x[1,2] -> y[1,3] with every optional field set.
QuantSpec smallSpec()
{
    QuantSpec s;
    s.model = "tiny.onnx";
    s.modelHash = "xxh3-64:0123456789abcdef";
    s.inputShape = {1, 2};
    s.config.layerWeightBits["fc"] = 4;
    s.config.nonIdealities.readNoise = 0.02;
    s.config.nonIdealities.seed = 7;
    s.tensors["x"] = TensorQuant{true, 0.25, 8, false, 0.0, 60.0, "graph-input"};
    s.tensors["y"] = TensorQuant{true, 0.5, 8, true, -10.0, 12.0, "analog-matmul"};
    LayerQuant l;
    l.node = "fc";
    l.opType = "Gemm";
    l.input = "x";
    l.output = "y";
    l.weightBits = 4;
    l.adcRange = 5000;
    l.rows = 2;
    l.cols = 3;
    l.weightScales = {0.1, 0.2, 0.3};
    l.biasCorrection = {0.01, -0.02, 0.0};
    s.layers.push_back(l);
    s.smoothing.push_back({"fc", {2.0, 0.5}});
    return s;
}

QString errorOf(const json& j)
{
    try {
        quantSpecFromJson(j, "q.json");
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

Graph tinyGraph(float weight)
{
    Graph g;
    g.name = "tiny";
    const ValueId x = g.addValue("x", DType::Float32, {1, 2});
    g.markGraphInput(x);
    Tensor w(DType::Float32, {2, 3});
    for (int i = 0; i < 6; ++i)
        w.mutableData<float>()[i] = 0.5f * i;
    w.mutableData<float>()[4] = weight;
    const ValueId wv = g.addConstant("w", w);
    const ValueId y = g.addValue("y", DType::Float32, {1, 3});
    g.addNode("fc", "MatMul", {x, wv}, {y});
    g.markGraphOutput(y);
    return g;
}

} // namespace

class TestQuantSpec : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsIdentical()
    {
        const json first = toJson(smallSpec());
        const QuantSpec back = quantSpecFromJson(first, "q.json");
        QCOMPARE(toJson(back).dump(), first.dump());
        QCOMPARE(back.layers.at(0).biasCorrection.size(), size_t(3));
        QCOMPARE(back.config.layerWeightBits.at("fc"), 4);
        QCOMPARE(back.config.nonIdealities.seed, uint64_t(7));
        QCOMPARE(QString::fromStdString(back.modelHash), QString("xxh3-64:0123456789abcdef"));
    }

    void versionOneIsReadAndOthersRefused()
    {
        json j = toJson(smallSpec());
        j["version"] = 1;
        j.erase("model_hash");
        QVERIFY(quantSpecFromJson(j, "old.json").modelHash.empty());
        j["version"] = 4;
        const QString e = errorOf(j);
        QVERIFY2(e.contains("quantization format 4, this reader supports 1-3"), qPrintable(e));
    }

    // Version 3 adds tensors' zero_point (offset codes) and the config's offset_coding;
    // version 2 files have neither: zero points 0, offset coding off.
    void zeroPointsRoundTripAndVersionTwoReads()
    {
        QuantSpec spec = smallSpec();
        TensorQuant& t = spec.tensors.begin()->second;
        t.quantized = true;
        t.isSigned = false;
        t.zeroPoint = 15;
        json j = toJson(spec);
        QCOMPARE(quantSpecFromJson(j, "z.json").tensors.begin()->second.zeroPoint, int64_t(15));
        QVERIFY(quantSpecFromJson(j, "z.json").config.offsetCoding);
        j["tensors"][spec.tensors.begin()->first]["signed"] = true;
        QVERIFY2(errorOf(j).contains("zero point needs unsigned codes"), qPrintable(errorOf(j)));
        j = toJson(smallSpec());
        j["version"] = 2;
        for (auto& [name, tensor] : j["tensors"].items())
            tensor.erase("zero_point");
        j["config"].erase("offset_coding");
        const QuantSpec old = quantSpecFromJson(j, "v2.json");
        QVERIFY(!old.config.offsetCoding);
        for (const auto& [name, tensor] : old.tensors)
            QCOMPARE(tensor.zeroPoint, int64_t(0));
    }

    void everyFieldIsRangeChecked_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("value"); // JSON text
        QTest::addColumn<QString>("expected");
        QTest::newRow("bits wrap") << "/layers/0/weight_bits" << "4294967300" << "\"weight_bits\" must be an integer in [2, 8]";
        QTest::newRow("bits 2^40") << "/layers/0/adc_bits" << "1099511627776" << "layer 'fc'";
        QTest::newRow("bits float") << "/layers/0/input_bits" << "1e300" << "got the number";
        QTest::newRow("bits string") << "/config/weight_bits" << "\"8\"" << "got the string \"8\"";
        QTest::newRow("adc range") << "/layers/0/adc_range" << "4611686018427387904" << "adc_range";
        QTest::newRow("huge scale") << "/tensors/x/scale" << "1e300" << "tensor 'x'";
        QTest::newRow("subnormal") << "/layers/0/weight_scales/1" << "1e-320" << "weight_scales[1]";
        QTest::newRow("shape") << "/input_shape/0" << "1099511627776" << "input_shape";
        QTest::newRow("percentile") << "/config/percentile" << "null" << "";
        QTest::newRow("noise") << "/config/non_idealities/read_noise" << "-1" << "read_noise";
        QTest::newRow("scales count") << "/layers/0/cols" << "4" << "3 weight scales for 4 columns";
        QTest::newRow("layer tensor") << "/layers/0/input" << "\"nope\"" << "tensor 'nope'";
        QTest::newRow("smoothing") << "/smoothing/0/factors/0" << "0" << "smoothing of layer 'fc'";
    }
    void everyFieldIsRangeChecked()
    {
        QFETCH(QString, path);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        json j = toJson(smallSpec());
        j[json::json_pointer(path.toStdString())] = json::parse(value.toStdString());
        const QString e = errorOf(j);
        if (expected.isEmpty()) { // null means "absent": the default applies
            QVERIFY2(e.isEmpty(), qPrintable(e));
            return;
        }
        QVERIFY2(e.startsWith("q.json") && e.contains(expected), qPrintable(e));
    }

    void duplicateLayersAreRefused()
    {
        json j = toJson(smallSpec());
        j["layers"].push_back(j["layers"][0]);
        QVERIFY(errorOf(j).contains("layer 'fc' is listed twice"));
    }

    void contentHashSeesWeightsNotShapes()
    {
        const std::string a = graphContentHash(tinyGraph(2.0f));
        QCOMPARE(graphContentHash(tinyGraph(2.0f)), a);
        QVERIFY(graphContentHash(tinyGraph(2.0000002f)) != a); // one ulp of one weight
        Graph batched = tinyGraph(2.0f);
        batched.value(batched.inputs()[0]).shape = {8, 2}; // input dims fixed at import do not count
        QCOMPARE(graphContentHash(batched), a);
    }

    void importRecordsTheSameHashForAnyBatch()
    {
        const std::string path = std::string(TESSERA_TEST_DATA) + "/models/mnist/mnist_lenet.onnx";
        ImportOptions one, many;
        many.dynamicDimValue = 16;
        const std::string h1 = importOnnxFile(path, one).report.contentHash;
        QVERIFY(h1.rfind("xxh3-64:", 0) == 0);
        QCOMPARE(importOnnxFile(path, many).report.contentHash, h1);
        const std::string other = std::string(TESSERA_TEST_DATA) + "/models/mnist/mnist_wide.onnx";
        QVERIFY(importOnnxFile(other, one).report.contentHash != h1);
    }

    void specForAnotherModelIsRefusedNamingBoth()
    {
        const QuantSpec s = smallSpec();
        checkSpecMatchesModel(s, s.modelHash, "tiny.onnx"); // same model: fine
        QString e;
        try {
            checkSpecMatchesModel(s, "xxh3-64:ffffffffffffffff", "other.onnx");
        } catch (const Error& err) {
            e = err.what();
        }
        QVERIFY2(e.contains("tiny.onnx") && e.contains("other.onnx") && e.contains("--force"), qPrintable(e));
        checkSpecMatchesModel(s, "xxh3-64:ffffffffffffffff", "other.onnx", true); // forced
    }

    // A file without a hash cannot be checked against the model: read (every readable
    // version is), but said once, naming the file; a file with its hash says nothing.
    void fileWithoutHashWarnsNamingIt()
    {
        QTemporaryDir dir;
        const std::string v1 = dir.filePath("old.json").toStdString(), v3 = dir.filePath("bare.json").toStdString();
        const std::string hashed = dir.filePath("hashed.json").toStdString();
        json j = toJson(smallSpec());
        writeFileAtomic(hashed, j.dump());
        j.erase("model_hash");
        writeFileAtomic(v3, j.dump());
        j["version"] = 1;
        writeFileAtomic(v1, j.dump());
        std::vector<std::string> said;
        const WarningHandler previous = setWarningHandler([&](const std::string& w) { said.push_back(w); });
        readQuantSpec(hashed);
        QCOMPARE(said.size(), size_t(0));
        for (int i = 0; i < 2; ++i)
            readQuantSpec(v1); // twice: said once
        readQuantSpec(v3);
        setWarningHandler(previous);
        QCOMPARE(said.size(), size_t(2));
        QCOMPARE(QString::fromStdString(said[0]), QString::fromStdString(v1) +
                 ": a format-1 quantization file records no model content hash, so it cannot be checked against "
                 "the model it is used with; quantize the model again to record one");
        QVERIFY2(said[1].rfind(v3 + ": the quantization file records no model content hash (\"model_hash\" is "
                               "missing", 0) == 0, said[1].c_str());
    }

    // Errors about a spec's layers name the file it was read from.
    void specRemembersWhereItWasRead()
    {
        QCOMPARE(QString::fromStdString(specWhere(quantSpecFromJson(toJson(smallSpec()), "q.json"))), QString("q.json: "));
        QCOMPARE(QString::fromStdString(specWhere(smallSpec())), QString());
    }
};

QTEST_APPLESS_MAIN(TestQuantSpec)
#include "test_quant_spec.moc"
