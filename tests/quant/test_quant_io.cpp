// The quantization JSON (round trip, the executor gives identical results from a file),
// bad input (wrong shape/dtype, empty data, NaN, bit depths out of range, unknown layer
// names: clear errors, nothing written), the image-folder loader, and the quantized
// executor on a hand-built graph (Gemm -> Relu) checked against hand-computed codes.
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "quant/ImageFolder.h"
#include "quant/QuantizeApi.h"
#include "quant/QuantizedExecutor.h"
#include "tests/core/test_onnx_import_util.h"

#include <QTemporaryDir>
#include <QtTest>

#include <png.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string data(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/" + file; }

template <class Fn> QString errorOf(Fn&& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// A valid 1x1 RGB PNG whose header then claims width x height (CRC fixed up): the
// "69-byte PNG declaring 30000x30000 pixels" of issue 12.
std::string pngDeclaring(uint32_t width, uint32_t height)
{
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = image.height = 1;
    image.format = PNG_FORMAT_RGB;
    const uint8_t pixel[3] = {10, 20, 30};
    png_alloc_size_t size = 0;
    png_image_write_to_memory(&image, nullptr, &size, 0, pixel, 0, nullptr);
    std::string bytes(size, '\0');
    png_image_write_to_memory(&image, bytes.data(), &size, 0, pixel, 0, nullptr);
    bytes.resize(size);
    auto put32 = [&](size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i)
            bytes[at + i] = static_cast<char>(v >> (24 - 8 * i));
    };
    put32(16, width); // IHDR data starts at 16: width, height (big-endian)
    put32(20, height);
    put32(29, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + 12), 17)));
    return bytes;
}

// x[1,1,8,8] -> Conv 3x3 (4 channels, every pad `pad`) -> Flatten -> Gemm with B [10, k].
// pad 0 and k 144 (4 x 6 x 6) is a consistent model; pad 50000 makes Flatten's row
// 4 x 100006^2 long, which no Gemm of K 144 takes: the model is at fault whatever the data.
std::string convGemm(int64_t pad, int64_t k)
{
    testing::OnnxModel m(13);
    m.input("x", {1, 1, 8, 8});
    m.initializer("w", {4, 1, 3, 3}, std::vector<float>(36, 0.5f));
    m.initializer("b", {10, k}, std::vector<float>(static_cast<size_t>(10 * k), 0.25f));
    testing::addInts(m.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", {pad, pad, pad, pad});
    testing::addInt(m.node("Flatten", {"c"}, {"f"}, "flat"), "axis", 1);
    testing::addInt(m.node("Gemm", {"f", "b"}, {"y"}, "fc"), "transB", 1);
    m.output("y");
    return m.bytes();
}

} // namespace

