#include "quant/train/QatEval.h"

#include "core/Error.h"
#include "quant/QuantizeApi.h"
#include "quant/QuantizedExecutor.h"
#include "quant/train/QatHooks.h"
#include "quant/train/TorchGraph.h"
#include "quant/train/TorchOps.h"

#include <cmath>

namespace tessera::train {

namespace {

// First maximum of each row of a [B, ...] output.
void appendArgmax(const Tensor& output, int64_t rows, std::vector<int64_t>& out)
{
    const std::vector<float> v = output.toFloatVector();
    const int64_t classes = static_cast<int64_t>(v.size()) / output.dim(0);
    for (int64_t r = 0; r < rows; ++r) {
        int64_t best = 0;
        for (int64_t c = 1; c < classes; ++c)
            if (v[r * classes + c] > v[r * classes + best])
                best = c;
        out.push_back(best);
    }
}

} // namespace

std::vector<int64_t> executorPredictions(const std::string& modelPath, const QuantSpec& spec,
                                         const quant::Dataset& data, int64_t batchSize)
{
    quant::ModelGraphs model = quant::openModelFor(modelPath, spec);
    std::vector<int64_t> predictions;
    quant::forEachModelBatch(model, data, batchSize, [&](const quant::ModelBatch& batch) {
        quant::QuantizedExecutorOptions options;
        options.readNoiseStream = static_cast<uint64_t>(batch.first); // every sample its own read noise
        quant::QuantizedExecutor executor(batch.graph, spec, options);
        appendArgmax(executor.run({batch.inputs})[0], batch.rows, predictions);
    });
    return predictions;
}

std::vector<int64_t> fakeQuantPredictions(const std::string& modelPath, const QuantSpec& spec,
                                          const quant::Dataset& data, int64_t batchSize)
{
    quant::ModelGraphs model = quant::openModelFor(modelPath, spec);
    TorchGraph module(model.forBatch(model.declaredBatch()));
    std::unique_ptr<QatHooks> hooks = makeQatHooks(module.graph(), spec, {});
    hooks->setTraining(false);
    torch::NoGradGuard noGrad;
    const torch::Tensor inputs = toTorch(data.inputs);
    std::vector<int64_t> predictions;
    for (int64_t first = 0; first < data.count(); first += batchSize) {
        const int64_t rows = std::min(batchSize, data.count() - first);
        const torch::Tensor out = module.forward({inputs.slice(0, first, first + rows)}, hooks.get())[0];
        appendArgmax(fromTorch(out.contiguous()), rows, predictions);
    }
    return predictions;
}

double agreementOf(const std::vector<int64_t>& a, const std::vector<int64_t>& b)
{
    if (a.size() != b.size() || a.empty())
        fail("agreement of ", a.size(), " and ", b.size(), " predictions");
    int64_t same = 0;
    for (size_t i = 0; i < a.size(); ++i)
        same += a[i] == b[i];
    return static_cast<double>(same) / static_cast<double>(a.size());
}

double accuracyOf(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels)
{
    return agreementOf(predictions, labels);
}

NoisyAccuracy noisyAccuracy(const std::string& modelPath, QuantSpec spec, const analog::NonIdealities& noise,
                            const std::vector<uint64_t>& seeds, const quant::Dataset& data)
{
    NoisyAccuracy result;
    for (uint64_t seed : seeds) {
        spec.config.nonIdealities = noise;
        spec.config.nonIdealities.seed = seed;
        result.perSeed.push_back(accuracyOf(executorPredictions(modelPath, spec, data, 500), data.labels));
    }
    for (double a : result.perSeed)
        result.mean += a / static_cast<double>(result.perSeed.size());
    for (double a : result.perSeed)
        result.stddev += (a - result.mean) * (a - result.mean) / static_cast<double>(result.perSeed.size());
    result.stddev = std::sqrt(result.stddev);
    return result;
}

} // namespace tessera::train
