// AdaRound on libtorch: per analog layer, learn up/down rounding of every weight level
// (quant/train/AdaRound.h; Nagel et al. 2020). The layer is taken as the array sees it:
// the [N, K] weight matrix of the registry's weight-matrix column and the input vectors
// [M, groups * K] (im2col pixels, rows of A), so one forward serves Conv, Gemm and MatMul.
#include "quant/train/AdaRound.h"

#include "core/Error.h"
#include "core/Executor.h"
#include "core/WeightMatrix.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/Numerics.h"
#include "core/analog/Random.h"
#include "core/analog/SpecProgramming.h"
#include "quant/BiasCorrection.h"
#include "quant/QuantizedExecutor.h"
#include "quant/TunedModel.h"
#include "quant/train/TorchRuntime.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace tessera::train {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The rectified sigmoid's stretch (the paper's zeta, gamma).
constexpr double kZeta = 1.1, kGamma = -0.1;

torch::Tensor rectifiedSigmoid(const torch::Tensor& v)
{
    return torch::clamp(torch::sigmoid(v) * (kZeta - kGamma) + kGamma, 0.0, 1.0);
}

// One layer as the array computes it, in real units: out = clamp(x W^T + bias).
struct LayerProblem {
    std::string name;
    NodeId node = kNoNode;
    int64_t groups = 1, rows = 0, cols = 0;
    torch::Tensor weights;                 // [N, K] FP32
    torch::Tensor scales;                  // [N, 1] sw (float: the training forward)
    std::vector<double> sw;                // the spec's scales, exactly (levels, snapping)
    torch::Tensor fpBias, qBias;           // [N]: the graph's; the spec's (bias correction applied)
    double fpLo = -1e300, fpHi = 1e300;    // fused activation
    double qLo = -1e300, qHi = 1e300;      // fused activation ∩ output code range
    analog::CodeRange levels;              // +-(2^(b-1)-1)
};

