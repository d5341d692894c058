// Elementwise, activation, softmax/reduce and Resize rows on hand-computed cases the
// ONNX backend tests do not cover (legacy Softmax axis rule, opset-18 forms, optional
// inputs, numerically extreme inputs, Resize modes without backend data).
#include "core/OpRegistry.h"
#include "OpTestHarness.h"

#include <QtTest>

#include <cmath>
#include <cstring>

using namespace tessera;
using namespace tessera::testing;

namespace {

void compareClose(const std::vector<float>& actual, const std::vector<float>& expected, float tol = 1e-5f)
{
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i)
        QVERIFY2(std::abs(actual[i] - expected[i]) <= tol,
                 qPrintable(QString("element %1: %2 vs expected %3").arg(i).arg(actual[i]).arg(expected[i])));
}

Tensor zeros(Shape shape) { return Tensor(DType::Float32, std::move(shape)); }

} // namespace

class TestElementwiseOps : public QObject {
    Q_OBJECT
private slots:
    void softmaxLegacyCoercesTo2D()
    {
        // [1, 2, 2] of zeros: opset 13 normalizes each last-axis pair (0.5 each); opset 11
        // with the default axis 1 normalizes over all 4 trailing elements (0.25 each).
        compareClose(runSingleOp("Softmax", {runtime(zeros({1, 2, 2}))})[0].toFloatVector(), {0.5f, 0.5f, 0.5f, 0.5f});
        Attributes legacy = attrs({{"onnx_opset", int64_t(11)}});
        compareClose(runSingleOp("Softmax", {runtime(zeros({1, 2, 2}))}, legacy)[0].toFloatVector(),
                     {0.25f, 0.25f, 0.25f, 0.25f});
        const float l4 = -std::log(4.0f);
        compareClose(
            runSingleOp("LogSoftmax", {runtime(zeros({1, 2, 2}))}, legacy)[0].toFloatVector(), {l4, l4, l4, l4});
    }

    void softmaxStaysFiniteForHugeInputs()
    {
        const float l2 = -std::log(2.0f);
        compareClose(runSingleOp("LogSoftmax", {runtime(floats({1000, 1000}, {2}))})[0].toFloatVector(), {l2, l2});
        compareClose(runSingleOp("Softmax", {runtime(floats({1000, -1000}, {2}))})[0].toFloatVector(), {1, 0});
        compareClose(runSingleOp("Sigmoid", {runtime(floats({-100, 0, 100}, {3}))})[0].toFloatVector(), {0, 0.5f, 1});
        QCOMPARE(runSingleOp("Softmax", {runtime(zeros({2, 0}))})[0].shape(), Shape({2, 0})); // empty axis: no reads
    }

    void reduceMeanForms()
    {
        // Opset 18: axes as input 1.
        Tensor rows = runSingleOp("ReduceMean", {runtime(iota({2, 3})), constant(ints({1}))})[0];
        QCOMPARE(rows.shape(), Shape({2, 1}));
        compareClose(rows.toFloatVector(), {1, 4});
        Tensor all = runSingleOp("ReduceMean", {runtime(iota({2, 3}))}, attrs({{"keepdims", int64_t(0)}}))[0];
        QCOMPARE(all.shape(), Shape({}));
        compareClose(all.toFloatVector(), {2.5f});
        Tensor noop
            = runSingleOp("ReduceMean", {runtime(iota({2, 3}))}, attrs({{"noop_with_empty_axes", int64_t(1)}}))[0];
        QCOMPARE(noop.shape(), Shape({2, 3}));
        compareClose(noop.toFloatVector(), {0, 1, 2, 3, 4, 5});
        QString message = runError("ReduceMean", {runtime(iota({2, 3})), runtime(ints({1}))});
        QVERIFY2(message.contains("axes (input 1) must be a constant"), qPrintable(message));
    }

    void dropoutIsIdentityWithTrueMask()
    {
        std::vector<Tensor> out
            = runSingleOp("Dropout", {runtime(floats({1, -2}, {2})), constant(Tensor::scalar<float>(0.5f))}, {}, 2);
        compareClose(out[0].toFloatVector(), {1, -2});
        QCOMPARE(out[1].dtype(), DType::Bool);
        QCOMPARE(out[1].toInt64Vector(), std::vector<int64_t>({1, 1}));
        QString message = runError("Dropout", {runtime(floats({1}, {1})), constant(Tensor::scalar<float>(0.5f)),
                                              constant(Tensor::scalar<bool>(true))});
        QVERIFY2(message.contains("training_mode = true is not supported"), qPrintable(message));
    }

