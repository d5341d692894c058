// The quantization-aware forward (quant/train/QatHooks.h) against the quantized reference
// executor (quant/QuantizedExecutor.h), the independent reference: single Conv (one that
// splits its rows into blocks, a depthwise one), Gemm and MatMul layers quantized by the
// normal calibrator give the executor's output codes; gradients are finite and non-zero;
// with the analog noise on, outputs spread as the executor's noisy runs do.
#include "core/Error.h"
#include "core/ShapeInference.h"
#include "quant/Calibrator.h"
#include "quant/QuantizedExecutor.h"
#include "quant/train/QatHooks.h"

#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

using namespace tessera;
using namespace tessera::quant;
using namespace tessera::train;

namespace {

std::vector<float> normals(int64_t count, uint32_t seed, float sigma = 1.0f)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sigma);
    std::vector<float> v(static_cast<size_t>(count));
    for (float& x : v)
        x = dist(rng);
    return v;
}

Tensor randomTensor(const Shape& shape, uint32_t seed, float sigma = 1.0f)
{
    return Tensor::fromVector<float>(normals(numElements(shape), seed, sigma), shape);
}

// One analog node "layer" reading graph input x, writing graph output y.
Graph oneNode(const std::string& op, const Shape& xShape, const Shape& wShape, const Shape& bShape,
              const Attributes& attrs)
{
    Graph g;
    g.name = "one_" + op;
    const ValueId x = g.addValue("x", DType::Float32, xShape);
    std::vector<ValueId> inputs{x, g.addConstant("W", randomTensor(wShape, 7, 0.3f))};
    if (!bShape.empty())
        inputs.push_back(g.addConstant("B", randomTensor(bShape, 8, 0.2f)));
    const ValueId y = g.addValue("y");
    g.addNode("layer", op, inputs, {y}, attrs);
    g.markGraphInput(x);
    g.markGraphOutput(y);
    inferShapes(g);
    return g;
}

Attributes convAttrs(int64_t group, int64_t stride, bool relu)
{
    Attributes a;
    a.set("group", group);
    a.set("strides", std::vector<int64_t>{stride, stride});
    a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    if (relu)
        a.set("fused_activation", std::string("Relu"));
    return a;
}

torch::Tensor toTorch(const Tensor& t)
{
    const std::vector<float> v = t.toFloatVector();
    return torch::tensor(at::ArrayRef<float>(v)).view(std::vector<int64_t>(t.shape().begin(), t.shape().end()));
}

// The graph quantized by the normal calibrator (no input smoothing: one node stays one
// node), with arrays of `rows` rows.
struct Quantized {
    std::unique_ptr<ModelGraphs> model;
    QuantSpec spec;
    const Graph* graph = nullptr;
    int64_t batch = 0;

    // `calib`: the calibration samples (default: standard normal ones).
    Quantized(Graph g, int64_t rows, int weightBits = 8, const std::function<Tensor(const Shape&)>& calib = {})
    {
        batch = g.value(g.inputs()[0]).shape[0];
        Shape calibShape = g.value(g.inputs()[0]).shape;
        calibShape[0] = 32;
        model = std::make_unique<ModelGraphs>(std::move(g));
        QuantConfig config;
        config.smoothInputs = SmoothingScope::Off;
        config.geometry.rows = rows;
        config.weightBits = weightBits;
        Dataset data;
        data.inputs = calib ? calib(calibShape) : randomTensor(calibShape, 3);
        spec = calibrate(*model, data, config);
        graph = &model->forBatch(batch);
    }
    const Node& node() const { return graph->node(*graph->findNode("layer")); }
    double outScale() const { return spec.findTensor("y")->scale; }
};

// The layer's forward through the hooks; weight (and bias) are trainable leaves.
struct HookRun {
    torch::Tensor input, weight, bias, output;
};

HookRun runHooks(const Quantized& q, QatHooks& hooks, const Tensor& x)
{
    HookRun r;
    const Node& node = q.node();
    r.input = toTorch(x).requires_grad_();
    r.weight = toTorch(q.graph->value(node.inputs[1]).constant).requires_grad_();
    if (node.hasInput(2))
        r.bias = toTorch(q.graph->value(node.inputs[2]).constant).requires_grad_();
    const torch::Tensor in = hooks.value(*q.graph, node.inputs[0], r.input);
    AnalogCall call{*q.graph, node, in, r.weight, r.bias,
                    [](const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) -> torch::Tensor {
                        throw std::logic_error("an analog layer of the spec must not run in FP32");
                    }};
    r.output = hooks.analog(call);
    return r;
}

