// Importer end to end on ONNX's own exported-model test data (Debian libonnx-testdata:
// pytorch-converted, pytorch-operator, simple): small models exported by old PyTorch at
// opset 6-9, so they exercise the legacy forms (Pad/Split/Slice/Squeeze/Clip attributes,
// opset-6 broadcast, Softmax's 2-D coercion). Each is imported and run by the FP32
// executor and compared with the output_N.pb shipped next to it.
// A model may be refused with a tessera::Error (an op or a rank Tessera does not
// support); it may not crash or produce wrong numbers. The CNN-relevant ones must pass.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/onnx/OnnxImporter.h"

#include <QDir>
#include <QtTest>

#include <cmath>
#include <set>

using namespace tessera;

namespace {

enum class Result { Passed, Refused, Mismatch };

struct Case {
    std::string dir;
    std::vector<Tensor> inputs, outputs;
};

Case loadCase(const QString& dir)
{
    Case c;
    c.dir = dir.toStdString();
    QDir data(dir + "/test_data_set_0");
    for (int i = 0; data.exists(QString("input_%1.pb").arg(i)); ++i)
        c.inputs.push_back(readTensorProtoFile(data.filePath(QString("input_%1.pb").arg(i)).toStdString()));
    for (int i = 0; data.exists(QString("output_%1.pb").arg(i)); ++i)
        c.outputs.push_back(readTensorProtoFile(data.filePath(QString("output_%1.pb").arg(i)).toStdString()));
    return c;
}

// Imports with the test data's input shapes and runs; returns the outputs.
std::vector<Tensor> importAndRun(const Case& c, ImportedModel& holder)
{
    ImportOptions options;
    holder = importOnnxFile(c.dir + "/model.onnx", options);
    const auto& ins = holder.graph.inputs();
    if (ins.size() != c.inputs.size())
        fail(c.dir, ": model has ", ins.size(), " inputs, test data ", c.inputs.size());
    bool reimport = false;
    for (size_t i = 0; i < ins.size(); ++i) {
        options.inputShapes[holder.graph.value(ins[i]).name] = c.inputs[i].shape();
        reimport |= holder.graph.value(ins[i]).shape != c.inputs[i].shape();
    }
    if (reimport)
        holder = importOnnxFile(c.dir + "/model.onnx", options);
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < ins.size(); ++i)
        inputs.push_back(c.inputs[i].castTo(holder.graph.value(ins[i]).dtype));
    Executor executor(holder.graph);
    return executor.run(inputs);
}

QString compare(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected)
{
    if (actual.size() < expected.size())
        return QString("%1 outputs, expected %2").arg(actual.size()).arg(expected.size());
    for (size_t o = 0; o < expected.size(); ++o) {
        if (numElements(actual[o].shape()) != numElements(expected[o].shape()) ||
            (actual[o].shape() != expected[o].shape() && expected[o].rank() > 0))
            return QString("output %1 shape %2, expected %3")
                .arg(o)
                .arg(shapeToString(actual[o].shape()).c_str(), shapeToString(expected[o].shape()).c_str());
        for (int64_t i = 0; i < expected[o].numel(); ++i) {
            const double a = actual[o].valueAsDouble(i), e = expected[o].valueAsDouble(i);
            if (std::isnan(a) && std::isnan(e)) // sqrt/pow of negatives: NaN on both sides
                continue;
            if (!(std::abs(a - e) <= 1e-4 + 1e-4 * std::abs(e)))
                return QString("output %1 element %2 is %3, expected %4").arg(o).arg(i).arg(a).arg(e);
        }
    }
    return {};
}

// CNN-relevant models whose ops the registry implements: these must import and match.
const std::set<QString>& mustPass()
{
    static const std::set<QString> names = {
        "test_AvgPool2d", "test_AvgPool2d_stride", "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval",
        "test_ConstantPad2d", "test_Conv2d", "test_Conv2d_depthwise", "test_Conv2d_depthwise_padded",
        "test_Conv2d_depthwise_strided", "test_Conv2d_depthwise_with_multiplier", "test_Conv2d_dilated",
        "test_Conv2d_groups", "test_Conv2d_groups_thnn", "test_Conv2d_no_bias", "test_Conv2d_padding",
        "test_Conv2d_strided", "test_ConvTranspose2d", "test_ConvTranspose2d_no_bias", "test_GLU", "test_GLU_dim",
        "test_LeakyReLU", "test_LeakyReLU_with_negval", "test_Linear", "test_Linear_no_bias", "test_LogSoftmax",
        "test_MaxPool2d", "test_PixelShuffle", "test_PReLU_2d", "test_PReLU_2d_multiparam", "test_ReLU",
        "test_Sigmoid", "test_Softmax", "test_Tanh", "test_ZeroPad2d", "test_log_softmax_dim3",
        "test_log_softmax_lastdim", "test_softmax_functional_dim3", "test_softmax_lastdim",
        "test_operator_add_broadcast", "test_operator_add_size1_broadcast", "test_operator_add_size1_right_broadcast",
        "test_operator_add_size1_singleton_broadcast", "test_operator_addmm",
        "test_operator_chunk", "test_operator_clip", "test_operator_concat2", "test_operator_conv",
        "test_operator_convtranspose", "test_operator_exp", "test_operator_flatten", "test_operator_index",
        "test_operator_maxpool", "test_operator_mm", "test_operator_pad",
        "test_operator_permute2", "test_operator_pow", "test_operator_reduced_mean",
        "test_operator_reduced_mean_keepdim", "test_operator_sqrt", "test_operator_view",
    };
    return names;
}

} // namespace

class TestOnnxImportPytorch : public QObject {
    Q_OBJECT
private slots:
    void exportedModelsMatchTheirOutputs()
    {
        int passed = 0, refused = 0;
        QStringList mismatches, failedMustPass, refusals;
        std::set<QString> seen;
        for (const char* group : {"pytorch-converted", "pytorch-operator", "simple"}) {
            QDir root(QString(ONNX_TESTDATA_DIR) + "/" + group);
            for (const QString& name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
                seen.insert(name);
                Result result = Result::Passed;
                QString detail;
                try {
                    Case c = loadCase(root.filePath(name));
                    ImportedModel model;
                    detail = compare(importAndRun(c, model), c.outputs);
                    result = detail.isEmpty() ? Result::Passed : Result::Mismatch;
                } catch (const Error& e) {
                    result = Result::Refused;
                    detail = QString::fromStdString(e.what()).section("model.onnx: ", -1).left(160);
                }
                if (result == Result::Passed)
                    ++passed;
                else if (result == Result::Refused) {
                    ++refused;
                    refusals << name + ": " + detail;
                } else {
                    mismatches << name + ": " + detail;
                }
                if (result != Result::Passed && mustPass().count(name))
                    failedMustPass << name + ": " + detail;
            }
        }
        qInfo("%d passed, %d refused with an error, %lld wrong", passed, refused, static_cast<long long>(mismatches.size()));
        for (const QString& r : refusals)
            qInfo("refused %s", qPrintable(r));
        for (const QString& name : mustPass())
            QVERIFY2(seen.count(name), qPrintable("test data missing: " + name));
        QVERIFY2(mismatches.isEmpty(), qPrintable("wrong results:\n" + mismatches.join('\n')));
        QVERIFY2(failedMustPass.isEmpty(), qPrintable("must-pass models failed:\n" + failedMustPass.join('\n')));
    }
};

QTEST_APPLESS_MAIN(TestOnnxImportPytorch)
#include "test_onnx_import_pytorch.moc"