    void clipWithOnlyMax()
    {
        compareClose(
            runSingleOp("Clip", {runtime(floats({-5, 0, 7}, {3})), omitted(), constant(Tensor::scalar<float>(6))})[0]
                .toFloatVector(),
            {-5, 0, 6});
    }

    void preluPerChannelSlope()
    {
        // x [1, 2, 1, 2], slope [2, 1, 1]: channel 0 slope 0.5, channel 1 slope 3.
        compareClose(runSingleOp("PRelu", {runtime(floats({-1, 1, -2, 2}, {1, 2, 1, 2})),
                                     constant(floats({0.5f, 3}, {2, 1, 1}))})[0]
                         .toFloatVector(),
                     {-0.5f, 1, -6, 2});
    }

    void pointwiseValues()
    {
        compareClose(runSingleOp("HardSwish", {runtime(floats({-4, -1, 0, 1, 4}, {5}))})[0].toFloatVector(),
                     {0, -1.0f / 3, 0, 2.0f / 3, 4});
        compareClose(runSingleOp("HardSigmoid", {runtime(floats({-3, 0, 3}, {3}))})[0].toFloatVector(), {0, 0.5f, 1});
        compareClose(runSingleOp("Erf", {runtime(floats({0.5f}, {1}))})[0].toFloatVector(), {0.5204998778f});
        compareClose(runSingleOp("LeakyRelu", {runtime(floats({-10, 10}, {2}))})[0].toFloatVector(), {-0.1f, 10});
        QCOMPARE(runSingleOp("Pow", {runtime(ints({3, -2})), constant(ints({4, 3}))})[0].toInt64Vector(),
                 std::vector<int64_t>({81, -8}));
        compareClose(
            runSingleOp("Pow", {runtime(floats({2, 9}, {2})), constant(floats({3, 0.5f}, {2}))})[0].toFloatVector(),
            {8, 3});
        QCOMPARE(runSingleOp("Relu", {runtime(ints({-3, 4}))})[0].toInt64Vector(), std::vector<int64_t>({0, 4}));
    }