std::vector<int64_t> codesOf(const std::vector<float>& values, double scale)
{
    std::vector<int64_t> codes;
    for (float v : values)
        codes.push_back(std::llround(v / scale));
    return codes;
}

// Fraction of output codes of the hooks equal to the executor's on the batch x.
double agreement(const Quantized& q, const QuantSpec& spec, QatHooks& hooks, const Tensor& x)
{
    const std::vector<int64_t> expected =
        codesOf(QuantizedExecutor(*q.graph, spec).run({x})[0].toFloatVector(), q.outScale());
    const torch::Tensor out = runHooks(q, hooks, x).output.contiguous();
    const std::vector<int64_t> got =
        codesOf(std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel()), q.outScale());
    if (got.size() != expected.size())
        return 0.0;
    int64_t same = 0;
    for (size_t i = 0; i < got.size(); ++i)
        same += got[i] == expected[i];
    return static_cast<double>(same) / static_cast<double>(got.size());
}

double agreement(const Quantized& q, const QuantSpec& spec, QatHooks& hooks, uint32_t seed)
{
    return agreement(q, spec, hooks, randomTensor(q.graph->value(q.graph->inputs()[0]).shape, seed));
}

// Lopsided samples (about [-0.3, 4]: a ReLU-like tail over a small negative side), which
// the calibrator codes with offset codes.
Tensor lopsided(const Shape& shape, uint32_t seed)
{
    std::vector<float> v = normals(numElements(shape), seed);
    for (float& x : v)
        x = x > 0.0f ? 2.0f * x : 0.15f * x;
    return Tensor::fromVector<float>(v, shape);
}

double agreement(const Quantized& q, const QatOptions& options = {})
{
    auto hooks = makeQatHooks(*q.graph, q.spec, options);
    return agreement(q, q.spec, *hooks, 11);
}

Graph rowSplitConv() { return oneNode("Conv", {2, 4, 8, 8}, {6, 4, 3, 3}, {6}, convAttrs(1, 1, true)); }

// Mean |noisy - ideal| output code over the elements, for the executor (keyed draws) and
// the hooks (core's chip, torch read noise), each averaged over `runs` runs.
std::pair<double, double> noiseSpread(const Quantized& q, const analog::NonIdealities& ni, int runs)
{
    const Tensor x = randomTensor(q.graph->value(q.graph->inputs()[0]).shape, 5);
    const std::vector<float> ideal = QuantizedExecutor(*q.graph, q.spec).run({x})[0].toFloatVector();
    QuantSpec noisy = q.spec;
    noisy.config.nonIdealities = ni;
    QatOptions options;
    options.analogNoise = true;
    options.noise = ni;
    auto hooks = makeQatHooks(*q.graph, q.spec, options);
    double executorDev = 0.0, hooksDev = 0.0;
    for (int run = 0; run < runs; ++run) {
        QuantizedExecutorOptions eo;
        eo.readNoiseStream = static_cast<uint64_t>(run) * 1000; // other vectors: fresh read noise
        const std::vector<float> e = QuantizedExecutor(*q.graph, noisy, eo).run({x})[0].toFloatVector();
        const torch::Tensor h = runHooks(q, *hooks, x).output.contiguous();
        for (size_t i = 0; i < ideal.size(); ++i) {
            executorDev += std::fabs(e[i] - ideal[i]) / q.outScale();
            hooksDev += std::fabs(h.data_ptr<float>()[i] - ideal[i]) / q.outScale();
        }
    }
    executorDev /= static_cast<double>(runs * ideal.size());
    hooksDev /= static_cast<double>(runs * ideal.size());
    qInfo("mean |noisy - ideal| output code: executor %.4f, hooks %.4f", executorDev, hooksDev);
    return {executorDev, hooksDev};
}

} // namespace

class TestQatHooks : public QObject {
    Q_OBJECT
private slots:
    void rowSplitConvEqualsExecutor()
    {
        const Quantized q(rowSplitConv(), 16); // K = 36 rows: 3 blocks of 16, 16, 4
        QCOMPARE(q.spec.layers.at(0).rowBlocks, int64_t{3});
        QCOMPARE(agreement(q), 1.0);
    }

