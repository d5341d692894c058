#include "quant/train/Trainer.h"

#include "core/Error.h"
#include "quant/train/Checkpoint.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace tessera::train {

namespace {

// Seeds derived from the run's seed, one per use (split, each epoch's order).
uint64_t derivedSeed(uint64_t seed, uint64_t salt)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (salt + 1); // splitmix64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Fisher-Yates with a fixed generator: the same order on every platform.
std::vector<int64_t> shuffled(std::vector<int64_t> v, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    for (size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[static_cast<size_t>(rng() % i)]);
    return v;
}

torch::Tensor indexRange(const std::vector<int64_t>& indices, size_t begin, size_t end)
{
    return torch::tensor(std::vector<int64_t>(indices.begin() + begin, indices.begin() + end), torch::kInt64);
}

torch::Tensor logitsOf(TorchGraph& module, ForwardHooks* hooks, const torch::Tensor& x)
{
    return module.logits(x, hooks).flatten(1);
}

} // namespace

void splitSamples(TrainData& data, double holdout, uint64_t seed)
{
    const int64_t n = data.inputs.size(0);
    if (!(holdout >= 0.0 && holdout < 1.0))
        fail("held-out fraction must be in [0, 1), got ", holdout);
    const int64_t held = std::llround(static_cast<double>(n) * holdout);
    if (holdout > 0.0 && (held < 1 || held >= n))
        fail("held-out fraction ", holdout, " of ", n, " samples leaves no samples on one side");
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    all = shuffled(std::move(all), derivedSeed(seed, 0));
    data.train.assign(all.begin(), all.end() - held);
    data.heldout.assign(all.end() - held, all.end());
}

Measured measure(TorchGraph& module, ForwardHooks* hooks, const TrainData& data, const std::vector<int64_t>& indices,
                 int64_t batchSize)
{
    if (indices.empty())
        return {};
    torch::NoGradGuard noGrad;
    if (hooks)
        hooks->setTraining(false);
    double loss = 0.0;
    int64_t correct = 0;
    for (size_t b = 0; b < indices.size(); b += static_cast<size_t>(batchSize)) {
        const torch::Tensor idx = indexRange(indices, b, std::min(indices.size(), b + static_cast<size_t>(batchSize)));
        const torch::Tensor y = data.labels.index_select(0, idx);
        const torch::Tensor logits = logitsOf(module, hooks, data.inputs.index_select(0, idx));
        loss += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    const double n = static_cast<double>(indices.size());
    return {loss / n, static_cast<double>(correct) / n};
}

Trainer::Trainer(TorchGraph& module, ForwardHooks* hooks, const RetrainOptions& options)
    : m_module(module), m_hooks(hooks), m_options(options)
{
    // Two groups: the module's weights at --lr, the hooks' learned scales (log-factors,
    // relative steps) at --lr x scaleLrFactor.
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(m_module.parameters(), std::make_unique<torch::optim::AdamOptions>(options.learningRate));
    if (m_hooks && !m_hooks->parameters().empty())
        groups.emplace_back(m_hooks->parameters(),
                            std::make_unique<torch::optim::AdamOptions>(options.learningRate * options.scaleLrFactor));
    m_optimizer = std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(options.learningRate));
}

std::vector<torch::Tensor> Trainer::trained() const
{
    std::vector<torch::Tensor> params = m_module.parameters();
    if (m_hooks)
        for (const torch::Tensor& p : m_hooks->parameters())
            params.push_back(p);
    return params;
}

// The rate of the step at `fraction` of epoch `epoch` (1-based): constant, or a half cosine
// from the base rate to 0 over the whole run (a function of the position only: resumes agree).
void Trainer::setLearningRate(int epoch, double fraction)
{
    double lr = m_options.learningRate;
    if (m_options.lrSchedule == "cosine") {
        const double t = (epoch - 1 + fraction) / m_options.epochs;
        lr *= 0.5 * (1.0 + std::cos(3.14159265358979323846 * t));
    }
    std::vector<torch::optim::OptimizerParamGroup>& groups = m_optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(g == 0 ? lr : lr * m_options.scaleLrFactor);
}

void Trainer::computeTeacher(const TrainData& data)
{
    if (m_options.distillWeight <= 0.0)
        return;
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    const int64_t n = data.inputs.size(0);
    for (int64_t b = 0; b < n; b += m_options.batchSize)
        parts.push_back(logitsOf(m_module, nullptr, data.inputs.slice(0, b, std::min(n, b + m_options.batchSize))));
    m_teacher = torch::cat(parts).to(torch::kFloat);
}

torch::Tensor Trainer::stepLoss(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& idx) const
{
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    if (!m_teacher.defined())
        return loss;
    const double w = m_options.distillWeight, t = m_options.distillTemperature;
    const torch::Tensor soft = torch::softmax(m_teacher.index_select(0, idx) / t, 1);
    const torch::Tensor distill = -(soft * torch::log_softmax(logits / t, 1)).sum(1).mean() * (t * t);
    return (1.0 - w) * loss + w * distill;
}

