#pragma once
// The retraining verb (`tessera retrain`, the studio's Retrain job): fine-tunes a model's
// FP32 weights through the graph IR's torch module (quant/train/TorchGraph.h), optionally
// quantization-aware and analog-aware (quant/train/QatHooks.h), and writes the tuned model
// as a new ONNX file plus its quantization spec, so every other verb takes it as it takes
// any model. All user errors are tessera::Error before anything is written; outputs are
// written atomically at the end (and checkpoints during the run).
#include "core/Progress.h"
#include "quant/QuantizeApi.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tessera::train {

struct RetrainOptions {
    int epochs = 10;
    double learningRate = 1e-4;
    int64_t batchSize = 64;
    double holdout = 0.1;  // fraction of the labelled data held out for early stopping
    int patience = 3;      // epochs without held-out improvement before stopping (0: never)
    uint64_t seed = 0;     // data order, held-out split and noise draws
    // "off": quantization-aware only; "default": the spec's non-idealities, or the default
    // analog-noise model when the spec has none (docs/analog-model.md).
    std::string analogNoise = "off";
    // "constant", or "cosine": the learning rate falls from --lr to 0 along a half cosine over
    // every batch of the run (the last epochs settle at small steps).
    std::string lrSchedule = "constant";
    // Quantization-aware: learn the scales of the requantized tensors analog layers read
    // (QatOptions::learnActivationScales), the ADC ranges following; weight scales are always learned.
    bool learnActivationScales = true;
    // The learned scales' (weight and activation log-factors) rate relative to --lr.
    double scaleLrFactor = 1.0;
    // Analog-aware: a fresh chip (programming error, ADC offsets) at every training step
    // (QatOptions::freshChipPerStep); false trains on the seed's one chip.
    bool freshChipPerStep = true;
    // Distillation from the starting FP32 model: the loss is (1 - w) x cross-entropy on the
    // labels + w x T^2 x cross-entropy against the FP32 model's softened outputs (temperature
    // T), computed once before training. 0: labels only.
    double distillWeight = 0.0;
    double distillTemperature = 2.0;
    int threads = 0; // torch threads (0: all cores)
};

struct RetrainRequest {
    std::string modelPath;
    std::string quantPath; // the quantization spec to train against (empty: FP32 fine-tuning)
    quant::DataSource data; // labelled training data (labels required)
    RetrainOptions options;
    std::string outputModel;    // tuned ONNX (required)
    std::string outputQuant;    // its quantization spec (required with quantPath)
    std::string checkpointPath; // empty: <outputModel>.ckpt; resumed when it exists and matches
    bool resume = true;
};

// One finished epoch (held-out figures on the held-out split, with the training forward:
// quantized/noisy when the run is).
struct EpochReport {
    int epoch = 0; // 1-based
    int epochs = 0;
    double trainLoss = 0.0;
    double trainAccuracy = 0.0; // fraction in [0, 1]
    double heldoutLoss = 0.0;
    double heldoutAccuracy = 0.0;
    double seconds = 0.0; // wall time of the epoch
    bool best = false;    // the new best held-out result (checkpoint written)
};

struct RetrainResult {
    std::vector<EpochReport> epochs;
    int bestEpoch = 0;
    std::string stopReason; // "epochs", "early stop", "cancelled", "NaN loss at epoch 3, batch 7"
    // Held-out accuracy before training (the starting model, same forward) and of the best weights.
    double heldoutBefore = 0.0;
    double heldoutAfter = 0.0;
    std::string outputModel;
    std::string outputQuant;
};

using EpochCallback = std::function<void(const EpochReport&)>;

// Runs the whole flow. Cancellation through `progress` (Ctrl+C in the CLI, Cancel in the
// studio) stops after the current batch and still writes the best weights seen so far.
RetrainResult runRetrain(const RetrainRequest& request, ProgressSink* progress = nullptr,
                         const EpochCallback& onEpoch = {});

} // namespace tessera::train
