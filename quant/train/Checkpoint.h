#pragma once
// A retraining run's checkpoint: everything a resumed run needs to continue as if it had
// not stopped (current and best parameters, Adam's moments, completed epochs, the epoch
// history, torch's RNG state), plus a key naming what the run trains (model and spec
// hashes, seed, split, batch, hooks) so a checkpoint of another run is refused. Written
// with torch::serialize, atomically (core/io/FileIO.h).
#include "quant/train/Retrain.h"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace tessera::train {

struct TrainState {
    int epoch = 0; // completed epochs
    int bestEpoch = 0;
    double bestAccuracy = -1.0;
    double bestLoss = 0.0;
    double before = 0.0; // held-out accuracy of the starting weights
    std::vector<torch::Tensor> best; // the best parameters (same order as the trained ones)
    std::vector<EpochReport> history;
};

// `trained`: the run's parameters (module then hooks), whose current values are saved.
void saveCheckpoint(const std::string& path, const std::string& key, const std::vector<torch::Tensor>& trained,
                    torch::optim::Optimizer& optimizer, const TrainState& state);

// Loads a checkpoint into `trained`, `optimizer` and the RNG; nullopt when `path` does not
// exist. Throws tessera::Error naming the file when it is unreadable, made for another run
// (its key differs: the message says to delete it or pass --no-resume) or holds other shapes.
std::optional<TrainState> loadCheckpoint(const std::string& path, const std::string& key,
                                         const std::vector<torch::Tensor>& trained, torch::optim::Optimizer& optimizer);

// A short stable hash of text (the run key's parts).
std::string textHash(const std::string& text);

} // namespace tessera::train
