// The registry's weight-matrix column (core/WeightMatrix.h) against the ops' FP32 kernels:
// for every op kind the [N, K] view times the column's input vectors, scattered by its
// map, plus the bias, reproduces the kernel's output; writing a view back leaves the
// kernel output as the view says; channel maps scale the channels the kernel sees.
// The reference is always the op's FP32 kernel run by the executor on the original node.
#include "OpTestHarness.h"

#include "core/WeightMatrix.h"
#include "core/analog/AnalogLowering.h"

#include <stdexcept>

using namespace tessera;
using namespace tessera::testing;
using Ints = std::vector<int64_t>;

namespace {

Tensor pseudoRandom(const Shape& shape, uint32_t seed)
{
    std::vector<float> v(static_cast<size_t>(numElements(shape)));
    for (float& x : v) {
        seed = seed * 1664525u + 1013904223u;
        x = static_cast<float>((seed >> 8) % 2001) / 1000.0f - 1.0f; // [-1, 1]
    }
    return Tensor::fromVector(v, shape);
}

struct Case {
    const char* name;
    const char* op;
    Shape x, w;
    int64_t bias; // bias elements (0: none)
    Attributes attrs;
};

std::vector<Case> cases()
{
    return {
        {"conv_group_stride_pad", "Conv", {2, 4, 7, 6}, {6, 2, 3, 3}, 6,
         attrs({{"group", int64_t{2}}, {"strides", Ints{2, 1}}, {"pads", Ints{1, 0, 2, 1}}})},
        {"conv_dilated_1d", "Conv", {1, 3, 11}, {4, 3, 3}, 0, attrs({{"dilations", Ints{2}}})},
        {"conv_depthwise", "Conv", {1, 3, 5, 5}, {3, 1, 3, 3}, 3, attrs({{"group", int64_t{3}}, {"pads", Ints{1, 1, 1, 1}}})},
        {"gemm_transB_alpha_beta", "Gemm", {3, 5}, {4, 5}, 4,
         attrs({{"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.0f}})},
        {"gemm_scalar_c", "Gemm", {2, 6}, {6, 3}, 1, attrs({{"alpha", -1.5f}})},
        {"matmul_batched", "MatMul", {2, 3, 5}, {5, 4}, 0, {}},
        {"convT_stride_pad_outpad", "ConvTranspose", {1, 4, 3, 4}, {4, 3, 3, 3}, 3,
         attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 0, 1}}, {"output_padding", Ints{1, 0}}})},
        {"convT_groups_dilations", "ConvTranspose", {2, 4, 4, 3}, {4, 2, 2, 3}, 4,
         attrs({{"group", int64_t{2}}, {"dilations", Ints{2, 1}}, {"strides", Ints{1, 2}}})},
        {"convT_1d_depthwise", "ConvTranspose", {1, 3, 6}, {3, 1, 4}, 3,
         attrs({{"group", int64_t{3}}, {"strides", Ints{3}}, {"pads", Ints{1, 2}}})},
        {"convT_3d_output_shape", "ConvTranspose", {1, 2, 2, 3, 2}, {2, 2, 2, 2, 3}, 2,
         attrs({{"strides", Ints{2, 1, 2}}, {"output_shape", Ints{5, 4, 5}}})},
        {"conv_3d_auto_pad", "Conv", {1, 2, 3, 4, 5}, {3, 2, 2, 3, 3}, 3,
         attrs({{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{1, 2, 2}}})},
    };
}

SingleOpGraph build(const Case& c)
{
    std::vector<OpInput> in = {pseudoRandom(c.x, 1), constant(pseudoRandom(c.w, 2))};
    if (c.bias)
        in.push_back(constant(pseudoRandom({c.bias}, 3)));
    return buildSingleOp(c.op, in, c.attrs);
}

Tensor runFp32(const SingleOpGraph& s) { return Executor(s.graph).run(s.feeds)[0]; }

// Output channel of every output element (channels on axis 1, or the last axis).
std::vector<int64_t> outputChannels(const Graph& g, const Node& node)
{
    const Shape& y = g.value(node.outputs[0]).shape;
    const bool first = channelsFirst(node);
    const int64_t c = first ? y[1] : y.back(), inner = first ? numElements(Shape(y.begin() + 2, y.end())) : 1;
    std::vector<int64_t> ch(static_cast<size_t>(numElements(y)));
    for (size_t i = 0; i < ch.size(); ++i)
        ch[i] = (static_cast<int64_t>(i) / inner) % c;
    return ch;
}

// The array's arithmetic in double: per group, column sums over the vectors; scatter; bias.
Tensor throughColumn(const Graph& g, const Node& node, const Tensor& x)
{
    const WeightMatrixDef& def = *weightMatrixDef(node);
    const WeightMatrix v = weightMatrixOf(g, node);
    int64_t m = 0;
    const std::vector<float> vec = def.inputVectors(g, node, v, x, m);
    const int64_t perGroup = v.cols / v.groups, kTotal = v.groups * v.rows;
    std::vector<double> acc(static_cast<size_t>(m * v.cols), 0.0);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t n = 0; n < v.cols; ++n)
            for (int64_t k = 0; k < v.rows; ++k)
                acc[i * v.cols + n] += double(v.weights[n * v.rows + k]) * vec[i * kTotal + (n / perGroup) * v.rows + k];
    std::vector<double> out(static_cast<size_t>(numElements(g.value(node.outputs[0]).shape)), 0.0);
    scatterAdd(def.scatterMap(g, node, v), acc.data(), out.data());
    const std::vector<int64_t> ch = outputChannels(g, node);
    std::vector<float> y(out.size());
    for (size_t i = 0; i < y.size(); ++i)
        y[i] = static_cast<float>(out[i] + (v.bias.empty() ? 0.0 : v.bias[ch[i]]));
    return Tensor::fromVector(y, g.value(node.outputs[0]).shape);
}

