// Bounded, seeded fuzzing that runs in CI without clang: truncations and byte flips of
// the bundled models and .npy files. Every outcome must be a successful import or a
// tessera::Error naming the file; anything else (another exception type, a crash, an
// abort) fails. Successful small imports are also run once to catch shape/kernel
// disagreements on odd-but-valid graphs. tests/fuzz has the libFuzzer targets.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/io/FileIO.h"
#include "core/io/Npy.h"
#include "core/onnx/OnnxImporter.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

using namespace tessera;

namespace {

const std::string kModels = std::string(TESSERA_TEST_DATA) + "/models/";

struct Outcome {
    int imported = 0;
    int rejected = 0;
    int executed = 0;
};

// Runs an imported graph on zeros when its activations are small enough to be cheap.
bool runIfSmall(const Graph& graph)
{
    int64_t total = 0;
    for (size_t v = 0; v < graph.valueCount(); ++v)
        total += numElements(graph.value(static_cast<ValueId>(v)).shape);
    if (total > (int64_t(1) << 22))
        return false;
    std::vector<Tensor> inputs;
    for (ValueId in : graph.inputs())
        inputs.emplace_back(graph.value(in).dtype, graph.value(in).shape);
    Executor executor(graph);
    executor.run(inputs);
    return true;
}

void tryImport(const std::string& bytes, const std::string& label, const ImportOptions& options, bool execute,
               Outcome& outcome)
{
    try {
        ImportedModel m = importOnnxBytes(bytes, label, options);
        ++outcome.imported;
        if (execute) {
            try {
                outcome.executed += runIfSmall(m.graph);
            } catch (const Error&) {
                // the executor may refuse a valid-but-odd graph with a clear error
            }
        }
    } catch (const Error& e) {
        ++outcome.rejected;
        if (std::string(e.what()).find(label) == std::string::npos)
            QFAIL(qPrintable(QString("error does not name the source '%1': %2").arg(label.c_str(), e.what())));
    } catch (const std::exception& e) {
        QFAIL(qPrintable(QString("%1: non-tessera exception %2").arg(label.c_str(), e.what())));
    }
}

} // namespace

class TestOnnxImportFuzz : public QObject {
    Q_OBJECT
private slots:
    void mutatedModels_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("flipRounds");
        QTest::addColumn<bool>("execute");
        QTest::newRow("digits_cnn") << "digits/digits_cnn.onnx" << 400 << true;
        QTest::newRow("digits_resnet") << "digits/digits_resnet.onnx" << 400 << true;
        QTest::newRow("mnist_mobile") << "mnist/mnist_mobile.onnx" << 200 << true;
        QTest::newRow("ocr_cls") << "ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" << 60 << false;
        QTest::newRow("silero_vad") << "unsupported/silero_vad_legacy.onnx" << 100 << false;
    }

    void mutatedModels()
    {
        QFETCH(QString, model);
        QFETCH(int, flipRounds);
        QFETCH(bool, execute);
        const std::string original = readFileBytes(kModels + model.toStdString());
        const std::string label = "mutant.onnx";
        std::mt19937_64 rng(20261125);
        Outcome outcome;
        ImportOptions options;
        if (model.startsWith("ocr/")) // symbolic H, W: the classifier's line size
            options.inputShapes["x"] = {1, 3, 48, 192};
        // Truncations: every prefix length on a coarse grid plus the last bytes.
        const size_t step = std::max<size_t>(1, original.size() / 150);
        for (size_t cut = 0; cut < original.size(); cut += step)
            tryImport(original.substr(0, cut), label, options, false, outcome);
        for (size_t back = 1; back <= 16 && back < original.size(); ++back)
            tryImport(original.substr(0, original.size() - back), label, options, false, outcome);
        // Byte flips: 1-8 random bytes replaced, seeded.
        for (int round = 0; round < flipRounds; ++round) {
            std::string bytes = original;
            const int flips = 1 + static_cast<int>(rng() % 8);
            for (int i = 0; i < flips; ++i)
                bytes[rng() % bytes.size()] = static_cast<char>(rng());
            tryImport(bytes, label, options, execute, outcome);
        }
        qInfo("%s: %d imported (%d executed), %d rejected with an error", qPrintable(model), outcome.imported,
              outcome.executed, outcome.rejected);
        QVERIFY(outcome.rejected > 0);
    }

    // Inputs the libFuzzer targets found (tests/fuzz/regressions): still an import or an
    // error naming the file in a normal build.
    void fuzzerRegressions()
    {
        QDir dir(QString(TESSERA_TEST_DATA) + "/../fuzz/regressions");
        const QStringList files = dir.entryList({"*.onnx"}, QDir::Files);
        QVERIFY(!files.isEmpty());
        Outcome outcome;
        for (const QString& file : files)
            tryImport(readFileBytes(dir.filePath(file).toStdString()), "regression.onnx", {}, true, outcome);
        QCOMPARE(outcome.imported + outcome.rejected, static_cast<int>(files.size()));
    }

    void mutatedNpy()
    {
        QTemporaryDir dir;
        const std::string seed = dir.path().toStdString() + "/seed.npy";
        writeNpy(seed, Tensor(DType::Float32, {4, 1, 8, 8})); // small, so mutants stay cheap
        const std::string original = readFileBytes(seed);
        std::mt19937_64 rng(7);
        int parsed = 0, rejected = 0;
        for (int round = 0; round < 3000; ++round) {
            std::string bytes = original;
            if (round % 3 == 0) {
                bytes.resize(rng() % bytes.size());
            } else {
                const size_t span = round % 3 == 1 ? 128 : bytes.size(); // header only, or anywhere
                for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i)
                    bytes[rng() % span] = static_cast<char>(rng());
            }
            try {
                parseNpy(bytes, "mutant.npy");
                ++parsed;
            } catch (const Error& e) {
                ++rejected;
                QVERIFY2(std::string(e.what()).find("mutant.npy") != std::string::npos, e.what());
            }
        }
        qInfo("npy: %d parsed, %d rejected", parsed, rejected);
        QVERIFY(rejected > 0);
    }
};

QTEST_APPLESS_MAIN(TestOnnxImportFuzz)
#include "test_onnx_import_fuzz.moc"
