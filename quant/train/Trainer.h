#pragma once
// The training loop behind runRetrain: a seeded held-out split, seeded per-epoch order,
// Adam on cross-entropy of the module's logits (optionally distilled from the starting FP32 model), held-out measurement after every epoch,
// early stopping on held-out accuracy (ties: lower loss), a checkpoint after every epoch,
// cancellation between batches and a NaN-loss stop. The best weights (held-out) are in the
// module when train() returns.
#include "core/Progress.h"
#include "quant/train/ForwardHooks.h"
#include "quant/train/Retrain.h"
#include "quant/train/TorchGraph.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tessera::train {

struct TrainState; // Checkpoint.h

// Labelled samples as torch tensors and the split of their indices.
struct TrainData {
    torch::Tensor inputs; // float32 [N, ...]
    torch::Tensor labels; // int64 [N]
    std::vector<int64_t> train, heldout;
};

// Indices [0, count) shuffled with `seed`; the last round(count * holdout) are held out.
// Throws when the split leaves one side empty.
void splitSamples(TrainData& data, double holdout, uint64_t seed);

// Mean cross-entropy and accuracy of `indices`, without gradients (hooks not training).
struct Measured {
    double loss = 0.0;
    double accuracy = 0.0;
};
Measured measure(TorchGraph& module, ForwardHooks* hooks, const TrainData& data, const std::vector<int64_t>& indices,
                 int64_t batchSize);

struct CheckpointSetup {
    std::string path;
    std::string key; // what the run trains (see Checkpoint.h)
    bool resume = true;
};

class Trainer {
public:
    Trainer(TorchGraph& module, ForwardHooks* hooks, const RetrainOptions& options);
    RetrainResult train(const TrainData& data, const CheckpointSetup& checkpoint, ProgressSink* progress,
                        const EpochCallback& onEpoch);

private:
    enum class Stop { None, Cancelled, NaN };
    Stop runEpoch(const TrainData& data, int epoch, EpochReport& report, ProgressSink* progress);
    // The checkpoint's state when resuming, else the starting weights measured as epoch 0.
    TrainState startState(const TrainData& data, const CheckpointSetup& checkpoint,
                          const std::vector<torch::Tensor>& params);
    std::vector<torch::Tensor> trained() const;
    void setLearningRate(int epoch, double fraction);
    // Distillation: the starting model's FP32 logits of every sample (hooks off), and the
    // step's loss against the labels and, with a distillation weight, those logits.
    void computeTeacher(const TrainData& data);
    torch::Tensor stepLoss(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& idx) const;

    TorchGraph& m_module;
    ForwardHooks* m_hooks;
    RetrainOptions m_options;
    std::unique_ptr<torch::optim::Adam> m_optimizer;
    std::string m_nanAt;
    torch::Tensor m_teacher; // [samples, classes] FP32 logits, or undefined
};

} // namespace tessera::train