// Multiplies the weights of channel c (output or input channel map) by 1 + step c, and for
// output channels the bias too; writes the view back. Returns the modified view.
WeightMatrix scaleChannels(SingleOpGraph& s, bool output, float step)
{
    WeightMatrix v = weightMatrixOf(s.graph, s.graph.node(s.node));
    const std::vector<int64_t> ch = output ? outChannelMap(v) : inChannelMap(v);
    for (size_t i = 0; i < v.weights.size(); ++i)
        v.weights[i] *= 1.0f + step * static_cast<float>(ch[i]);
    for (size_t c = 0; output && c < v.bias.size(); ++c)
        v.bias[c] *= 1.0f + step * static_cast<float>(c);
    writeWeightMatrix(s.graph, s.node, v);
    inferShapes(s.graph);
    return v;
}

} // namespace

class TestWeightMatrix : public QObject {
    Q_OBJECT
private slots:
    void viewTimesInputVectorsIsTheKernel_data()
    {
        QTest::addColumn<int>("index");
        const std::vector<Case> all = cases();
        for (size_t i = 0; i < all.size(); ++i)
            QTest::newRow(all[i].name) << static_cast<int>(i);
    }
    void viewTimesInputVectorsIsTheKernel()
    {
        QFETCH(int, index);
        const SingleOpGraph s = build(cases()[index]);
        const Node& node = s.graph.node(s.node);
        QVERIFY(whyNotLowerable(s.graph, node).empty());
        QVERIFY(analog::isAnalogPlaced(s.graph, node) && analog::isLowerableAnalogNode(s.graph, node));
        const Tensor y = throughColumn(s.graph, node, s.feeds[0]);
        QVERIFY2(maxAbsDiff(y, runFp32(s)) < 1e-5f, qPrintable(QString::number(maxAbsDiff(y, runFp32(s)))));
    }

    // The gather map of the input-code matrix (every case: im2col with pads, strides,
    // dilations, groups; transposes; ConvTranspose's input pixels) reproduces
    // analogInputMatrix on codes it was not derived from.
    void inputGatherEqualsInputMatrix_data() { viewTimesInputVectorsIsTheKernel_data(); }
    void inputGatherEqualsInputMatrix()
    {
        QFETCH(int, index);
        const SingleOpGraph s = build(cases()[index]);
        const Node& node = s.graph.node(s.node);
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(s.graph, node);
        const std::vector<int32_t> map = analog::analogInputGather(s.graph, node, view);
        QVERIFY(!map.empty());
        Tensor codes(DType::Int32, s.graph.value(node.inputs[0]).shape);
        for (int64_t i = 0; i < codes.numel(); ++i)
            codes.mutableData<int32_t>()[i] = static_cast<int32_t>(i % 17) - 8;
        int64_t m = 0;
        const std::vector<int32_t> want = analog::analogInputMatrix(s.graph, node, view, codes, m);
        std::vector<int32_t> got(map.size(), 99);
        analog::gatherInputMatrix(map, codes.data<int32_t>(), got.data());
        QVERIFY(got == want);
    }