Trainer::Stop Trainer::runEpoch(const TrainData& data, int epoch, EpochReport& report, ProgressSink* progress)
{
    const std::vector<int64_t> order = shuffled(data.train, derivedSeed(m_options.seed, static_cast<uint64_t>(epoch)));
    const size_t batch = static_cast<size_t>(m_options.batchSize);
    const size_t batches = (order.size() + batch - 1) / batch;
    if (m_hooks)
        m_hooks->setTraining(true);
    double lossSum = 0.0;
    int64_t correct = 0;
    for (size_t b = 0; b < batches; ++b) {
        if (progress && progress->isCancelled())
            return Stop::Cancelled;
        const torch::Tensor idx = indexRange(order, b * batch, std::min(order.size(), (b + 1) * batch));
        const torch::Tensor y = data.labels.index_select(0, idx);
        const torch::Tensor logits = logitsOf(m_module, m_hooks, data.inputs.index_select(0, idx));
        torch::Tensor loss = stepLoss(logits, y, idx);
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
            m_nanAt = strCat("NaN loss at epoch ", epoch, ", batch ", b + 1, " (lower --lr?)");
            return Stop::NaN;
        }
        setLearningRate(epoch, double(b) / double(batches));
        m_optimizer->zero_grad();
        loss.backward();
        m_optimizer->step();
        lossSum += value * static_cast<double>(idx.size(0));
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        if (progress)
            progress->report((epoch - 1 + double(b + 1) / double(batches)) / m_options.epochs,
                             strCat("epoch ", epoch, "/", m_options.epochs, ": batch ", b + 1, "/", batches));
    }
    report.trainLoss = lossSum / static_cast<double>(order.size());
    report.trainAccuracy = static_cast<double>(correct) / static_cast<double>(order.size());
    return Stop::None;
}

TrainState Trainer::startState(const TrainData& data, const CheckpointSetup& checkpoint,
                               const std::vector<torch::Tensor>& params)
{
    if (checkpoint.resume && !checkpoint.path.empty())
        if (std::optional<TrainState> resumed = loadCheckpoint(checkpoint.path, checkpoint.key, params, *m_optimizer))
            return *resumed;
    TrainState state;
    const Measured start =
        measure(m_module, m_hooks, data, data.heldout.empty() ? data.train : data.heldout, m_options.batchSize);
    state.before = state.bestAccuracy = start.accuracy;
    state.bestLoss = start.loss;
    for (const torch::Tensor& p : params)
        state.best.push_back(p.detach().clone());
    return state;
}

RetrainResult Trainer::train(const TrainData& data, const CheckpointSetup& checkpoint, ProgressSink* progress,
                             const EpochCallback& onEpoch)
{
    computeTeacher(data); // before a resume loads trained weights: the teacher is the starting model
    const std::vector<torch::Tensor> params = trained();
    TrainState state = startState(data, checkpoint, params);
    RetrainResult result;
    result.stopReason = "epochs";
    for (int epoch = state.epoch + 1; epoch <= m_options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        EpochReport report;
        report.epoch = epoch;
        report.epochs = m_options.epochs;
        const Stop stop = runEpoch(data, epoch, report, progress);
        if (stop != Stop::None) {
            result.stopReason = stop == Stop::Cancelled ? std::string("cancelled") : m_nanAt;
            break;
        }
        const Measured held = data.heldout.empty() ? Measured{report.trainLoss, report.trainAccuracy}
                                                   : measure(m_module, m_hooks, data, data.heldout, m_options.batchSize);
        report.heldoutLoss = held.loss;
        report.heldoutAccuracy = held.accuracy;
        report.best = data.heldout.empty() || held.accuracy > state.bestAccuracy ||
                      (held.accuracy == state.bestAccuracy && held.loss < state.bestLoss);
        if (report.best) {
            state.bestAccuracy = held.accuracy;
            state.bestLoss = held.loss;
            state.bestEpoch = epoch;
            for (size_t i = 0; i < params.size(); ++i)
                state.best[i] = params[i].detach().clone();
        }
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.epoch = epoch;
        state.history.push_back(report);
        if (!checkpoint.path.empty())
            saveCheckpoint(checkpoint.path, checkpoint.key, params, *m_optimizer, state);
        if (onEpoch)
            onEpoch(report);
        if (m_options.patience > 0 && epoch - state.bestEpoch >= m_options.patience && epoch < m_options.epochs) {
            result.stopReason = strCat("early stop (no held-out improvement for ", m_options.patience, " epochs)");
            break;
        }
    }
    {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < params.size(); ++i)
            params[i].copy_(state.best[i]);
    }
    for (EpochReport& e : state.history)
        e.epochs = m_options.epochs;
    result.epochs = state.history;
    result.bestEpoch = state.bestEpoch;
    result.heldoutBefore = state.before;
    result.heldoutAfter = state.bestAccuracy;
    return result;
}

} // namespace tessera::train
