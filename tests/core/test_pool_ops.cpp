// Pooling and BatchNormalization rows: hand-computed cases for ceil_mode (including the
// "no window starts in the end padding" rule), count_include_pad, MaxPool Indices with
// both storage orders, global pools, and messages naming the node.
#include "OpTestHarness.h"

using namespace tessera;
using namespace tessera::testing;

class TestPoolOps : public QObject {
    Q_OBJECT
private slots:
    void maxPool2x2OnWideRowsMatchesALoop()
    {
        // 4 x 37 input: 18 outputs per row (a full vector of 16 and a tail of 2, the odd last
        // column dropped); a NaN in the first row pair follows std::max's rule (kept when first).
        std::vector<float> x(4 * 37);
        for (size_t i = 0; i < x.size(); ++i)
            x[i] = static_cast<float>((i * 7919) % 101) - 50.0f;
        x[2] = std::nanf("");
        auto y = runSingleOp("MaxPool", {floats(x, {1, 1, 4, 37})},
                             attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
        QCOMPARE(y[0].shape(), (Shape{1, 1, 2, 18}));
        for (int64_t oh = 0; oh < 2; ++oh)
            for (int64_t ow = 0; ow < 18; ++ow) {
                const float* r0 = x.data() + 2 * oh * 37 + 2 * ow;
                const float want = std::max(std::max(r0[0], r0[1]), std::max(r0[37], r0[38]));
                const float got = y[0].data<float>()[oh * 18 + ow];
                QVERIFY2(std::isnan(want) ? std::isnan(got) : got == want, qPrintable(QString("output %1,%2").arg(oh).arg(ow)));
            }
    }

    void maxPoolCeilMode()
    {
        std::vector<float> x(16);
        for (int i = 0; i < 16; ++i)
            x[i] = static_cast<float>(i + 1);
        auto y = runSingleOp("MaxPool", {floats(x, {1, 1, 4, 4})},
                             attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}));
        expectTensor(y[0], {11, 12, 15, 16}, {1, 1, 2, 2});
    }

    void ceilModeNeverStartsInEndPadding()
    {
        // padded [p,1,2,3,4,5,p], k 2, s 2: ceil would give 4 windows, the 4th starts in the pad.
        auto y = runSingleOp("MaxPool", {floats({1, 2, 3, 4, 5}, {1, 1, 5})},
                             attrs({{"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"pads", Ints{1, 1}},
                                    {"ceil_mode", int64_t{1}}}));
        expectTensor(y[0], {1, 3, 5}, {1, 1, 3});
    }

    void averagePoolCountIncludePad()
    {
        Tensor x = floats({1, 2, 3}, {1, 1, 3});
        Attributes a = attrs({{"kernel_shape", Ints{2}}, {"pads", Ints{1, 1}}});
        expectTensor(runSingleOp("AveragePool", {x}, a)[0], {1, 1.5, 2.5, 3}, {1, 1, 4});
        a.set("count_include_pad", int64_t{1});
        expectTensor(runSingleOp("AveragePool", {x}, a)[0], {0.5, 1.5, 2.5, 1.5}, {1, 1, 4});
    }

    void averagePoolCeilWindowPastInputIsNotPadding()
    {
        // windows at 0, 2, 4 over [1..6]; the last one covers 5, 6 and nothing (not padding).
        Tensor x = floats({1, 2, 3, 4, 5, 6}, {1, 1, 6});
        Attributes a = attrs({{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"ceil_mode", int64_t{1}},
                              {"count_include_pad", int64_t{1}}});
        expectTensor(runSingleOp("AveragePool", {x}, a)[0], {2, 4, 5.5}, {1, 1, 3});
    }

    void maxPoolIndicesBothStorageOrders()
    {
        // two channels of [[1,5,2],[7,3,9]]; 2x2 windows: maxima 7 at (1,0) and 9 at (1,2).
        Tensor x = floats({1, 5, 2, 7, 3, 9, 1, 5, 2, 7, 3, 9}, {1, 2, 2, 3});
        Attributes a = attrs({{"kernel_shape", Ints{2, 2}}});
        auto y = runSingleOp("MaxPool", {x}, a, 2);
        expectTensor(y[0], {7, 9, 7, 9}, {1, 2, 1, 2});
        QCOMPARE(y[1].toInt64Vector(), std::vector<int64_t>({3, 5, 9, 11}));
        a.set("storage_order", int64_t{1});
        y = runSingleOp("MaxPool", {x}, a, 2);
        QCOMPARE(y[1].toInt64Vector(), std::vector<int64_t>({1, 5, 7, 11})); // h + w * H, plus plane offset
    }

    void maxPoolDilationAndUint8()
    {
        Tensor x = Tensor::fromVector<uint8_t>({9, 1, 2, 8, 3, 7}, {1, 1, 6});
        auto y = runSingleOp("MaxPool", {x}, attrs({{"kernel_shape", Ints{2}}, {"dilations", Ints{3}}}));
        QCOMPARE(y[0].dtype(), DType::UInt8);
        QCOMPARE(y[0].toInt64Vector(), std::vector<int64_t>({9, 3, 7})); // max(x[i], x[i+3])
    }

    void globalPools()
    {
        Tensor x = floats({1, 2, 3, 4, -1, -2, -3, -4}, {1, 2, 2, 2});
        expectTensor(runSingleOp("GlobalAveragePool", {x})[0], {2.5, -2.5}, {1, 2, 1, 1});
        expectTensor(runSingleOp("GlobalMaxPool", {x})[0], {4, -1}, {1, 2, 1, 1});
    }

    void poolMessagesAndPolicies()
    {
        QString msg = buildError("MaxPool", {Tensor(DType::Float32, {1, 1, 4, 4})}, {});
        QVERIFY2(msg.contains("bad_node") && msg.contains("kernel_shape attribute is required"), qPrintable(msg));
        msg = buildError("AveragePool", {Tensor(DType::Float32, {1, 4, 4})}, attrs({{"kernel_shape", Ints{2, 2}}}));
        QVERIFY2(msg.contains("bad_node") && msg.contains("'kernel_shape' has 2 values, expected 1"), qPrintable(msg));
        msg = buildError("MaxPool", {Tensor(DType::Float32, {1, 1, 4, 4})},
                         attrs({{"kernel_shape", Ints{2, 2}}, {"auto_pad", std::string("SAME")}}));
        QVERIFY2(msg.contains("unknown auto_pad 'SAME'"), qPrintable(msg));
        const OpRegistry& reg = OpRegistry::global();
        QCOMPARE(reg.find("MaxPool")->quantPolicyValue(), QuantPolicy::ShareScale);
        QCOMPARE(reg.find("GlobalMaxPool")->quantPolicyValue(), QuantPolicy::ShareScale);
        QCOMPARE(reg.find("AveragePool")->quantPolicyValue(), QuantPolicy::Requantize);
        QCOMPARE(reg.find("GlobalAveragePool")->quantPolicyValue(), QuantPolicy::Requantize);
        SingleOpGraph s = buildSingleOp("MaxPool", {Tensor(DType::Float32, {1, 2, 4, 4})},
                                        attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
        QCOMPARE(s.graph.node(s.node).op->costOf(s.graph.node(s.node), s.graph).macs, int64_t{8 * 4});
    }

    void batchNormInference()
    {
        // ch0: (x - 1) / 2; ch1: 2 (x - 3) / 0.5 + 1.
        auto y = runSingleOp("BatchNormalization",
                             {floats({1, 2, 3, 4}, {1, 2, 1, 2}), constant(floats({1, 2}, {2})),
                              constant(floats({0, 1}, {2})), constant(floats({1, 3}, {2})),
                              constant(floats({4, 0.25}, {2}))},
                             attrs({{"epsilon", 0.0f}}));
        expectTensor(y[0], {0, 0.5, 1, 5}, {1, 2, 1, 2});
    }

    void batchNormRefusesTrainingAndBadShapes()
    {
        Tensor c(DType::Float32, {2});
        std::vector<OpInput> in = {Tensor(DType::Float32, {1, 2, 2}), c, c, c, c};
        QString msg = buildError("BatchNormalization", in, attrs({{"training_mode", int64_t{1}}}));
        QVERIFY2(msg.contains("bad_node") && msg.contains("training mode"), qPrintable(msg));
        in[3] = Tensor(DType::Float32, {3});
        msg = buildError("BatchNormalization", in, {});
        QVERIFY2(msg.contains("input_mean shape [3] does not match the 2 channels"), qPrintable(msg));
    }
};

QTEST_APPLESS_MAIN(TestPoolOps)
#include "test_pool_ops.moc"