    void depthwiseConvEqualsExecutor()
    {
        const Quantized q(oneNode("Conv", {2, 5, 9, 9}, {5, 1, 3, 3}, {5}, convAttrs(5, 2, false)), 1024);
        QCOMPARE(q.spec.layers.at(0).groups, int64_t{5});
        QCOMPARE(agreement(q), 1.0);
    }

    void gemmEqualsExecutor()
    {
        Attributes a;
        a.set("transB", int64_t{1});
        a.set("alpha", 0.5f);
        a.set("beta", 2.0f);
        const Quantized q(oneNode("Gemm", {6, 40}, {9, 40}, {9}, a), 16); // 3 row blocks
        QCOMPARE(agreement(q), 1.0);
    }

    void matmulEqualsExecutor()
    {
        const Quantized q(oneNode("MatMul", {2, 3, 20}, {20, 7}, {}, {}), 1024);
        QCOMPARE(agreement(q), 1.0);
    }

    // At 3-bit weights the levels clip and round coarsely: still the executor's codes.
    void lowBitsEqualExecutor()
    {
        const Quantized q(rowSplitConv(), 16, 3);
        QCOMPARE(agreement(q), 1.0);
    }

    void gradientsAreFiniteAndNonZero()
    {
        const Quantized q(rowSplitConv(), 16, 4);
        auto hooks = makeQatHooks(*q.graph, q.spec, {});
        HookRun r = runHooks(q, *hooks, randomTensor({2, 4, 8, 8}, 12));
        (r.output * toTorch(randomTensor({2, 6, 8, 8}, 13))).sum().backward();
        const std::vector<torch::Tensor> params = hooks->parameters();
        QCOMPARE(params.size(), size_t{1});
        for (const torch::Tensor& g : {r.input.grad(), r.weight.grad(), r.bias.grad(), params[0].grad()}) {
            QVERIFY(g.defined());
            QVERIFY(torch::isfinite(g).all().item<bool>());
            QVERIFY(g.abs().sum().item<double>() > 0.0);
        }
    }

    // The tuned spec carries the learned scales: the executor run with it still gives the
    // hooks' codes.
    void tunedSpecFollowsLearnedScales()
    {
        const Quantized q(rowSplitConv(), 16, 4);
        auto hooks = makeQatHooks(*q.graph, q.spec, {});
        {
            torch::NoGradGuard noGrad;
            hooks->parameters()[0].add_(torch::linspace(-0.2, 0.3, 6, torch::kDouble));
        }
        const QuantSpec tuned = hooks->tunedSpec();
        QVERIFY(tuned.layers[0].weightScales != q.spec.layers[0].weightScales);
        QCOMPARE(agreement(q, tuned, *hooks, 21), 1.0);
    }

    // A learned activation scale (the input's, made a requantized tensor) moves the DAC codes
    // and the ADC range with it: the executor run with the tuned spec gives the hooks' codes.
    void tunedSpecFollowsLearnedActivationScale()
    {
        Quantized q(rowSplitConv(), 16, 4);
        q.spec.tensors.at("x").policy = "requantize";
        auto hooks = makeQatHooks(*q.graph, q.spec, {});
        const std::vector<torch::Tensor> params = hooks->parameters();
        QCOMPARE(params.size(), size_t{2}); // weight scales, the input's scale
        {
            torch::NoGradGuard noGrad;
            params[1].fill_(-0.7); // codes about twice as large: the largest clip
        }
        const QuantSpec tuned = hooks->tunedSpec();
        QVERIFY(std::fabs(tuned.tensors.at("x").scale / q.spec.tensors.at("x").scale - std::exp(-0.7)) < 1e-12);
        QVERIFY(tuned.layers[0].adcRange >= 2 * q.spec.layers[0].adcRange);
        QCOMPARE(agreement(q, tuned, *hooks, 23), 1.0);
    }

    // Training draws a new chip (programming error) at every step; measuring uses the seed's.
    void trainingDrawsAFreshChipPerStep()
    {
        const Quantized q(rowSplitConv(), 16, 4);
        QatOptions o;
        o.analogNoise = true;
        o.noise.weightProgramNoise = 0.05; // no read noise: a chip's outputs are fixed
        auto hooks = makeQatHooks(*q.graph, q.spec, o);
        const Tensor x = randomTensor({2, 4, 8, 8}, 12);
        hooks->setTraining(false);
        const torch::Tensor seedChip = runHooks(q, *hooks, x).output;
        QVERIFY(runHooks(q, *hooks, x).output.equal(seedChip));
        hooks->setTraining(true);
        const torch::Tensor first = runHooks(q, *hooks, x).output;
        QVERIFY(!first.equal(seedChip));
        QVERIFY(!runHooks(q, *hooks, x).output.equal(first));
    }

