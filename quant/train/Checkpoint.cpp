#include "quant/train/Checkpoint.h"

#include "core/Error.h"
#include "core/io/FileIO.h"

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace tessera::train {

namespace {

constexpr int kHistoryFields = 7;

torch::Tensor historyTensor(const std::vector<EpochReport>& history)
{
    torch::Tensor t = torch::zeros({static_cast<int64_t>(history.size()), kHistoryFields}, torch::kFloat64);
    for (size_t i = 0; i < history.size(); ++i) {
        const EpochReport& e = history[i];
        const double row[kHistoryFields] = {double(e.epoch), e.trainLoss, e.trainAccuracy, e.heldoutLoss,
                                            e.heldoutAccuracy, e.seconds, e.best ? 1.0 : 0.0};
        for (int j = 0; j < kHistoryFields; ++j)
            t[static_cast<int64_t>(i)][j] = row[j];
    }
    return t;
}

std::vector<EpochReport> historyOf(const torch::Tensor& t, int epochs)
{
    std::vector<EpochReport> history;
    auto a = t.accessor<double, 2>();
    for (int64_t i = 0; i < t.size(0); ++i)
        history.push_back({int(a[i][0]), epochs, a[i][1], a[i][2], a[i][3], a[i][4], a[i][5], a[i][6] != 0.0});
    return history;
}

void writeTensors(torch::serialize::OutputArchive& archive, const std::string& prefix, const std::vector<torch::Tensor>& ts)
{
    archive.write(prefix + "_count", torch::tensor(static_cast<int64_t>(ts.size())));
    for (size_t i = 0; i < ts.size(); ++i)
        archive.write(prefix + std::to_string(i), ts[i].detach(), true);
}

std::vector<torch::Tensor> readTensors(torch::serialize::InputArchive& archive, const std::string& prefix)
{
    torch::Tensor count;
    archive.read(prefix + "_count", count);
    std::vector<torch::Tensor> ts(static_cast<size_t>(count.item<int64_t>()));
    for (size_t i = 0; i < ts.size(); ++i)
        archive.read(prefix + std::to_string(i), ts[i], true);
    return ts;
}

} // namespace

std::string textHash(const std::string& text)
{
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
    return hex;
}

void saveCheckpoint(const std::string& path, const std::string& key, const std::vector<torch::Tensor>& trained,
                    torch::optim::Optimizer& optimizer, const TrainState& state)
{
    torch::serialize::OutputArchive archive;
    archive.write("key", c10::IValue(key));
    archive.write("epoch", torch::tensor(static_cast<int64_t>(state.epoch)));
    archive.write("best_epoch", torch::tensor(static_cast<int64_t>(state.bestEpoch)));
    archive.write("best_figures", torch::tensor({state.bestAccuracy, state.bestLoss, state.before}, torch::kFloat64));
    archive.write("history", historyTensor(state.history));
    writeTensors(archive, "param", trained);
    writeTensors(archive, "best", state.best);
    torch::serialize::OutputArchive optim;
    optimizer.save(optim);
    archive.write("optimizer", optim);
    {
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        archive.write("rng", gen.get_state());
    }
    std::ostringstream bytes;
    archive.save_to(bytes);
    writeFileAtomic(path, bytes.str());
}

std::optional<TrainState> loadCheckpoint(const std::string& path, const std::string& key,
                                         const std::vector<torch::Tensor>& trained, torch::optim::Optimizer& optimizer)
{
    if (!std::filesystem::exists(path))
        return std::nullopt;
    const std::string bytes = readFileBytes(path);
    torch::serialize::InputArchive archive;
    TrainState s;
    c10::IValue savedKey;
    try {
        archive.load_from(bytes.data(), bytes.size());
        archive.read("key", savedKey);
    } catch (const std::exception&) {
        fail(path, ": not a retraining checkpoint (delete it or pass --no-resume)");
    }
    if (!savedKey.isString() || savedKey.toStringRef() != key)
        fail(path, ": checkpoint of another run (other model, spec, seed, held-out split, batch or noise setting); "
                   "delete it or pass --no-resume to start over");
    try {
        torch::Tensor t;
        archive.read("epoch", t);
        s.epoch = static_cast<int>(t.item<int64_t>());
        archive.read("best_epoch", t);
        s.bestEpoch = static_cast<int>(t.item<int64_t>());
        archive.read("best_figures", t);
        s.bestAccuracy = t[0].item<double>();
        s.bestLoss = t[1].item<double>();
        s.before = t[2].item<double>();
        archive.read("history", t);
        s.history = historyOf(t, 0);
        const std::vector<torch::Tensor> params = readTensors(archive, "param");
        s.best = readTensors(archive, "best");
        if (params.size() != trained.size() || s.best.size() != trained.size())
            fail(path, ": checkpoint holds ", params.size(), " parameters, the run trains ", trained.size());
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < trained.size(); ++i) {
            if (!params[i].sizes().equals(trained[i].sizes()))
                fail(path, ": parameter ", i, " has another shape in the checkpoint");
            trained[i].copy_(params[i]);
        }
        torch::serialize::InputArchive optim;
        archive.read("optimizer", optim);
        optimizer.load(optim);
        archive.read("rng", t);
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(t);
    } catch (const c10::Error& e) {
        fail(path, ": damaged checkpoint (", e.what_without_backtrace(), "); delete it or pass --no-resume");
    }
    return s;
}

} // namespace tessera::train
