// The quantized reference executor on hand-built graphs: a ConvTranspose on arrays (its
// column sums scattered before the epilogue) equals the FP32 op when every step is exact,
// and the non-idealities are order-independent: the same seed gives identical outputs for
// any batch split, and a block-by-block reference in shuffled order draws the same noise;
// a layer whose op is not the node's is refused.
#include "core/Error.h"
#include "core/Executor.h"
#include "core/ShapeInference.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/AnalogModel.h"
#include "core/analog/Random.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace tessera;
using namespace tessera::analog;
using namespace tessera::quant;

namespace {

// ConvTranspose 2 -> 3 channels, 2x2 kernel, stride 2 on a 3x3 input, integer weights and
// bias: with unit scales, 16-bit codes and a 32-bit ADC every step of the analog model is
// exact, so the quantized output must equal the FP32 op's exactly.
Graph convTransposeGraph(int64_t batch)
{
    Graph g;
    g.name = "deconv";
    std::vector<float> w(2 * 3 * 2 * 2), b{1, -2, 3};
    for (size_t i = 0; i < w.size(); ++i)
        w[i] = static_cast<float>(static_cast<int>(i * 7 % 11) - 5);
    const ValueId x = g.addValue("x", DType::Float32, {batch, 2, 3, 3});
    const ValueId wv = g.addConstant("W", Tensor::fromVector<float>(w, {2, 3, 2, 2}));
    const ValueId bv = g.addConstant("B", Tensor::fromVector<float>(b, {3}));
    const ValueId y = g.addValue("y");
    Attributes a;
    a.set("strides", std::vector<int64_t>{2, 2});
    g.addNode("up", "ConvTranspose", {x, wv, bv}, {y}, a);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

QuantSpec unitSpec(const Graph& g, int inputBits)
{
    const AnalogMatmulView view = lowerAnalogNode(g, g.node(*g.findNode("up")));
    QuantSpec s;
    s.config.adcBits = 32;
    s.tensors["x"] = TensorQuant{true, 1.0, inputBits, true, -9, 9, "graph-input"};
    s.tensors["y"] = TensorQuant{true, 1.0, 16, true, -500, 500, "analog-matmul"};
    LayerQuant l;
    l.node = "up";
    l.input = "x";
    l.output = "y";
    l.inputBits = inputBits;
    l.adcBits = 32; // transparent: step 1, no clipping
    l.rows = view.rows;
    l.cols = view.cols;
    l.groups = view.groups;
    l.weightScales.assign(static_cast<size_t>(view.cols), 1.0);
    s.layers.push_back(l);
    return s;
}

Tensor integerInput(int64_t batch)
{
    Tensor x(DType::Float32, {batch, 2, 3, 3});
    for (int64_t i = 0; i < x.numel(); ++i)
        x.mutableData<float>()[i] = static_cast<float>(static_cast<int>(i * 5 % 13) - 6);
    return x;
}


// A tiny recognizer-like sequence model: x [N, 2, 1, W] -> Conv 1x3 (pad 1) -> HardSwish ->
// Conv 1x3 (pad 1) -> y [N, 3, 1, W]. HardSwish's output (>= -0.375) is the lopsided DAC
// input offset codes are for; the second conv's padding must read the zero point.
constexpr int64_t kSeqWidth = 12;
std::vector<float> seqWeights(int64_t count, int64_t salt)
{
    std::vector<float> w(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        w[i] = static_cast<float>(std::sin(0.9 * double(i) + double(salt)) * 0.6);
    return w;
}
Graph hardSwishSequenceGraph(int64_t batch)
{
    Graph g;
    g.name = "seq";
    const ValueId x = g.addValue("x", DType::Float32, {batch, 2, 1, kSeqWidth});
    Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{1, 3});
    a.set("pads", std::vector<int64_t>{0, 1, 0, 1});
    const ValueId h = g.addValue("h"), hs = g.addValue("hs"), y = g.addValue("y");
    g.addNode("c1", "Conv", {x, g.addConstant("W1", Tensor::fromVector<float>(seqWeights(8 * 2 * 3, 1), {8, 2, 1, 3}))},
              {h}, a);
    g.addNode("act", "HardSwish", {h}, {hs});
    g.addNode("c2", "Conv", {hs, g.addConstant("W2", Tensor::fromVector<float>(seqWeights(3 * 8 * 3, 2), {3, 8, 1, 3}))},
              {y}, a);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}
// The FP32 reference written out: conv 1x3 with zero padding over the width, no bias.
std::vector<double> conv1x3(const std::vector<double>& x, int64_t cin, const std::vector<float>& w, int64_t cout)
{
    std::vector<double> y(static_cast<size_t>(cout * kSeqWidth), 0.0);
    for (int64_t o = 0; o < cout; ++o)
        for (int64_t t = 0; t < kSeqWidth; ++t)
            for (int64_t c = 0; c < cin; ++c)
                for (int64_t k = 0; k < 3; ++k)
                    if (t + k - 1 >= 0 && t + k - 1 < kSeqWidth)
                        y[o * kSeqWidth + t] += w[(o * cin + c) * 3 + k] * x[c * kSeqWidth + t + k - 1];
    return y;
}
std::vector<double> seqReference(const float* sample)
{
    std::vector<double> h = conv1x3(std::vector<double>(sample, sample + 2 * kSeqWidth), 2, seqWeights(48, 1), 8);
    for (double& v : h)
        v = v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    return conv1x3(h, 8, seqWeights(72, 2), 3);
}
} // namespace

class TestQuantizedExecutor : public QObject {
    Q_OBJECT
private slots:
    void convTransposeOnArraysEqualsTheFp32Op()
    {
        const Graph g = convTransposeGraph(2);
        QVERIFY(isAnalogPlaced(g, g.node(*g.findNode("up"))));
        const QuantSpec spec = unitSpec(g, 8);
        QuantizedExecutor q(g, spec);
        QVERIFY(q.digitalFallbacks().empty());
        const Tensor x = integerInput(2);
        const Tensor expected = Executor(g).run({x})[0];
        QCOMPARE(q.run({x})[0].toFloatVector(), expected.toFloatVector());
    }

