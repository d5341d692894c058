// tessera-qat-bench: quantization-aware / analog-aware retraining measured end to end
// (docs/retraining.md, "Quantization-aware and analog-aware retraining"). For a model and
// its PTQ spec: FP32 and PTQ top-1 on the test digits, then `runRetrain` against the spec
// (the verb `tessera retrain` runs), then the tuned model quantized by the normal path
// (the quantized executor with the tuned spec) against the training-time fake-quantized
// forward, and, with --noise, top-1 under the analog noise over several chips (seeds) for
// the PTQ model and the tuned one.
#include "core/Error.h"
#include "quant/QuantizeApi.h"
#include "quant/train/QatEval.h"
#include "quant/train/QatHooks.h"
#include "quant/train/Retrain.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

using namespace tessera;
using namespace tessera::train;

namespace {

struct Args {
    std::string model, quant, trainX, trainY, testX, testY, out = "qat";
    RetrainOptions options;
    int seeds = 5;
    int64_t limit = 0;
    bool skipTrain = false;
    bool noiseEval = false;
    bool ptqNoise = true;
};

void printNoisy(const char* what, const NoisyAccuracy& n)
{
    std::printf("%s under noise: mean %.2f%%  std %.2f pp  (seeds:", what, 100.0 * n.mean, 100.0 * n.stddev);
    for (double a : n.perSeed)
        std::printf(" %.2f", 100.0 * a);
    std::printf(")\n");
}

RetrainResult retrain(const Args& a)
{
    RetrainRequest r;
    r.modelPath = a.model;
    r.quantPath = a.quant;
    r.data.npyFiles = {a.trainX};
    r.data.labelsNpy = a.trainY;
    r.data.limit = a.limit;
    r.options = a.options;
    r.outputModel = a.out + ".onnx";
    r.outputQuant = a.out + ".quant.json";
    r.resume = false;
    return runRetrain(r, nullptr, [](const EpochReport& e) {
        std::printf("epoch %d/%d  loss %.4f  accuracy %.2f%%  held-out %.2f%%  %.1f s%s\n", e.epoch, e.epochs,
                    e.trainLoss, 100.0 * e.trainAccuracy, 100.0 * e.heldoutAccuracy, e.seconds,
                    e.best ? "  (best)" : "");
        std::fflush(stdout);
    });
}

void run(const Args& a)
{
    const quant::Dataset test = quant::loadNpyDataset({a.testX}, a.testY);
    const QuantSpec ptq = readQuantSpec(a.quant);
    QuantSpec ideal = ptq;
    ideal.config.nonIdealities = {};
    const double ptqTop1 = accuracyOf(executorPredictions(a.model, ideal, test, 500), test.labels);
    std::printf("PTQ top-1 %.2f%%\n", 100.0 * ptqTop1);
    std::fflush(stdout);
    if (!a.skipTrain) {
        const RetrainResult r = retrain(a);
        std::printf("retrained: %s, best epoch %d, held-out %.2f%% -> %.2f%%\n", r.stopReason.c_str(), r.bestEpoch,
                    100.0 * r.heldoutBefore, 100.0 * r.heldoutAfter);
    }
    const std::string tunedModel = a.out + ".onnx";
    const QuantSpec tuned = readQuantSpec(a.out + ".quant.json");
    QuantSpec tunedIdeal = tuned;
    tunedIdeal.config.nonIdealities = {};
    const std::vector<int64_t> exec = executorPredictions(tunedModel, tunedIdeal, test, 500);
    const std::vector<int64_t> fake = fakeQuantPredictions(tunedModel, tunedIdeal, test, 500);
    std::printf("tuned: quantized executor top-1 %.2f%%, training-time forward %.2f%%, agreement %.2f%% (%zu digits)\n",
                100.0 * accuracyOf(exec, test.labels), 100.0 * accuracyOf(fake, test.labels),
                100.0 * agreementOf(exec, fake), exec.size());
    if (!a.noiseEval)
        return;
    const analog::NonIdealities noise =
        ptq.config.nonIdealities.any() ? ptq.config.nonIdealities : defaultAnalogNoise();
    std::vector<uint64_t> seeds(static_cast<size_t>(a.seeds));
    std::iota(seeds.begin(), seeds.end(), uint64_t{1});
    std::printf("noise: programming %.3f, read %.3f, ADC offset %.2f LSB; chips (seeds) 1..%d\n",
                noise.weightProgramNoise, noise.readNoise, noise.adcOffset, a.seeds);
    if (a.ptqNoise)
        printNoisy("PTQ", noisyAccuracy(a.model, ptq, noise, seeds, test));
    printNoisy("tuned", noisyAccuracy(tunedModel, tuned, noise, seeds, test));
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"tessera-qat-bench: quantization-/analog-aware retraining, end to end"};
    Args a;
    app.add_option("model", a.model, "ONNX model")->required();
    app.add_option("--quant", a.quant, "its PTQ spec")->required();
    app.add_option("--train-x", a.trainX, "training samples .npy")->required();
    app.add_option("--train-y", a.trainY, "training labels .npy")->required();
    app.add_option("--test-x", a.testX, "test samples .npy")->required();
    app.add_option("--test-y", a.testY, "test labels .npy")->required();
    app.add_option("--epochs", a.options.epochs, "epochs");
    app.add_option("--limit", a.limit, "use only the first N training samples");
    app.add_option("--holdout", a.options.holdout, "held-out fraction (0: keep the last epoch's weights)");
    app.add_option("--lr", a.options.learningRate, "Adam learning rate");
    app.add_option("--batch", a.options.batchSize, "batch size");
    app.add_option("--patience", a.options.patience, "early-stopping patience");
    app.add_option("--seed", a.options.seed, "training seed (split, order, read noise; the training chip)");
    app.add_option("--analog-noise", a.options.analogNoise, "off | default: train with the analog noise");
    app.add_option("--threads", a.options.threads, "torch threads (0: every core)");
    app.add_option("--scale-lr", a.options.scaleLrFactor, "learned scales' rate as a multiple of --lr");
    app.add_option("--lr-schedule", a.options.lrSchedule, "constant | cosine");
    bool fixedActivations = false;
    app.add_flag("--fixed-activation-scales", fixedActivations, "keep the spec's activation scales and ADC ranges");
    bool oneChip = false;
    app.add_flag("--one-training-chip", oneChip, "train on the seed's chip only (default: a fresh chip every step)");
    app.add_option("--distill", a.options.distillWeight, "weight of distillation from the starting FP32 model");
    app.add_option("--distill-temperature", a.options.distillTemperature, "its softening temperature");
    app.add_option("--seeds", a.seeds, "chips (noise seeds 1..N) for the noisy evaluation");
    app.add_flag("--noise-eval", a.noiseEval, "evaluate PTQ and tuned under the analog noise");
    bool noPtqNoise = false;
    app.add_flag("--no-ptq-noise", noPtqNoise, "skip the PTQ model's noisy evaluation (it does not change between runs)");
    app.add_flag("--skip-train", a.skipTrain, "evaluate the existing <out>.onnx / <out>.quant.json");
    app.add_option("-o,--out", a.out, "output prefix (<out>.onnx, <out>.quant.json)");
    CLI11_PARSE(app, argc, argv);
    a.options.learnActivationScales = !fixedActivations;
    a.options.freshChipPerStep = !oneChip;
    a.ptqNoise = !noPtqNoise;
    try {
        run(a);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera-qat-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
