// Conv and ConvTranspose rows: hand-computed cases for groups, depthwise, dilation,
// asymmetric pads, auto_pad, output_padding/output_shape, fused activations, messages,
// placement and cost. (The ONNX backend node tests run in test_onnx_conformance.)
#include "OpTestHarness.h"

#include "core/OpRegistry.h"

using namespace tessera;
using namespace tessera::testing;

namespace {
// 3x3 input 1..9; a 3x3 box filter with pad 1 gives the neighbourhood sums below.
const std::vector<float> kNine = {1, 2, 3, 4, 5, 6, 7, 8, 9};
const std::vector<float> kBoxSums = {12, 21, 16, 27, 45, 33, 24, 39, 28};
std::vector<float> scaled(std::vector<float> v, float s)
{
    for (float& x : v)
        x *= s;
    return v;
}
std::vector<float> concat(std::vector<float> a, const std::vector<float>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
} // namespace

class TestConvOps : public QObject {
    Q_OBJECT
private slots:
    void groupsMapChannelsToTheirFilters()
    {
        // group 2, 1x1 kernels: channel 0 x2 + 1, channel 1 x3 - 1.
        Tensor x = floats({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
        auto y = runSingleOp("Conv", {x, constant(floats({2, 3}, {2, 1, 1, 1})), constant(floats({1, -1}, {2}))},
                             attrs({{"group", int64_t{2}}}));
        expectTensor(y[0], {3, 5, 7, 9, 14, 17, 20, 23}, {1, 2, 2, 2});
    }

    void depthwiseWithPaddingAndMultiplier()
    {
        // 2 channels, group 2, multiplier 2: filters 1x, 2x on channel 0 and 3x, 4x on channel 1.
        Tensor x = floats(concat(kNine, scaled(kNine, 10)), {1, 2, 3, 3});
        std::vector<float> w(4 * 9, 1.0f);
        for (int m = 0; m < 4; ++m)
            for (int k = 0; k < 9; ++k)
                w[m * 9 + k] = static_cast<float>(m + 1);
        auto y = runSingleOp("Conv", {x, constant(floats(w, {4, 1, 3, 3}))},
                             attrs({{"group", int64_t{2}}, {"pads", Ints{1, 1, 1, 1}}}));
        std::vector<float> expected = concat(concat(kBoxSums, scaled(kBoxSums, 2)),
                                             concat(scaled(kBoxSums, 30), scaled(kBoxSums, 40)));
        expectTensor(y[0], expected, {1, 4, 3, 3});
    }

    void denseConvSumsChannels()
    {
        // Same data through the im2col + GEMM path: one filter over both channels.
        Tensor x = floats(concat(kNine, scaled(kNine, 10)), {1, 2, 3, 3});
        auto y = runSingleOp("Conv", {x, constant(floats(std::vector<float>(18, 1.0f), {1, 2, 3, 3}))},
                             attrs({{"pads", Ints{1, 1, 1, 1}}}));
        expectTensor(y[0], scaled(kBoxSums, 11), {1, 1, 3, 3});
    }

    void batchedImagesShareOneGemm()
    {
        // Small outputs put several images side by side in one GEMM; each image's result
        // must land in its own planes: y = x0 + 10 x1 + 0.5, per image.
        std::vector<float> x;
        for (int n = 0; n < 3; ++n)
            for (int c = 0; c < 2; ++c)
                for (int p = 0; p < 2; ++p)
                    x.push_back(static_cast<float>(n * 100 + c * 2 + p));
        auto y = runSingleOp("Conv", {floats(x, {3, 2, 2}), floats({1, 10, -1, 0}, {2, 2, 1}), floats({0.5, 0}, {2})});
        expectTensor(y[0], {20.5, 31.5, 0, -1, 1120.5, 1131.5, -100, -101, 2220.5, 2231.5, -200, -201}, {3, 2, 2});
    }

    void dilationSkipsInputs()
    {
        // y[i] = x0[i] + 10 x0[i+2] + 100 x1[i] (x1 = ones), dilation 2.
        Tensor x = floats({1, 2, 3, 4, 5, 1, 1, 1, 1, 1}, {1, 2, 5});
        auto y = runSingleOp("Conv", {x, floats({1, 10, 100, 0}, {1, 2, 2})}, attrs({{"dilations", Ints{2}}}));
        expectTensor(y[0], {131, 142, 153}, {1, 1, 3});
    }

    void asymmetricPadsWithStride()
    {
        // padded input [0,1,2,3,4,5], kernel [1,1], stride 2 -> windows at 0, 2, 4.
        auto y = runSingleOp("Conv", {floats({1, 2, 3, 4, 5}, {1, 1, 5}), floats({1, 1}, {1, 1, 2})},
                             attrs({{"pads", Ints{1, 0}}, {"strides", Ints{2}}}));
        expectTensor(y[0], {1, 5, 9}, {1, 1, 3});
    }

    void autoPadSameUpperAndLower()
    {
        // 4 inputs, kernel 2: one pad; SAME_UPPER puts it at the end, SAME_LOWER at the start.
        Tensor x = floats({1, 2, 3, 4}, {1, 1, 4});
        Tensor w = floats({1, 1}, {1, 1, 2});
        expectTensor(runSingleOp("Conv", {x, w}, attrs({{"auto_pad", std::string("SAME_UPPER")}}))[0], {3, 5, 7, 4},
                     {1, 1, 4});
        expectTensor(runSingleOp("Conv", {x, w}, attrs({{"auto_pad", std::string("SAME_LOWER")}}))[0], {1, 3, 5, 7},
                     {1, 1, 4});
        expectTensor(runSingleOp("Conv", {x, w}, attrs({{"auto_pad", std::string("VALID")}, {"pads", Ints{1, 1}}}))[0],
                     {3, 5, 7}, {1, 1, 3});
    }

    void fusedActivationsApplyToOutput()
    {
        Tensor x = floats({-2, -1, 1, 2}, {1, 2, 2});
        Tensor w = floats({1, 0, 0, -1}, {2, 2, 1}); // out channel 0 = x0, channel 1 = -x1
        expectTensor(runSingleOp("Conv", {x, w}, attrs({{"fused_activation", std::string("Relu")}}))[0],
                     {0, 0, 0, 0}, {1, 2, 2});
        expectTensor(runSingleOp("Conv", {x, w},
                                 attrs({{"fused_activation", std::string("Clip")}, {"fused_min", -1.5f},
                                        {"fused_max", 0.5f}}))[0],
                     {-1.5, -1, -1, -1.5}, {1, 2, 2});
    }

    void channelMismatchNamesNodeAndChannels()
    {
        QString msg = buildError("Conv", {Tensor(DType::Float32, {1, 3, 4, 4}), Tensor(DType::Float32, {2, 1, 3, 3})},
                                 {});
        QVERIFY2(msg.contains("bad_node") && msg.contains("input channels 3 do not match weight's 1 x group 1"),
                 qPrintable(msg));
        msg = buildError("Conv", {Tensor(DType::Float32, {1, 1, 2, 2}), Tensor(DType::Float32, {1, 1, 3, 3})}, {});
        QVERIFY2(msg.contains("bad_node") && msg.contains("exceeds the padded input"), qPrintable(msg));
        msg = buildError("Conv", {Tensor(DType::Float32, {1, 1, 4, 4}), Tensor(DType::Float32, {1, 1, 3, 3})},
                         attrs({{"pads", Ints{1, 1}}}));
        QVERIFY2(msg.contains("'pads' has 2 values, expected 4"), qPrintable(msg));
    }

    void placementQuantAndCost()
    {
        SingleOpGraph s = buildSingleOp("Conv", {Tensor(DType::Float32, {2, 2, 4, 4}),
                                                 constant(Tensor(DType::Float32, {3, 2, 3, 3})),
                                                 constant(Tensor(DType::Float32, {3}))},
                                        attrs({{"pads", Ints{1, 1, 1, 1}}}));
        const Node& node = s.graph.node(s.node);
        QCOMPARE(node.op->placeNode(node, s.graph).placement, Placement::Analog);
        QCOMPARE(node.op->quantPolicyValue(), QuantPolicy::AnalogMatmul);
        OpCost cost = node.op->costOf(node, s.graph);
        QCOMPARE(cost.macs, int64_t{2 * 3 * 16 * 18}); // outputs x (C x 3 x 3)
        QCOMPARE(cost.params, int64_t{54 + 3});
        SingleOpGraph dyn = buildSingleOp("Conv", {Tensor(DType::Float32, {1, 1, 3, 3}), Tensor(DType::Float32, {1, 1, 1, 1})}, {});
        QCOMPARE(dyn.graph.node(dyn.node).op->placeNode(dyn.graph.node(dyn.node), dyn.graph).placement, Placement::Digital);
    }

    void convTransposeStrideOutputPaddingAndPads()
    {
        // [1,2] scattered through [1,1,1] with stride 2: [1,1,1+2,2,2].
        Tensor x = floats({1, 2}, {1, 1, 2});
        Tensor w = floats({1, 1, 1}, {1, 1, 3});
        expectTensor(runSingleOp("ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}}))[0], {1, 1, 3, 2, 2},
                     {1, 1, 5});
        expectTensor(runSingleOp("ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"output_padding", Ints{1}}}))[0],
                     {1, 1, 3, 2, 2, 0}, {1, 1, 6});
        expectTensor(runSingleOp("ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"output_shape", Ints{6}}}))[0],
                     {1, 1, 3, 2, 2, 0}, {1, 1, 6});
        expectTensor(runSingleOp("ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"pads", Ints{1, 1}}}))[0],
                     {1, 3, 2}, {1, 1, 3});
        // SAME_UPPER: output = input x stride, the odd crop at the end.
        expectTensor(runSingleOp("ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}}))[0],
                     {1, 1, 3, 2}, {1, 1, 4});
    }

    void convTransposeGroupsAndBias()
    {
        // group 2: channel 0 -> [1,2] filter, channel 1 -> [3,4] filter; bias 10, 20.
        auto y = runSingleOp("ConvTranspose",
                             {floats({1, 2}, {1, 2, 1}), constant(floats({1, 2, 3, 4}, {2, 1, 2})),
                              constant(floats({10, 20}, {2}))},
                             attrs({{"group", int64_t{2}}}));
        expectTensor(y[0], {11, 12, 26, 28}, {1, 2, 2});
        SingleOpGraph s = buildSingleOp("ConvTranspose", {Tensor(DType::Float32, {1, 2, 3}),
                                                          constant(Tensor(DType::Float32, {2, 4, 2}))}, {});
        const Node& node = s.graph.node(s.node);
        QCOMPARE(node.op->costOf(node, s.graph).macs, int64_t{2 * 3 * 4 * 2}); // inputs x (M x k)
        QCOMPARE(node.op->placeNode(node, s.graph).placement, Placement::Analog);
    }

    void convTransposeChannelMismatch()
    {
        QString msg = buildError("ConvTranspose", {Tensor(DType::Float32, {1, 3, 4}), Tensor(DType::Float32, {2, 1, 3})}, {});
        QVERIFY2(msg.contains("bad_node") && msg.contains("input channels 3 do not match weight's first dim 2"),
                 qPrintable(msg));
    }
};

QTEST_APPLESS_MAIN(TestConvOps)
#include "test_conv_ops.moc"