torch::Tensor floatTensor(const std::vector<float>& v, std::vector<int64_t> shape)
{
    return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

LayerProblem problemOf(const Graph& graph, const QuantSpec& spec, const LayerQuant& layer)
{
    LayerProblem p;
    p.name = layer.node;
    p.node = *graph.findNode(layer.node);
    const Node& node = graph.node(p.node);
    const analog::AnalogMatmulView view = analog::lowerAnalogNode(graph, node);
    p.groups = view.groups, p.rows = view.rows, p.cols = view.cols;
    p.weights = floatTensor(view.weights, {view.cols, view.rows});
    p.sw = layer.weightScales;
    p.scales = torch::tensor(p.sw, torch::kFloat64).to(torch::kFloat32).view({view.cols, 1});
    // Bias per output channel; Permute views have one column per channel.
    auto biasOf = [&](const std::vector<float>& b) {
        return b.empty() ? torch::zeros({view.cols}) : floatTensor(b, {view.cols});
    };
    p.fpBias = biasOf(view.bias);
    p.qBias = biasOf(analog::layerBias(layer, view));
    p.fpLo = view.clampLo, p.fpHi = view.clampHi;
    p.qLo = view.clampLo, p.qHi = view.clampHi;
    if (const TensorQuant* out = spec.findTensor(layer.output); out && out->quantized) {
        const analog::RealRange codes =
            analog::representableRange(out->scale, analog::codeRange(out->bits, out->isSigned), out->zeroPoint);
        p.qLo = std::max(p.qLo, codes.lo);
        p.qHi = std::min(p.qHi, codes.hi);
    }
    p.levels = analog::codeRange(layer.weightBits, true);
    return p;
}

torch::Tensor clampTo(const torch::Tensor& t, double lo, double hi)
{
    return torch::clamp(t, std::max(lo, -3e38), std::min(hi, 3e38));
}

// x [B, G*K] times real weights [N, K] of G groups -> [B, N] (+ bias).
torch::Tensor layerProduct(const LayerProblem& p, const torch::Tensor& x, const torch::Tensor& w,
                           const torch::Tensor& bias)
{
    if (p.groups == 1)
        return torch::addmm(bias, x, w.t());
    const int64_t b = x.size(0), perGroup = p.cols / p.groups;
    if (perGroup == 1) // depthwise: one column per group, an elementwise product per group
        return (x.view({b, p.groups, p.rows}) * w.view({1, p.groups, p.rows})).sum(2) + bias;
    const torch::Tensor y = torch::einsum("bgk,gnk->bgn", {x.view({b, p.groups, p.rows}),
                                                         w.view({p.groups, perGroup, p.rows})});
    return y.reshape({b, p.cols}) + bias;
}

// Levels of round-to-nearest (core's rule: saturate(roundHalfEven(W / sw))).
torch::Tensor nearestLevels(const LayerProblem& p)
{
    const auto w = p.weights.accessor<float, 2>();
    torch::Tensor out = torch::empty_like(p.weights);
    auto o = out.accessor<float, 2>();
    for (int64_t n = 0; n < p.cols; ++n)
        for (int64_t k = 0; k < p.rows; ++k)
            o[n][k] = static_cast<float>(analog::quantizeValue(w[n][k], p.sw[size_t(n)], p.levels));
    return out;
}

// The layer's calibration vectors: quantized-model inputs and FP32-model inputs.
struct LayerSamples {
    torch::Tensor xq, xf; // [V, G*K]
    torch::Tensor target; // [V, N]: the FP32 output
};

// Keeps a seeded uniform subsample of the rows of [m, width] vectors (both matrices alike).
struct RowSampler {
    std::mt19937_64 rng;
    double keep = 1.0;
    std::vector<float> q, f;
    void add(const std::vector<float>& xq, const std::vector<float>& xf, int64_t m, int64_t width)
    {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (int64_t i = 0; i < m; ++i) {
            if (keep < 1.0 && u(rng) >= keep)
                continue;
            q.insert(q.end(), xq.begin() + i * width, xq.begin() + (i + 1) * width);
            f.insert(f.end(), xf.begin() + i * width, xf.begin() + (i + 1) * width);
        }
    }
};

// The array's input vectors of one batch at the layer ([m, width], padding samples dropped).
struct BatchVectors {
    std::vector<float> q, f; // quantized-model inputs, FP32-model inputs
    int64_t m = 0, width = 0;
};

// Both runs of one batch up to the layer: the FP32 input (original model) and the
// quantized input (the model with earlier layers rounded), as the array's input vectors.
BatchVectors batchVectors(const Graph& fpGraph, const Graph& qGraph, const QuantSpec& spec, const LayerQuant& layer,
                          const quant::ModelBatch& b)
{
    const Node& fpNode = fpGraph.node(*fpGraph.findNode(layer.node));
    Executor fp(fpGraph, ExecutorOptions{false});
    fp.run({b.inputs});
    const Tensor& xf = fp.valueTensor(fpNode.inputs[0]);

    quant::QuantizedExecutorOptions qo;
    qo.nonIdealities = false;
    quant::QuantizedExecutor qx(qGraph, spec, qo);
    quant::ExecutionSnapshot snap = qx.start({b.inputs});
    qx.advance(snap, qx.stepOf(layer.node));
    const Node& qNode = qGraph.node(*qGraph.findNode(layer.node));
    Tensor xq = snap.values[qNode.inputs[0]].clone();
    if (const TensorQuant* tq = spec.findTensor(layer.input); tq && tq->quantized)
        quant::fakeQuantize(xq.mutableData<float>(), xq.numel(), *tq); // the DAC codes x scale

    const WeightMatrixDef& def = *weightMatrixDef(qNode);
    const WeightMatrix view = weightMatrixOf(qGraph, qNode);
    BatchVectors v;
    int64_t mf = 0;
    v.q = def.inputVectors(qGraph, qNode, view, xq, v.m);
    v.f = def.inputVectors(fpGraph, fpNode, view, xf, mf);
    v.m = v.m / b.inputs.dim(0) * b.rows; // vectors of real (not padding) samples
    v.width = view.groups * view.rows;
    return v;
}

LayerSamples collectSamples(quant::ModelGraphs& fpModel, quant::ModelGraphs& qModel, const QuantSpec& spec,
                            const LayerQuant& layer, const LayerProblem& p, const quant::Dataset& data,
                            const AdaRoundOptions& o, ProgressSink& progress)
{
    RowSampler sampler;
    sampler.rng.seed(o.seed ^ analog::Random::nameKey(layer.node));
    bool first = true;
    quant::forEachModelBatch(qModel, data, o.runBatch, [&](const quant::ModelBatch& b) {
        progress.checkpoint(0.1 * b.first / data.count(), strCat("adaround ", layer.node, ": collecting inputs"));
        const BatchVectors v = batchVectors(fpModel.forBatch(b.inputs.dim(0)), b.graph, spec, layer, b);
        if (first) { // vectors per sample, known at the first batch: the subsample rate
            const double total = double(v.m) / b.rows * data.count();
            sampler.keep = std::min(1.0, double(o.maxVectors) / total);
            first = false;
        }
        sampler.add(v.q, v.f, v.m, v.width);
    });
    const int64_t width = p.groups * p.rows, v = static_cast<int64_t>(sampler.q.size()) / width;
    if (v == 0)
        fail("adaround: no calibration vectors reached layer '", layer.node, "'");
    LayerSamples s;
    s.xq = floatTensor(sampler.q, {v, width});
    s.xf = floatTensor(sampler.f, {v, width});
    torch::NoGradGuard ng;
    s.target = clampTo(layerProduct(p, s.xf, p.weights, p.fpBias), p.fpLo, p.fpHi);
    return s;
}

// Mean squared output error of real weights `w` over all samples.
double reconstructionError(const LayerProblem& p, const LayerSamples& s, const torch::Tensor& w)
{
    torch::NoGradGuard ng;
    const torch::Tensor y = clampTo(layerProduct(p, s.xq, w, p.qBias), p.qLo, p.qHi);
    return (y - s.target).pow(2).mean().item<double>();
}

// The regularizer's beta at iteration `it` (linear decay after the warm-up, as in BRECQ's
// reference implementation of the paper's annealing).
double betaAt(const AdaRoundOptions& o, int it, int warm)
{
    const double t = o.iterations > warm ? double(it - warm) / (o.iterations - warm) : 1.0;
    return o.betaEnd + (o.betaStart - o.betaEnd) * std::max(0.0, 1.0 - t);
}

// Learns V; returns the hard levels floor + (V >= 0), saturated.
torch::Tensor learnLevels(const LayerProblem& p, const LayerSamples& s, const AdaRoundOptions& o,
                          ProgressSink& progress)
{
    const torch::Tensor scaled = p.weights.to(torch::kFloat64) / torch::tensor(p.sw, torch::kFloat64).view({p.cols, 1});
    const torch::Tensor floorW = torch::floor(scaled).to(torch::kFloat32);
    const torch::Tensor rest = (scaled - torch::floor(scaled)).to(torch::kFloat32).clamp(1e-4, 1.0 - 1e-4);
    // h(V0) = the fractional part: training starts from the unrounded weights.
    torch::Tensor v = (-torch::log((kZeta - kGamma) / (rest - kGamma) - 1.0)).detach().requires_grad_(true);
    torch::optim::Adam adam({v}, torch::optim::AdamOptions(o.learningRate));
    std::mt19937_64 rng(o.seed);
    const int64_t count = s.xq.size(0), batch = std::min(o.batchVectors, count);
    std::uniform_int_distribution<int64_t> pick(0, count - 1);
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    const int warm = static_cast<int>(o.warmup * o.iterations);
    const double lo = static_cast<double>(p.levels.lo), hi = static_cast<double>(p.levels.hi);
    const double signal = std::max(s.target.pow(2).mean().item<double>(), 1e-30);
    for (int it = 0; it < o.iterations; ++it) {
        if (it % 50 == 0)
            progress.checkpoint(0.1 + 0.9 * it / o.iterations,
                                strCat("adaround ", p.name, ": iteration ", it, "/", o.iterations));
        for (int64_t& i : idx)
            i = pick(rng);
        const torch::Tensor rows = torch::tensor(idx, torch::kLong);
        const torch::Tensor h = rectifiedSigmoid(v);
        const torch::Tensor w = torch::clamp(floorW + h, lo, hi) * p.scales;
        const torch::Tensor y = clampTo(layerProduct(p, s.xq.index_select(0, rows), w, p.qBias), p.qLo, p.qHi);
        torch::Tensor loss = (y - s.target.index_select(0, rows)).pow(2).mean() / signal;
        if (it >= warm)
            loss = loss + o.regularization * (1.0 - (2.0 * h - 1.0).abs().pow(betaAt(o, it, warm))).mean();
        adam.zero_grad();
        loss.backward();
        adam.step();
    }
    torch::NoGradGuard ng;
    return torch::clamp(floorW + (v >= 0).to(torch::kFloat32), lo, hi);
}

// Writes W' = level x sw[n] into the node: program() then gives exactly these levels.
void snapWeights(Graph& graph, const LayerProblem& p, const torch::Tensor& levels)
{
    WeightMatrix view = weightMatrixOf(graph, graph.node(p.node));
    const torch::Tensor l = levels.contiguous();
    const float* level = l.data_ptr<float>();
    for (int64_t n = 0; n < p.cols; ++n)
        for (int64_t k = 0; k < p.rows; ++k)
            view.weights[size_t(n * p.rows + k)] = static_cast<float>(level[n * p.rows + k] * p.sw[size_t(n)]);
    writeWeightMatrix(graph, p.node, view);
}

void checkOptions(const AdaRoundOptions& o)
{
    if (o.iterations < 1 || o.batchVectors < 1 || o.maxVectors < 1 || o.runBatch < 1)
        fail("adaround: iterations, batch vectors, max vectors and run batch must be >= 1");
    if (!(o.learningRate > 0.0) || o.regularization < 0.0 || o.warmup < 0.0 || o.warmup >= 1.0)
        fail("adaround: the learning rate must be > 0, the regularization >= 0 and the warm-up in [0, 1)");
}

AdaRoundLayerReport roundLayer(Graph& graph, quant::ModelGraphs& fpModel, const QuantSpec& spec,
                               const LayerQuant& layer, const quant::Dataset& data, const AdaRoundOptions& o,
                               ProgressSink& progress)
{
    const Clock::time_point t0 = Clock::now();
    AdaRoundLayerReport r;
    r.layer = layer.node;
    r.weightBits = layer.weightBits;
    const Node& node = graph.node(*graph.findNode(layer.node));
    if (weightMatrixOf(graph, node).scatter != OutputScatter::Permute) {
        r.skipped = "its columns add before the epilogue (ConvTranspose): kept round-to-nearest";
        return r;
    }
    const LayerProblem p = problemOf(graph, spec, layer);
    quant::ModelGraphs qModel{Graph(graph)}; // the earlier layers' learned levels are in `graph`
    const LayerSamples s = collectSamples(fpModel, qModel, spec, layer, p, data, o, progress);
    const torch::Tensor nearest = nearestLevels(p);
    const torch::Tensor learned = learnLevels(p, s, o, progress);
    r.weights = nearest.numel();
    r.changed = (nearest != learned).sum().item<int64_t>();
    r.vectors = s.xq.size(0);
    r.nearestError = reconstructionError(p, s, nearest * p.scales);
    r.learnedError = reconstructionError(p, s, learned * p.scales);
    if (r.learnedError > r.nearestError) {
        r.skipped = "learned levels did not lower the error on the calibration vectors: kept round-to-nearest";
        r.changed = 0;
        r.learnedError = r.nearestError;
        snapWeights(graph, p, nearest);
    } else {
        snapWeights(graph, p, learned);
    }
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace

AdaRoundReport adaRound(Graph& graph, const QuantSpec& spec, const quant::Dataset& data,
                        const AdaRoundOptions& options, ProgressSink* progress)
{
    checkOptions(options);
    const Clock::time_point t0 = Clock::now();
    configureTorchThreads(options.threads);
    torch::manual_seed(options.seed);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    QuantSpec run = spec; // the graph carries the rewrites already
    run.equalization.clear();
    run.smoothing.clear();
    run.modelHash.clear();
    quant::ModelGraphs fpModel{Graph(graph)}; // the FP32 targets: the weights before rounding
    AdaRoundReport report;
    const size_t n = run.layers.size();
    for (size_t i = 0; i < n; ++i) {
        const LayerQuant& layer = run.layers[i];
        if (!graph.findNode(layer.node))
            fail("adaround: layer '", layer.node, "' of the quantization spec is not a node of graph '", graph.name, "'");
        SubProgress sub(sink, double(i) / n, double(i + 1) / n);
        report.layers.push_back(roundLayer(graph, fpModel, run, layer, data, options, sub));
        const AdaRoundLayerReport& r = report.layers.back();
        sink.report(double(i + 1) / n, strCat("adaround ", i + 1, "/", n, " ", r.layer, ": ", r.changed, " of ",
                                               r.weights, " levels changed, output MSE ", r.nearestError, " -> ",
                                               r.learnedError));
    }
    report.seconds = secondsSince(t0);
    return report;
}

namespace {

// ADC ranges (and bias corrections, when configured) measured again on the tuned model:
// its block sums are those of the learned levels.
void remeasure(QuantSpec& spec, const Graph& graph, const quant::Dataset& data, ProgressSink& progress)
{
    QuantSpec run = spec;
    run.equalization.clear();
    run.smoothing.clear();
    run.modelHash.clear();
    quant::ModelGraphs tuned{Graph(graph)};
    SubProgress adc(progress, 0.0, 0.5), bias(progress, 0.5, 1.0);
    if (run.config.calibrateAdc)
        quant::calibrateAdcRanges(run, tuned, data, &adc);
    if (run.config.biasCorrection)
        quant::correctBiases(run, tuned, data, &bias);
    for (size_t i = 0; i < spec.layers.size(); ++i) {
        spec.layers[i].adcRange = run.layers[i].adcRange;
        spec.layers[i].biasCorrection = run.layers[i].biasCorrection;
    }
}

} // namespace

AdaRoundReport runAdaRoundQuantize(const AdaRoundRequest& req, ProgressSink* progress)
{
    if (req.modelOut.empty())
        fail("quantize --adaround changes the model's weights: give --model-out tuned.onnx (the quantization "
             "spec is then for that model)");
    if (req.quantize.outputPath.empty())
        fail("quantize --adaround: give -o for the quantization spec of the tuned model");
    checkOptions(req.options);
    SilentProgress silent;
    ProgressSink& sink = progress ? *progress : silent;
    const quant::Dataset data = quant::loadDataSource(req.quantize.calibration);
    quant::ModelGraphs model = quant::openModelFor(req.quantize.modelPath, data);
    QuantConfig config = req.quantize.config;
    req.quantize.task.applyTo(config.task);
    SubProgress calibration(sink, 0.0, 0.1), learning(sink, 0.1, 0.9), measuring(sink, 0.9, 1.0);
    QuantSpec spec = quant::calibrate(model, data, config, &calibration);
    spec.model = req.quantize.modelPath;
    for (LayerQuant& l : spec.layers) // measured at round-to-nearest: measured again below
        l.biasCorrection.clear();
    Graph graph = model.forBatch(model.declaredBatch());
    AdaRoundReport report = adaRound(graph, spec, data, req.options, &learning);
    remeasure(spec, graph, data, measuring);
    sink.checkpoint(1.0, "adaround: writing the tuned model");
    quant::saveTunedModel(graph, &spec, {req.modelOut, req.quantize.outputPath});
    return report;
}

} // namespace tessera::train