class TestQuantIo : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::string tmp(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

    QuantizeRequest lenetRequest(const std::string& calib, const std::string& out) const
    {
        QuantizeRequest req;
        req.modelPath = data("mnist/mnist_lenet.onnx");
        req.calibration.npyFiles = {calib};
        req.outputPath = out;
        return req;
    }

private slots:
    // Rows past the end are refused, not read past the buffer (the sanitizer found a
    // 2-row slice of a 1-row tensor).
    void sliceRowsChecksBounds()
    {
        Tensor t(DType::Float32, {2, 3});
        for (int i = 0; i < 6; ++i)
            t.mutableData<float>()[i] = static_cast<float>(i);
        QCOMPARE(sliceRows(t, 1, 1).toFloatVector(), (std::vector<float>{3, 4, 5}));
        QCOMPARE(sliceRows(t, 2, 0).dim(0), int64_t(0));
        QVERIFY_THROWS_EXCEPTION(Error, sliceRows(t, 0, 3));
        QVERIFY_THROWS_EXCEPTION(Error, sliceRows(t, 2, 1));
        QVERIFY_THROWS_EXCEPTION(Error, sliceRows(t, -1, 1));
    }

    void jsonRoundTripGivesIdenticalResults()
    {
        const std::string out = tmp("lenet.quant.json");
        QuantizeRequest req = lenetRequest(data("mnist/mnist_calib_x.npy"), out);
        req.calibration.limit = 128;
        const QuantSpec r = runQuantize(req);
        const QuantSpec back = readQuantSpec(out);
        QCOMPARE(back.layers.size(), r.layers.size());
        QCOMPARE(back.tensors.size(), r.tensors.size());
        for (size_t i = 0; i < r.layers.size(); ++i) {
            QCOMPARE(back.layers[i].node, r.layers[i].node);
            QCOMPARE(back.layers[i].adcRange, r.layers[i].adcRange);
            QCOMPARE(back.layers[i].weightScales, r.layers[i].weightScales); // doubles survive JSON exactly
        }
        QCOMPARE(back.inputShape, (Shape{1, 1, 28, 28})); // one calibration sample's shape
        ModelGraphs model = openModelFor(req.modelPath, back);
        const Dataset x = loadNpyDataset({data("mnist/mnist_test_x16.npy")});
        const Graph& g = model.forBatch(16);
        QuantizedExecutor a(g, r), b(g, back);
        QCOMPARE(a.run({x.inputs})[0].toFloatVector(), b.run({x.inputs})[0].toFloatVector());
    }

    void badCalibrationDataIsRejectedAndNothingWritten()
    {
        const std::string out = tmp("never.json");
        // Wrong sample shape.
        writeNpy(tmp("wrong_shape.npy"), Tensor(DType::Float32, {4, 1, 14, 14}));
        QString e = errorOf([&] { runQuantize(lenetRequest(tmp("wrong_shape.npy"), out)); });
        QVERIFY2(e.contains("wrong_shape.npy") && e.contains("[1,14,14]"), qPrintable(e));
        // Wrong dtype (labels are int64).
        e = errorOf([&] { runQuantize(lenetRequest(data("mnist/mnist_test_y.npy"), out)); });
        QVERIFY2(e.contains("mnist_test_y.npy") && e.contains("float32"), qPrintable(e));
        // Empty.
        writeNpy(tmp("empty.npy"), Tensor(DType::Float32, {0, 1, 28, 28}));
        e = errorOf([&] { runQuantize(lenetRequest(tmp("empty.npy"), out)); });
        QVERIFY2(e.contains("empty.npy") && e.contains("no samples"), qPrintable(e));
        // NaN in sample 2.
        Tensor nan(DType::Float32, {3, 1, 28, 28});
        nan.mutableData<float>()[2 * 784 + 5] = std::nanf("");
        writeNpy(tmp("nan.npy"), nan);
        e = errorOf([&] { runQuantize(lenetRequest(tmp("nan.npy"), out)); });
        QVERIFY2(e.contains("nan.npy") && e.contains("sample 2") && e.contains("NaN"), qPrintable(e));
        QVERIFY(!std::filesystem::exists(out));
    }

    void badConfigIsRejectedAndNothingWritten()
    {
        const std::string out = tmp("never2.json");
        QuantizeRequest req = lenetRequest(data("mnist/mnist_test_x16.npy"), out);
        req.config.weightBits = 9;
        QString e = errorOf([&] { runQuantize(req); });
        QVERIFY2(e.contains("weight bits 9"), qPrintable(e));
        req.config.weightBits = 8;
        req.config.adcBits = 1;
        e = errorOf([&] { runQuantize(req); });
        QVERIFY2(e.contains("ADC bits 1"), qPrintable(e));
        req.config.adcBits = 12;
        req.config.layerWeightBits["/no/such/Conv"] = 4;
        e = errorOf([&] { runQuantize(req); });
        QVERIFY2(e.contains("unknown analog layer '/no/such/Conv'"), qPrintable(e));
        req.config.layerWeightBits.clear();
        req.config.layerWeightBits["/c1/Conv"] = 1;
        e = errorOf([&] { runQuantize(req); });
        QVERIFY2(e.contains("/c1/Conv") && e.contains("weight bits 1"), qPrintable(e));
        QVERIFY(!std::filesystem::exists(out));
    }

    // A model whose shapes fail at its own declared input is blamed, not the data
    // (issue 12: huge pads before a Gemm said the data file did not fit); data that does
    // not fit a consistent model still names the data file.
    void modelAtFaultIsNamedInsteadOfTheData()
    {
        const std::string bad = tmp("pads_gemm.onnx"), good = tmp("conv_gemm.onnx");
        writeFileAtomic(bad, convGemm(50000, 144));
        writeFileAtomic(good, convGemm(0, 144));
        QString e = errorOf([&] { openModelForSamples(bad, Tensor(DType::Float32, {2, 1, 8, 8}), "x.npy"); });
        QVERIFY2(e.startsWith(QString::fromStdString(bad)) && e.contains("Gemm node 'fc'") &&
                     e.contains("at the model's own declared input shape [1,1,8,8] too: the model is at fault") &&
                     !e.contains("x.npy"),
                 qPrintable(e));
        openModelForSamples(good, Tensor(DType::Float32, {2, 1, 8, 8}), "x.npy");
        e = errorOf([&] { openModelForSamples(good, Tensor(DType::Float32, {2, 1, 9, 9}), "x.npy"); });
        QVERIFY2(e.startsWith("x.npy: data of shape [2,1,9,9]") && !e.contains("at fault"), qPrintable(e));
    }

    void malformedJsonNamesTheFile()
    {
        writeFileAtomic(tmp("bad.json"), "{\"format\": \"tessera-quant\", \"version\": 1}");
        QString e = errorOf([&] { readQuantSpec(tmp("bad.json")); });
        QVERIFY2(e.contains("bad.json") && e.contains("\"config\" is missing"), qPrintable(e));
        nlohmann::json j = toJson(QuantSpec{});
        j["input_shape"] = {1, -3, 28};
        e = errorOf([&] { quantSpecFromJson(j, "shape.json"); });
        QVERIFY2(e.contains("shape.json") && e.contains("input_shape"), qPrintable(e));
        writeFileAtomic(tmp("notjson.json"), "[1,");
        e = errorOf([&] { readQuantSpec(tmp("notjson.json")); });
        QVERIFY2(e.contains("notjson.json"), qPrintable(e));
    }

    // y = relu(W x + b), W = [[1, -2], [0.5, 1]] (Gemm transB), b = [0.265625, -2.984375],
    // x = [2, 1]. Power-of-two scales make every step exact: sx = 1/64 -> x codes [128, 64];
    // sw = [1/32, 1/64] -> levels [32, -64] and [32, 64]; bias codes b / (sx sw) = [544, -12224];
    // acc0 = 4096 - 4096 + 544 = 544, requant (1/2048)/(1/32) = 1/64 -> 8.5 -> 8 (tie to even)
    //   -> 0.25 (FP32 would give 0.265625);
    // acc1 = 4096 + 4096 - 12224 = -4032, requant 1/128 -> -31.5 -> -32 (tie to even) -> -1.0;
    // relu -> [0.25, 0].
    void handBuiltGemmReluMatchesHandCodes()
    {
        Graph g;
        g.name = "hand";
        ValueId x = g.addValue("x", DType::Float32, {1, 2});
        ValueId w = g.addConstant("W", Tensor::fromVector<float>({1, -2, 0.5f, 1}, {2, 2}));
        ValueId b = g.addConstant("b", Tensor::fromVector<float>({0.265625f, -2.984375f}, {2}));
        ValueId h = g.addValue("h");
        ValueId y = g.addValue("y");
        Attributes attrs;
        attrs.set("transB", int64_t{1});
        g.addNode("fc", "Gemm", {x, w, b}, {h}, attrs);
        g.addNode("act", "Relu", {h}, {y});
        g.markGraphInput(x);
        g.markGraphOutput(y);
        inferShapes(g);

        QuantSpec r;
        r.config.adcBits = 32;
        r.tensors["x"] = TensorQuant{true, 1.0 / 64, 8, false, 0, 2, "graph-input"};
        r.tensors["h"] = TensorQuant{true, 1.0 / 32, 8, true, -1, 1, "analog-matmul"};
        r.tensors["y"] = TensorQuant{true, 1.0 / 32, 8, false, 0, 1, "share-scale"};
        LayerQuant l;
        l.node = "fc";
        l.input = "x";
        l.output = "h";
        l.rows = 2;
        l.cols = 2;
        l.weightScales = {1.0 / 32, 1.0 / 64};
        r.layers.push_back(l);
        QuantizedExecutor exec(g, r);
        std::vector<float> seen;
        const Tensor out = exec.run({Tensor::fromVector<float>({2, 1}, {1, 2})},
                                    [&](NodeId, const Node& node, const std::vector<const Tensor*>& outs) {
                                        if (node.name == "fc")
                                            seen = outs[0]->toFloatVector();
                                    })[0];
        QCOMPARE(seen, std::vector<float>({0.25f, -1.0f}));
        QCOMPARE(out.toFloatVector(), std::vector<float>({0.25f, 0.0f}));
    }

    void imageFolderFollowsThePreprocessingSpec()
    {
        ImagePreprocess pre;
        pre.mean = {0.485f, 0.456f, 0.406f};
        pre.std = {0.229f, 0.224f, 0.225f};
        const Tensor page = loadPngImage(data("ocr/page.png"), pre);
        QCOMPARE(page.shape(), Shape({1, 3, 640, 640}));
        // A white page pixel (255, 255, 255) maps to ((1 - mean) / std) per channel.
        const float* d = page.data<float>();
        QVERIFY(std::fabs(d[0] - (1.0f - 0.485f) / 0.229f) < 1e-5f);
        QVERIFY(std::fabs(d[640 * 640] - (1.0f - 0.456f) / 0.224f) < 1e-5f);
        ImagePreprocess cls;
        cls.mean = {0.5f, 0.5f, 0.5f};
        cls.std = {0.5f, 0.5f, 0.5f};
        const Dataset lines = loadImageFolder(data("ocr/calib_lines"), cls);
        QCOMPARE(lines.inputs.shape(), Shape({32, 3, 48, 192}));
        QString e = errorOf([&] { loadImageFolder(data("mnist"), cls); });
        QVERIFY2(e.contains("no .png"), qPrintable(e));
    }

    // The declared size is checked before any pixel buffer is allocated.
    void hugeDeclaredPngIsRefusedBeforeDecoding()
    {
        const std::string tiny = pngDeclaring(30000, 30000);
        QVERIFY(tiny.size() < 100);
        QCOMPARE(decodePngImage(pngDeclaring(1, 1), "one.png", {}).shape(), Shape({1, 3, 1, 1}));
        const QString e = errorOf([&] { decodePngImage(tiny, "huge.png", {}); });
        QCOMPARE(e, QString("huge.png: PNG declares 30000x30000 pixels; the limit is 16384 a side and 67108864 pixels"));
        QVERIFY(errorOf([&] { decodePngImage(pngDeclaring(16384, 16385), "tall.png", {}); }).contains("16384x16385"));
        ImagePreprocess big;
        big.width = big.height = 100000;
        QVERIFY(errorOf([&] { decodePngImage(pngDeclaring(1, 1), "one.png", big); }).contains("exceeds the limit"));
    }
};

QTEST_APPLESS_MAIN(TestQuantIo)
#include "test_quant_io.moc"