    // The per-sample lowering (every case with one output element per column: all but
    // ConvTranspose): sample s's vectors gathered with sample 0's map at s's input offset
    // are the batch's input-code matrix rows (padding reads the zero point's code), and
    // sample 0's scatter map at s's output offset is scatterAnalogOutput.
    void sampleLoweringReproducesTheBatch_data() { viewTimesInputVectorsIsTheKernel_data(); }
    void sampleLoweringReproducesTheBatch()
    {
        QFETCH(int, index);
        const SingleOpGraph s = build(cases()[index]);
        const Node& node = s.graph.node(s.node);
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(s.graph, node);
        const std::optional<analog::SampleLowering> l = analog::sampleLowering(s.graph, node, view);
        QCOMPARE(l.has_value(), view.scatter == OutputScatter::Permute);
        if (!l)
            return;
        Tensor codes(DType::Int32, s.graph.value(node.inputs[0]).shape);
        for (int64_t i = 0; i < codes.numel(); ++i)
            codes.mutableData<int32_t>()[i] = static_cast<int32_t>(i % 13) - 4;
        int64_t m = 0;
        const std::vector<int32_t> want = analog::analogInputMatrix(s.graph, node, view, codes, m, 3);
        std::vector<int32_t> got(want.size(), 99);
        for (int64_t k = 0; k < l->samples; ++k)
            analog::gatherInputMatrix(l->gather, codes.data<int32_t>() + k * l->inputPerSample,
                                      got.data() + k * l->vectorsPerSample * l->rowLength, 3);
        QVERIFY(got == want);
        std::vector<int32_t> y(static_cast<size_t>(m * view.cols));
        for (size_t i = 0; i < y.size(); ++i)
            y[i] = static_cast<int32_t>(i * 7 % 101);
        Tensor wantOut(DType::Int32, s.graph.value(node.outputs[0]).shape), gotOut = wantOut.clone();
        analog::scatterAnalogOutput(s.graph, node, view, y, wantOut);
        for (int64_t k = 0; k < l->samples; ++k)
            for (size_t j = 0; j < l->scatter.size(); ++j)
                gotOut.mutableData<int32_t>()[k * l->outputPerSample + l->scatter[j]] = y[k * l->scatter.size() + j];
        QVERIFY(gotOut.toFloatVector() == wantOut.toFloatVector());
    }

    void writeBackRoundTripKeepsTheOutput_data() { viewTimesInputVectorsIsTheKernel_data(); }
    void writeBackRoundTripKeepsTheOutput()
    {
        QFETCH(int, index);
        SingleOpGraph s = build(cases()[index]);
        const Tensor before = runFp32(s);
        writeWeightMatrix(s.graph, s.node, weightMatrixOf(s.graph, s.graph.node(s.node)));
        inferShapes(s.graph);
        QVERIFY(maxAbsDiff(runFp32(s), before) < 1e-6f);
    }

    // Output channel c's weights and bias times s_c scale the kernel's output channel c.
    void outputChannelMapScalesKernelChannels_data() { viewTimesInputVectorsIsTheKernel_data(); }
    void outputChannelMapScalesKernelChannels()
    {
        QFETCH(int, index);
        SingleOpGraph s = build(cases()[index]);
        const Tensor before = runFp32(s);
        scaleChannels(s, true, 1.0f);
        const std::vector<int64_t> ch = outputChannels(s.graph, s.graph.node(s.node));
        const Tensor after = runFp32(s);
        for (int64_t i = 0; i < after.numel(); ++i)
            QVERIFY(std::fabs(after.data<float>()[i] - before.data<float>()[i] * (1.0f + ch[i])) < 1e-4f);
    }

    // Input channel c's weights times s_c and the input's channel c divided by s_c: same output.
    void inputChannelMapMatchesInputChannels_data() { viewTimesInputVectorsIsTheKernel_data(); }
    void inputChannelMapMatchesInputChannels()
    {
        QFETCH(int, index);
        SingleOpGraph s = build(cases()[index]);
        const Tensor before = runFp32(s);
        const WeightMatrix v = scaleChannels(s, false, 0.5f);
        Tensor& x = s.feeds[0];
        const bool first = channelsFirst(s.graph.node(s.node));
        const int64_t c = first ? x.dim(1) : x.shape().back(), inner = first ? x.numel() / (x.dim(0) * c) : 1;
        QCOMPARE(v.inChannels(), c);
        for (int64_t i = 0; i < x.numel(); ++i)
            x.mutableData<float>()[i] /= 1.0f + 0.5f * static_cast<float>((i / inner) % c);
        QVERIFY(maxAbsDiff(runFp32(s), before) < 1e-5f);
    }