    // A layer whose op is not the node's (a file for another model, or edited) is refused
    // naming the layer and both ops (issue 12: it was used silently).
    void layerOfAnotherOpIsRefused()
    {
        const Graph g = convTransposeGraph(1);
        QuantSpec spec = unitSpec(g, 8);
        spec.layers[0].opType = "ConvTranspose";
        QuantizedExecutor same(g, spec);
        spec.layers[0].opType = "Conv";
        spec.source = "up.json"; // as readQuantSpec records it: the error names the file
        QString e;
        try {
            QuantizedExecutor other(g, spec);
        } catch (const Error& err) {
            e = err.what();
        }
        QVERIFY2(e.startsWith("up.json: layer 'up'") && e.contains("op 'Conv'") && e.contains("node is a 'ConvTranspose'"),
                 qPrintable(e));
    }

    // Every non-ideality on: running 6 samples at once, one by one, or as 4 + 2 gives
    // identical outputs (noise keyed by sample, not by call or batch).
    void noiseIsTheSameForAnyBatchSplit()
    {
        QuantSpec spec = unitSpec(convTransposeGraph(6), 8);
        spec.config.nonIdealities = {0.02, 0.02, 0.3, 11};
        const Tensor all = integerInput(6);
        auto runRows = [&](int64_t first, int64_t count) {
            const Graph g = convTransposeGraph(count);
            QuantizedExecutorOptions o;
            o.readNoiseStream = static_cast<uint64_t>(first);
            Tensor x(DType::Float32, {count, 2, 3, 3});
            std::copy_n(all.data<float>() + first * 18, count * 18, x.mutableData<float>());
            return QuantizedExecutor(g, spec, o).run({x})[0].toFloatVector();
        };
        const std::vector<float> whole = runRows(0, 6);
        std::vector<float> single, split = runRows(0, 4);
        for (int64_t i = 0; i < 6; ++i) {
            const std::vector<float> one = runRows(i, 1);
            single.insert(single.end(), one.begin(), one.end());
        }
        const std::vector<float> rest = runRows(4, 2);
        split.insert(split.end(), rest.begin(), rest.end());
        QCOMPARE(single, whole);
        QCOMPARE(split, whole);
        QuantSpec otherSeed = spec;
        otherSeed.config.nonIdealities.seed = 12;
        QVERIFY(QuantizedExecutor(convTransposeGraph(6), otherSeed).run({all})[0].toFloatVector() != whole);
    }

