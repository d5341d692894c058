// Runs every ONNX backend test case (ONNX_TESTDATA_DIR/node, and the exported-model folders
// pytorch-converted, pytorch-operator and simple) whose operators are all claimed by Tessera
// (registered in OpRegistry::global()) through importOnnxBytes and the reference Executor,
// and compares with the expected outputs shipped with ONNX. Node cases are named by their
// folder ("test_relu"), the others "<folder>/<case>" ("pytorch-converted/test_Conv2d").
// A claimed case fails the test unless it is in the skip list below with a reason.
// With TESSERA_WRITE_COVERAGE=<path> it also writes the op coverage table (markdown).
#include "core/Error.h"
#include "core/Executor.h"
#include "core/OpRegistry.h"
#include "core/onnx/OnnxImporter.h"
#include "core/ops/OpHelpers.h"

#include <QtTest>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace tessera;

namespace {

const QString kDataDir = QStringLiteral(ONNX_TESTDATA_DIR);
const char* const kFolders[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

// Row and result name of a case: node cases keep their historic bare name.
QString caseName(const QString& folder, const QString& dirName)
{
    return folder == "node" ? dirName : folder + "/" + dirName;
}

// This data version's expected output maps align_corners coordinates with the unfloored
// length input * scale (4 * 0.6 = 2.4: Y[1] = 3.142857) instead of the output dimension the
// spec defines (2: Y[1] = 4, what Tessera computes); see onnx/onnx issue #2462.
const char* const kAlignCornersReason =
    "expected output uses the unfloored output length for align_corners (onnx/onnx#2462), not the spec's output dim";

const char* const kFloat16InputReason =
    "float16 graph inputs are refused by the importer (float16 is a storage type widened at import)";

// Cases whose operators are all registered but that Tessera does not claim, with why.
const std::map<std::string, std::string>& skipList()
{
    static const std::map<std::string, std::string> list = {
        {"test_resize_downsample_scales_cubic_align_corners", kAlignCornersReason},
        {"test_resize_downsample_scales_linear_align_corners", kAlignCornersReason},
        {"test_cast_FLOAT16_to_FLOAT", kFloat16InputReason},
        {"test_cast_FLOAT16_to_DOUBLE", kFloat16InputReason},
        {"test_cast_FLOAT_to_BFLOAT16", "bfloat16 is not a Tessera dtype"},
        {"test_cast_BFLOAT16_to_FLOAT", "bfloat16 is not a Tessera dtype"},
        {"test_cast_FLOAT_to_STRING", "string tensors are not a Tessera dtype"},
        {"test_cast_STRING_to_FLOAT", "string tensors are not a Tessera dtype"},
        {"test_castlike_FLOAT16_to_FLOAT_expanded", kFloat16InputReason},
        {"test_castlike_FLOAT16_to_DOUBLE_expanded", kFloat16InputReason},
        {"test_castlike_FLOAT_to_BFLOAT16_expanded", "bfloat16 is not a Tessera dtype"},
        {"test_castlike_BFLOAT16_to_FLOAT_expanded", "bfloat16 is not a Tessera dtype"},
        {"test_castlike_FLOAT_to_STRING_expanded", "string tensors are not a Tessera dtype"},
        {"test_castlike_STRING_to_FLOAT_expanded", "string tensors are not a Tessera dtype"},
        {"test_pow_types_float32_uint32", "uint32 is not a Tessera dtype"},
        {"test_pow_types_float32_uint64", "uint64 is not a Tessera dtype"},
        {"test_identity_opt", "optional-typed values are not supported"},
        {"test_identity_sequence", "sequence-typed values are not supported"},
        {"test_training_dropout", "training-mode Dropout (random) is not supported: inference only"},
        {"test_training_dropout_default", "training-mode Dropout (random) is not supported: inference only"},
        {"test_training_dropout_default_mask", "training-mode Dropout (random) is not supported: inference only"},
        {"test_training_dropout_mask", "training-mode Dropout (random) is not supported: inference only"},
        {"test_training_dropout_zero_ratio", "training-mode Dropout is not supported: inference only"},
        {"test_training_dropout_zero_ratio_mask", "training-mode Dropout is not supported: inference only"},
        {"test_batchnorm_epsilon_training_mode", "training-mode BatchNormalization is not supported: inference only"},
        {"test_batchnorm_example_training_mode", "training-mode BatchNormalization is not supported: inference only"},
    };
    return list;
}

std::string readFile(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// --- Minimal protobuf wire-format reader: the op types of model.onnx, read from the
// file itself so "claimed" does not depend on the importer under test.
bool readVarint(const std::string& b, size_t& pos, uint64_t& v)
{
    v = 0;
    for (int shift = 0; pos < b.size() && shift < 64; shift += 7) {
        uint8_t byte = static_cast<uint8_t>(b[pos++]);
        v |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

// Calls fn(fieldNumber, bytes) for each length-delimited field of a message.
template <class Fn> void forEachBytesField(const std::string& msg, Fn&& fn)
{
    size_t pos = 0;
    uint64_t key = 0, v = 0;
    while (pos < msg.size() && readVarint(msg, pos, key)) {
        switch (key & 7) {
        case 0: readVarint(msg, pos, v); break;
        case 1: pos += 8; break;
        case 5: pos += 4; break;
        case 2:
            if (!readVarint(msg, pos, v) || pos + v > msg.size())
                return;
            fn(static_cast<int>(key >> 3), msg.substr(pos, v));
            pos += v;
            break;
        default: return;
        }
    }
}

// "domain::OpType" (domain empty for the default one) of each top-level node.
std::vector<std::string> modelOpTypes(const std::string& modelBytes)
{
    std::vector<std::string> ops;
    forEachBytesField(modelBytes, [&](int field, const std::string& graph) {
        if (field != 7) // ModelProto.graph
            return;
        forEachBytesField(graph, [&](int gField, const std::string& node) {
            if (gField != 1) // GraphProto.node
                return;
            std::string opType, domain;
            forEachBytesField(node, [&](int nField, const std::string& s) {
                if (nField == 4) // NodeProto.op_type
                    opType = s;
                else if (nField == 7) // NodeProto.domain
                    domain = s == "ai.onnx" ? "" : s;
            });
            ops.push_back(domain.empty() ? opType : domain + "::" + opType);
        });
    });
    return ops;
}

void appendVarint(std::string& out, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out.push_back(static_cast<char>(v));
}

void appendBytesField(std::string& out, int field, const std::string& bytes)
{
    appendVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
    appendVarint(out, bytes.size());
    out += bytes;
}

// Names of the graph inputs that are not initializers, in order (= input_N.pb order).
std::vector<std::string> runtimeInputNames(const std::string& graph)
{
    std::set<std::string> initializers;
    std::vector<std::string> inputs;
    forEachBytesField(graph, [&](int field, const std::string& msg) {
        if (field != 5 && field != 11) // GraphProto.initializer / GraphProto.input
            return;
        std::string name;
        forEachBytesField(msg, [&](int f, const std::string& s) {
            if (f == (field == 5 ? 8 : 1)) // TensorProto.name / ValueInfoProto.name
                name = s;
        });
        if (field == 5)
            initializers.insert(name);
        else
            inputs.push_back(name);
    });
    std::vector<std::string> runtime;
    for (const std::string& n : inputs)
        if (!initializers.count(n))
            runtime.push_back(n);
    return runtime;
}

// The backend tests feed every tensor (target shapes, pads, scales, weights) as a graph
// input, while Tessera needs shape-deciding inputs statically, as in exported models. So
// graph inputs after the first are turned into initializers holding the test data, by
// appending GraphProto.initializer entries (the importer skips inputs that have an
// initializer). Returns the rewritten ModelProto; `runtimeInputs` gets how many stay inputs.
std::string bindTrailingInputs(const std::string& model, const QString& dataDir, size_t& runtimeInputs)
{
    std::string out, graph;
    size_t pos = 0;
    uint64_t key = 0, v = 0;
    while (pos < model.size()) {
        const size_t fieldStart = pos;
        if (!readVarint(model, pos, key))
            break;
        if ((key & 7) == 2 && readVarint(model, pos, v) && (key >> 3) == 7) {
            graph = model.substr(pos, v);
            pos += v;
            continue;
        }
        if ((key & 7) == 0)
            readVarint(model, pos, v);
        else if ((key & 7) == 1 || (key & 7) == 5)
            pos += (key & 7) == 1 ? 8 : 4;
        else if ((key & 7) == 2)
            pos += v;
        out += model.substr(fieldStart, pos - fieldStart);
    }
    std::vector<std::string> names = runtimeInputNames(graph);
    for (size_t i = 1; i < names.size(); ++i) {
        std::string tensor = readFile(QString("%1/input_%2.pb").arg(dataDir).arg(i));
        appendBytesField(tensor, 8, names[i]); // TensorProto.name: the last occurrence wins
        appendBytesField(graph, 5, tensor);
    }
    runtimeInputs = std::min<size_t>(names.size(), 1);
    appendBytesField(out, 7, graph);
    return out;
}

struct CaseResult {
    enum class Status { Fail, Pass, Skip } status = Status::Fail;
    std::string reason;
    std::vector<std::string> ops;
};

// Filled as the cases run; written out by cleanupTestCase.
std::map<std::string, CaseResult>& results()
{
    static std::map<std::string, CaseResult> r;
    return r;
}

// First mismatch between two tensors, or empty when they agree.
std::string compareTensors(const Tensor& expected, const Tensor& actual)
{
    if (actual.dtype() == DType::Float16 && expected.dtype() == DType::Float32 && expected.shape() == actual.shape()) {
        // readTensorProtoFile widens float16 exactly; compare the widened bits exactly.
        const uint16_t* a = static_cast<const uint16_t*>(actual.rawData());
        for (int64_t i = 0; i < expected.numel(); ++i) {
            const float e = expected.data<float>()[i], v = ops::halfToFloat(a[i]);
            if (!(v == e || (std::isnan(v) && std::isnan(e))))
                return strCat("float16 element ", i, " is ", v, ", expected ", e);
        }
        return {};
    }
    if (expected.dtype() != actual.dtype())
        return strCat("dtype ", dtypeName(actual.dtype()), ", expected ", dtypeName(expected.dtype()));
    if (expected.shape() != actual.shape())
        return strCat("shape ", shapeToString(actual.shape()), ", expected ", shapeToString(expected.shape()));
    const bool isFloat = expected.dtype() == DType::Float32 || expected.dtype() == DType::Float64;
    for (int64_t i = 0; i < expected.numel(); ++i) {
        if (isFloat) {
            const double e = expected.valueAsDouble(i), a = actual.valueAsDouble(i);
            if (std::isnan(e) && std::isnan(a))
                continue;
            if (std::isinf(e) && a == e)
                continue;
            if (std::abs(a - e) <= 1e-4 + 1e-3 * std::abs(e))
                continue;
            return strCat("element ", i, " is ", a, ", expected ", e);
        }
        if (expected.valueAsInt(i) != actual.valueAsInt(i))
            return strCat("element ", i, " is ", actual.valueAsInt(i), ", expected ", expected.valueAsInt(i));
    }
    return {};
}

} // namespace

class TestOnnxConformance : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (!QDir(kDataDir + "/node").exists())
            QSKIP("ONNX backend test data is not installed (libonnx-testdata)");
    }

    void backendCase_data()
    {
        QTest::addColumn<QString>("caseDir");
        const OpRegistry& registry = OpRegistry::global();
        for (const char* folder : kFolders) {
            int claimed = 0;
            const QDir root(kDataDir + "/" + folder);
            for (const QString& dirName : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
                const QString dir = root.filePath(dirName);
                std::vector<std::string> ops = modelOpTypes(readFile(dir + "/model.onnx"));
                bool all = !ops.empty();
                for (const std::string& op : ops)
                    all = all && registry.find(op) != nullptr;
                if (!all)
                    continue;
                const QString name = caseName(folder, dirName);
                results()[name.toStdString()].ops = ops;
                QTest::newRow(qPrintable(name)) << dir;
                ++claimed;
            }
            QVERIFY2(claimed > 0, qPrintable(QString("no claimed case in ") + root.path()));
        }
    }

    void backendCase()
    {
        QFETCH(QString, caseDir);
        const QFileInfo dirInfo(caseDir);
        const std::string name = caseName(dirInfo.dir().dirName(), dirInfo.fileName()).toStdString();
        CaseResult& result = results()[name];
        if (auto it = skipList().find(name); it != skipList().end())
            result.reason = it->second;
        if (!result.reason.empty()) {
            result.status = CaseResult::Status::Skip;
            QSKIP(result.reason.c_str());
        }
        std::string failure = runCase(caseDir);
        if (!failure.empty())
            result.reason = failure;
        QVERIFY2(failure.empty(), strCat(name, ": ", failure).c_str());
        result.status = CaseResult::Status::Pass;
    }

    void cleanupTestCase()
    {
        QByteArray path = qgetenv("TESSERA_WRITE_COVERAGE");
        if (!path.isEmpty())
            writeCoverage(path.toStdString());
    }

private:
    // Imports, runs and compares one case; returns the first problem or "".
    static std::string runCase(const QString& dir)
    {
        try {
            const QString data = dir + "/test_data_set_0";
            size_t runtimeInputs = 0;
            std::string bytes = bindTrailingInputs(readFile(dir + "/model.onnx"), data, runtimeInputs);
            ImportedModel model = importOnnxBytes(bytes, (dir + "/model.onnx").toStdString());
            std::vector<Tensor> inputs;
            for (size_t i = 0; i < runtimeInputs; ++i)
                inputs.push_back(readTensorProtoFile(strCat(data.toStdString(), "/input_", i, ".pb")));
            Executor executor(model.graph);
            std::vector<Tensor> outputs = executor.run(inputs);
            const size_t expectedCount = QDir(data).entryList({"output_*.pb"}, QDir::Files).size();
            if (outputs.size() != expectedCount)
                return strCat(outputs.size(), " outputs, the test data has ", expectedCount);
            for (size_t i = 0; i < outputs.size(); ++i) {
                Tensor expected = readTensorProtoFile(strCat(data.toStdString(), "/output_", i, ".pb"));
                std::string mismatch = compareTensors(expected, outputs[i]);
                if (!mismatch.empty())
                    return strCat("output ", i, " '", model.graph.value(model.graph.outputs()[i]).name, "': ", mismatch);
            }
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    }

    static void writeCoverage(const std::string& path);
    static void writeFolderSummary(std::ostream& out);
};

// One row per test data folder: how many cases it has, claims, passes, skips and fails.
void TestOnnxConformance::writeFolderSummary(std::ostream& out)
{
    out << "| Folder | Cases | Claimed | Passed | Skipped | Failed |\n|---|---|---|---|---|---|\n";
    for (const char* folder : kFolders) {
        const QString prefix = caseName(folder, QString());
        int cases = QDir(kDataDir + "/" + folder).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
        int claimed = 0, counts[3] = {0, 0, 0}; // indexed by CaseResult::Status
        for (const auto& [name, r] : results()) {
            const QString q = QString::fromStdString(name);
            if (prefix.isEmpty() ? q.contains('/') : !q.startsWith(prefix))
                continue;
            ++claimed;
            ++counts[static_cast<int>(r.status)];
        }
        out << "| `" << folder << "` | " << cases << " | " << claimed << " | "
            << counts[static_cast<int>(CaseResult::Status::Pass)] << " | "
            << counts[static_cast<int>(CaseResult::Status::Skip)] << " | "
            << counts[static_cast<int>(CaseResult::Status::Fail)] << " |\n";
    }
    out << "\n";
}

void TestOnnxConformance::writeCoverage(const std::string& path)
{
    struct Counts {
        int passed = 0, total = 0;
        std::vector<std::string> skipped, failed;
    };
    std::map<std::string, Counts> byOp;
    for (const OpDef* op : OpRegistry::global().all())
        byOp[op->name()];
    int passed = 0, skipped = 0, failed = 0;
    for (const auto& [name, r] : results()) {
        std::set<std::string> ops(r.ops.begin(), r.ops.end());
        for (const std::string& op : ops) {
            Counts& c = byOp[op];
            if (r.status == CaseResult::Status::Skip) {
                c.skipped.push_back(strCat("`", name, "`: ", r.reason));
                continue;
            }
            ++c.total;
            if (r.status == CaseResult::Status::Pass)
                ++c.passed;
            else
                c.failed.push_back(strCat("`", name, "`"));
        }
        (r.status == CaseResult::Status::Pass ? passed : r.status == CaseResult::Status::Skip ? skipped : failed)++;
    }
    std::ofstream out(path);
    out << "# ONNX operator coverage\n\n"
        << "Generated by `tests/core/test_onnx_conformance.cpp` (`scripts/gen-op-coverage.sh`) from the ONNX "
           "backend test data in `" ONNX_TESTDATA_DIR "`: the node tests (`node/`, named by case) and the "
           "exported-model tests (`pytorch-converted/`, `pytorch-operator/`, `simple/`, named `<folder>/<case>`). "
           "A case is claimed when every operator in it is registered in Tessera's op registry; every claimed "
           "case must pass or be skipped with a reason.\n\n"
        << "Claimed cases: " << passed + skipped + failed << " — passed " << passed << ", skipped " << skipped
        << ", failed " << failed << ".\n\n";
    writeFolderSummary(out);
    out << "A case counts for every operator it contains (e.g. the `_expanded` function bodies).\n\n"
        << "| Operator | Passed / claimed cases | Skipped | Failing |\n|---|---|---|---|\n";
    for (const auto& [op, c] : byOp) {
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (const std::string& x : v)
                s += (s.empty() ? "" : "<br>") + x;
            return s.empty() ? std::string("—") : s;
        };
        out << "| " << op << " | " << c.passed << " / " << c.total << " | " << join(c.skipped) << " | "
            << join(c.failed) << " |\n";
    }
}

QTEST_APPLESS_MAIN(TestOnnxConformance)
#include "test_onnx_conformance.moc"