    void resizeModesWithoutBackendData()
    {
        auto scales = [](std::vector<float> s) { return constant(floats(s, {static_cast<int64_t>(s.size())})); };
        Attributes nearest = attrs({{"coordinate_transformation_mode", std::string("asymmetric")}});
        nearest.set("nearest_mode", std::string("floor"));
        compareClose(
            runSingleOp("Resize", {runtime(floats({1, 2}, {1, 1, 1, 2})), omitted(), scales({1, 1, 1, 2})}, nearest)[0]
                .toFloatVector(),
            {1, 1, 2, 2});
        // half_pixel linear [0, 1] -> 4: source coordinates -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        compareClose(runSingleOp("Resize", {runtime(floats({0, 1}, {2})), omitted(), scales({2})},
                         attrs({{"mode", std::string("linear")}}))[0]
                         .toFloatVector(),
            {0, 0.25f, 0.75f, 1});
        // half_pixel_symmetric, 3 -> floor(4.5) = 4: offset 1.5 * (1 - 4 / 4.5) keeps the grid centered.
        Attributes symmetric = attrs({{"mode", std::string("linear")}});
        symmetric.set("coordinate_transformation_mode", std::string("half_pixel_symmetric"));
        compareClose(runSingleOp("Resize", {runtime(floats({0, 1, 2}, {3})), omitted(), scales({1.5f})}, symmetric)[0]
                         .toFloatVector(),
            {0, 2.0f / 3, 4.0f / 3, 2});
        // tf_crop_and_resize on roi [0.5, 1.5] of [0 1 2 3] to 3 samples: 1.5, 3, outside -> 10.
        Attributes crop = attrs({{"mode", std::string("linear")}});
        crop.set("coordinate_transformation_mode", std::string("tf_crop_and_resize"));
        crop.set("extrapolation_value", 10.0f);
        compareClose(runSingleOp("Resize",
                         {runtime(floats({0, 1, 2, 3}, {4})), constant(floats({0.5f, 1.5f}, {2})), omitted(),
                             constant(ints({3}))},
                         crop)[0]
                         .toFloatVector(),
            {1.5f, 3, 10});
        // keep_aspect_ratio_policy not_larger over axes [2, 3]: sizes [4, 4] of a 2x4 image keeps 2x4.
        Attributes keep = attrs({{"keep_aspect_ratio_policy", std::string("not_larger")}});
        keep.set("axes", std::vector<int64_t>{2, 3});
        QCOMPARE(
            runSingleOp("Resize", {runtime(iota({1, 1, 2, 4})), omitted(), omitted(), constant(ints({4, 4}))}, keep)[0]
                .shape(),
            Shape({1, 1, 2, 4}));
        // Nearest is a gather, so it works on integer data (label maps) too.
        QCOMPARE(runSingleOp("Resize", {runtime(ints({7, 9})), omitted(), scales({2})}, nearest)[0].toInt64Vector(),
                 std::vector<int64_t>({7, 7, 9, 9}));
        QString message = runError(
            "Resize", {runtime(ints({7, 9})), omitted(), scales({2})}, attrs({{"mode", std::string("linear")}}));
        QVERIFY2(message.contains("int64") && message.contains("not supported"), qPrintable(message));
        message = runError("Resize", {runtime(iota({1, 1, 2, 2})), omitted(), scales({1, 1, 2, 2})},
                          attrs({{"antialias", int64_t(1)}}));
        QVERIFY2(message.contains("Resize node 'node'") && message.contains("antialias"), qPrintable(message));
    }

    // IEEE half bit patterns computed by hand: 1, max finite, overflow, 0.1 (nearest),
    // the smallest subnormal 2^-24, and underflow to zero.
    void castFloat16BothWays()
    {
        Tensor half = runSingleOp("Cast", {runtime(floats({1, 65504, 65520, 0.1f, 5.9604645e-8f, 1e-8f}, {6}))},
                            attrs({{"to", int64_t(10)}}))[0];
        QCOMPARE(half.dtype(), DType::Float16);
        const uint16_t* bits = static_cast<const uint16_t*>(half.rawData());
        QCOMPARE(
            std::vector<uint16_t>(bits, bits + 6), std::vector<uint16_t>({0x3C00, 0x7BFF, 0x7C00, 0x2E66, 0x0001, 0}));

        Tensor in(DType::Float16, {4});
        const uint16_t pattern[4] = {0x3555, 0x8001, 0x7E00, 0xFC00};
        std::memcpy(in.mutableRawData(), pattern, sizeof pattern);
        std::vector<float> back = runSingleOp("Cast", {runtime(in)}, attrs({{"to", int64_t(1)}}))[0].toFloatVector();
        QCOMPARE(back[0], 0.333251953125f);
        QCOMPARE(back[1], -5.9604645e-8f);
        QVERIFY(std::isnan(back[2]));
        QVERIFY(std::isinf(back[3]) && back[3] < 0);
    }

    // Each of this helper's rows names its quantization policy in its doc text.
    void rowsDocumentQuantPolicy()
    {
        for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Erf", "Identity", "Dropout", "Cast",
                               "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
                               "Softmax", "LogSoftmax", "ReduceMean", "Resize", "Concat", "Reshape", "Flatten",
                               "Transpose", "Squeeze", "Unsqueeze", "Pad", "Slice", "Split", "Gather", "Shape",
                               "Constant"}) {
            const OpDef* def = OpRegistry::global().find(op);
            QVERIFY2(def, op);
            QVERIFY2(def->docText().find(quantPolicyName(def->quantPolicyValue())) != std::string::npos,
                     qPrintable(QString("%1: '%2'").arg(op, QString::fromStdString(def->docText()))));
        }
        QCOMPARE(OpRegistry::global().find("Softmax")->quantPolicyValue(), QuantPolicy::KeepFloat);
        QCOMPARE(OpRegistry::global().find("Relu")->quantPolicyValue(), QuantPolicy::ShareScale);
        QCOMPARE(OpRegistry::global().find("Add")->quantPolicyValue(), QuantPolicy::Requantize);
    }
};

QTEST_APPLESS_MAIN(TestElementwiseOps)
#include "test_elementwise_ops.moc"