    // An independent block-by-block reference that visits (block, column, vector) in a
    // shuffled order and draws each noise value from its key gives the layer's accumulators.
    void shuffledBlockOrderDrawsTheSameNoise()
    {
        const int64_t m = 5, k = 7, n = 4, rpb = 3, blocks = 3;
        AnalogLayerParams p;
        p.name = "dense";
        p.rows = k;
        p.cols = n;
        p.numerics.adcBits = 10;
        p.numerics.rowsPerBlock = rpb;
        p.inputScale = 1.0;
        p.weightScales.assign(n, 1.0);
        p.output.scale = 1.0;
        std::vector<float> w(n * k);
        std::vector<int32_t> x(m * k);
        for (int64_t i = 0; i < n * k; ++i)
            w[i] = static_cast<float>(i * 37 % 255 - 127);
        for (int64_t i = 0; i < m * k; ++i)
            x[i] = static_cast<int32_t>(i * 53 % 256);
        const NonIdealities ni{0.0, 0.05, 0.4, 99};
        const AnalogLayer layer(p, w.data(), {}, ni);
        const int64_t firstVector = 1000; // these vectors sit deep inside a data set
        const std::vector<int64_t> got = layer.accumulate(x.data(), m, firstVector);

        std::vector<std::array<int64_t, 3>> order; // (block, column, vector)
        for (int64_t b = 0; b < blocks; ++b)
            for (int64_t c = 0; c < n; ++c)
                for (int64_t i = 0; i < m; ++i)
                    order.push_back({b, c, i});
        std::shuffle(order.begin(), order.end(), std::mt19937(5));
        const uint64_t key = Random::nameKey("dense");
        const double sigma = ni.readNoise * 255.0 * 127.0;
        const int shift = layer.programmed().adcShifts[0];
        std::vector<int64_t> ref(m * n, 0);
        for (const auto& [b, c, i] : order) {
            int64_t sum = 0;
            for (int64_t r = b * rpb; r < std::min(k, (b + 1) * rpb); ++r)
                sum += int64_t(x[i * k + r]) * layer.weightLevels()[c * k + r];
            const double noisy = sum + sigma * readNoiseDraw(ni, key, b, c, firstVector + i);
            ref[i * n + c] += adcConvertNoisy(noisy, shift, 511, adcOffsetLsb(ni, key, b, c));
        }
        QCOMPARE(got, ref);
    }
    // Offset codes against symmetric ones on the HardSwish sequence model, both scored
    // against the FP32 reference written out above: the HardSwish output gets a zero point
    // and the output's SQNR improves by more than 2 dB (that tensor's step is about half as large;
    // the input and the weights add their own 8-bit noise).
    void offsetCodesBeatSymmetricOnAHardSwishSequence()
    {
        const int64_t n = 48;
        Dataset data;
        data.inputs = Tensor(DType::Float32, {n, 2, 1, kSeqWidth});
        std::mt19937 gen(5);
        std::uniform_real_distribution<float> u(-3.0f, 4.0f);
        for (int64_t i = 0; i < data.inputs.numel(); ++i)
            data.inputs.mutableData<float>()[i] = u(gen);
        int64_t zeroPoint[2] = {-1, -1}; // of the HardSwish output, symmetric and offset runs
        auto sqnrDb = [&](bool offset) {
            ModelGraphs model(hardSwishSequenceGraph(1));
            QuantConfig c;
            c.offsetCoding = offset;
            c.smoothInputs = SmoothingScope::Off;
            const QuantSpec spec = calibrate(model, data, c);
            zeroPoint[offset] = spec.findTensor("hs")->zeroPoint;
            const Graph& g = model.forBatch(n);
            const std::vector<float> got = QuantizedExecutor(g, spec).run({data.inputs})[0].toFloatVector();
            double signal = 0, noise = 0;
            for (int64_t i = 0; i < n; ++i) {
                const std::vector<double> ref = seqReference(data.inputs.data<float>() + i * 2 * kSeqWidth);
                for (size_t j = 0; j < ref.size(); ++j) {
                    signal += ref[j] * ref[j];
                    noise += (got[i * ref.size() + j] - ref[j]) * (got[i * ref.size() + j] - ref[j]);
                }
            }
            return 10.0 * std::log10(signal / noise);
        };
        const double symmetric = sqnrDb(false), offset = sqnrDb(true);
        QCOMPARE(zeroPoint[0], int64_t(0));
        QVERIFY(zeroPoint[1] > 0);
        qInfo("HardSwish sequence: output SQNR symmetric %.1f dB, offset codes %.1f dB", symmetric, offset);
        QVERIFY2(offset > symmetric + 2.0, qPrintable(QString("%1 vs %2").arg(offset).arg(symmetric)));
    }
};

QTEST_APPLESS_MAIN(TestQuantizedExecutor)
#include "test_quantized_executor.moc"