    // value(): a quantized tensor is rounded to its codes (gradient 1 inside, 0 where
    // clipped); a tensor kept in float is untouched.
    void valueRoundsToTheTensorCodes()
    {
        const Quantized q(rowSplitConv(), 16);
        auto hooks = makeQatHooks(*q.graph, q.spec, {});
        const TensorQuant& tq = *q.spec.findTensor("x");
        const Tensor x = randomTensor({2, 4, 8, 8}, 14, 3.0f);
        Tensor expected = x.clone();
        fakeQuantize(expected.mutableData<float>(), expected.numel(), tq);
        const torch::Tensor t = toTorch(x).requires_grad_();
        const torch::Tensor r = hooks->value(*q.graph, q.graph->inputs()[0], t);
        QCOMPARE(std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel()), expected.toFloatVector());
        r.sum().backward();
        const double limit = analog::maxCode(tq.bits, tq.isSigned) * tq.scale;
        QVERIFY(torch::equal(t.grad(), (t.abs() <= limit).to(torch::kFloat)));
        QuantSpec floatSpec = q.spec;
        floatSpec.tensors["x"].quantized = false;
        floatSpec.layers.clear(); // its layer would need a quantized input
        QVERIFY(torch::equal(makeQatHooks(*q.graph, floatSpec, {})->value(*q.graph, q.graph->inputs()[0], t), t));
    }

    // The default noise model on a row-split layer: the mean deviation from the ideal
    // output is the executor's within 10%.
    void noiseSpreadMatchesExecutor()
    {
        const Quantized q(rowSplitConv(), 16, 4);
        const auto [executor, hooks] = noiseSpread(q, defaultAnalogNoise(4), 8);
        QVERIFY2(executor > 0.05, qPrintable(QString::number(executor)));
        QVERIFY2(std::fabs(hooks - executor) <= 0.1 * executor,
                 qPrintable(QString("executor %1, hooks %2").arg(executor).arg(hooks)));
    }

    void readNoiseAloneSpreadsAsTheExecutor()
    {
        const Quantized q(oneNode("Gemm", {16, 40}, {40, 9}, {9}, {}), 16);
        analog::NonIdealities ni;
        ni.readNoise = 0.05;
        const auto [executor, hooks] = noiseSpread(q, ni, 8);
        QVERIFY(executor > 0.05);
        QVERIFY2(std::fabs(hooks - executor) <= 0.1 * executor,
                 qPrintable(QString("executor %1, hooks %2").arg(executor).arg(hooks)));
    }

    // An offset-coded (zero-point) input: value() rounds it as core's fakeQuantize does
    // (codes centered on z, core's centeredRange), and the row-split layer reading it gives
    // the executor's output codes (DAC codes x - z, the zero point's share folded as core does).
    void offsetCodedInputEqualsExecutor()
    {
        const Quantized q(rowSplitConv(), 16, 8, [](const Shape& s) { return lopsided(s, 3); });
        const TensorQuant& tq = *q.spec.findTensor("x");
        QVERIFY(!tq.isSigned);
        QVERIFY2(tq.zeroPoint > 0, qPrintable(QString::number(tq.zeroPoint)));
        auto hooks = makeQatHooks(*q.graph, q.spec, {});
        const Tensor x = lopsided({2, 4, 8, 8}, 31);
        Tensor expected = x.clone();
        fakeQuantize(expected.mutableData<float>(), expected.numel(), tq);
        const torch::Tensor r = hooks->value(*q.graph, q.graph->inputs()[0], toTorch(x));
        QCOMPARE(std::vector<float>(r.data_ptr<float>(), r.data_ptr<float>() + r.numel()), expected.toFloatVector());
        QVERIFY(r.min().item<double>() < 0.0); // the negative side is represented, not clipped to 0
        QCOMPARE(agreement(q, q.spec, *hooks, x), 1.0);
    }

    void specForAnotherGraphIsRefused()
    {
        const Quantized q(rowSplitConv(), 16);
        QuantSpec other = q.spec;
        other.layers[0].node = "conv_elsewhere";
        try {
            makeQatHooks(*q.graph, other, {});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("conv_elsewhere") != std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestQatHooks)
#include "test_qat_hooks.moc"