    void accumulatorScatterIsCol2imForConvTranspose()
    {
        const SingleOpGraph s = build(cases()[6]);
        const Node& node = s.graph.node(s.node);
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(s.graph, node);
        QCOMPARE(view.scatter, OutputScatter::SumBeforeEpilogue);
        // One input vector per input pixel; each column result lands on its tap's pixel.
        const int64_t m = analog::vectorsPerRun(s.graph, node, view);
        QCOMPARE(m, int64_t(3 * 4));
        std::vector<int64_t> acc(static_cast<size_t>(m * view.cols), 1), out(static_cast<size_t>(
                                                                             numElements(s.graph.value(node.outputs[0]).shape)));
        analog::scatterAccumulators(s.graph, node, view, acc.data(), m, out.data());
        // All-ones contributions count the taps reaching each output pixel: the kernel on
        // all-ones input and weights, no bias, gives the same count.
        const Tensor ones = runSingleOp("ConvTranspose", {floats(std::vector<float>(12 * 4, 1.0f), {1, 4, 3, 4}),
                                                          constant(floats(std::vector<float>(4 * 3 * 9, 1.0f), {4, 3, 3, 3}))},
                                        cases()[6].attrs)[0];
        for (size_t i = 0; i < out.size(); ++i)
            QCOMPARE(double(out[i] * 4), double(ones.data<float>()[i])); // 4 input channels per vector
        Tensor codes(DType::Int32, s.graph.value(node.outputs[0]).shape);
        QVERIFY(!errorOf([&] { analog::scatterAnalogOutput(s.graph, node, view, std::vector<int32_t>(acc.size()), codes); })
                     .isEmpty());
    }

    void accumulatorScatterIsAPermutationForConv()
    {
        const SingleOpGraph s = build(cases()[0]);
        const Node& node = s.graph.node(s.node);
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(s.graph, node);
        const int64_t m = analog::vectorsPerRun(s.graph, node, view);
        std::vector<int64_t> acc(static_cast<size_t>(m * view.cols)), out(acc.size());
        for (size_t i = 0; i < acc.size(); ++i)
            acc[i] = static_cast<int64_t>(i);
        analog::scatterAccumulators(s.graph, node, view, acc.data(), m, out.data());
        std::sort(out.begin(), out.end());
        QVERIFY(out == acc);
    }

    void runtimeWeightsArePlacedDigitalWithTheReason()
    {
        const SingleOpGraph s = buildSingleOp("ConvTranspose", {pseudoRandom({1, 2, 3, 3}, 1), pseudoRandom({2, 2, 2, 2}, 2)}, {});
        const Node& node = s.graph.node(s.node);
        const PlacementDecision d = node.op->placeNode(node, s.graph);
        QCOMPARE(d.placement, Placement::Digital);
        QCOMPARE(d.reason, whyNotLowerable(s.graph, node));
        QVERIFY(!analog::isAnalogPlaced(s.graph, node) && !analog::isLowerableAnalogNode(s.graph, node));
        const SingleOpGraph t = buildSingleOp("Gemm", {pseudoRandom({2, 3}, 1), constant(pseudoRandom({2, 4}, 2))},
                                              attrs({{"transA", int64_t{1}}}));
        QCOMPARE(t.graph.node(t.node).op->placeNode(t.graph.node(t.node), t.graph).placement, Placement::Digital);
    }

    void attributesDefaultFromTheRegistry()
    {
        const SingleOpGraph s = build(cases()[4]);
        const Node& node = s.graph.node(s.node);
        QCOMPARE(attrOf<int64_t>(node, "transB"), int64_t{0}); // not set: the declared default
        QCOMPARE(attrOf<float>(node, "beta"), 1.0f);
        QCOMPARE(attrOf<float>(node, "alpha"), -1.5f);         // set
        QVERIFY_THROWS_EXCEPTION(std::logic_error, attrOf<int64_t>(node, "transC"));
        QVERIFY_THROWS_EXCEPTION(std::logic_error, attrOf<float>(node, "transB")); // declared as int
    }
};

QTEST_APPLESS_MAIN(TestWeightMatrix)
#include "test_weight_matrix.moc"
