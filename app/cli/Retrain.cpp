// `tessera retrain`: fine-tunes a model's weights on labelled data (FP32, or quantization-
// and analog-aware against a spec) and writes the tuned ONNX plus its spec. A thin wrapper
// over quant/train/Retrain.h; without the training library the verb says so.
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "app/cli/Support.h"
#include "core/Error.h"

#if TESSERA_HAVE_TRAINING
#include "quant/QuantizeApi.h"
#include "quant/train/Retrain.h"
#endif

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace tessera::cli {

#if TESSERA_HAVE_TRAINING

namespace {

void printEpoch(const train::EpochReport& e)
{
    std::printf("epoch %d/%d  loss %.4f  accuracy %.2f%%  held-out loss %.4f  accuracy %.2f%%  %.1f s%s\n", e.epoch,
                e.epochs, e.trainLoss, 100.0 * e.trainAccuracy, e.heldoutLoss, 100.0 * e.heldoutAccuracy, e.seconds,
                e.best ? "  (best)" : "");
    std::fflush(stdout);
}

int printResult(const train::RetrainRequest& req, const train::RetrainResult& r)
{
    std::printf("stopped: %s; best epoch %d (0: the starting weights), held-out accuracy %.2f%% -> %.2f%%\n",
                r.stopReason.c_str(), r.bestEpoch, 100.0 * r.heldoutBefore, 100.0 * r.heldoutAfter);
    std::printf("wrote %s%s%s\n", r.outputModel.c_str(), r.outputQuant.empty() ? "" : " and ", r.outputQuant.c_str());
    if (r.stopReason == "cancelled")
        return int(kExitCancelled);
    if (r.stopReason.rfind("NaN", 0) == 0) {
        std::fprintf(stderr, "error: %s; the outputs hold the last good weights\n", r.stopReason.c_str());
        return int(kExitUserError);
    }
    (void)req;
    return int(kExitOk);
}

} // namespace

CommandRun declareRetrain(CLI::App& sub)
{
    auto req = std::make_shared<train::RetrainRequest>();
    train::RetrainOptions& o = req->options;
    sub.add_option("model", req->modelPath, "ONNX model")->required();
    sub.add_option("--quant", req->quantPath, "quantization JSON to train against (quantization-aware; omit: FP32)");
    const DataSourceOptions data = addDataSourceOptions(sub, "training");
    sub.add_option("--epochs", o.epochs, "training epochs (default 10)")->check(numberIn(1));
    sub.add_option("--lr", o.learningRate, "Adam learning rate (default 1e-4)")->check(numberIn(0, 1e300, true));
    sub.add_option("--batch", o.batchSize, "samples per training step (default 64)")->check(numberIn(1));
    sub.add_option("--holdout", o.holdout, "fraction held out for early stopping and the best-weights choice (default 0.1)")
        ->check(numberIn(0, 0.99));
    sub.add_option("--patience", o.patience, "epochs without held-out improvement before stopping (default 3, 0: never)")
        ->check(numberIn(0));
    sub.add_option("--seed", o.seed, "seed of the data order, held-out split and noise draws (default 0)");
    sub.add_option("--analog-noise", o.analogNoise,
                   "off: quantization-aware only; default: the spec's non-idealities, or the default noise model")
        ->check(CLI::IsMember({"off", "default"}));
    sub.add_option("--lr-schedule", o.lrSchedule, "constant (default) or cosine: the rate falls to 0 over the run")
        ->check(CLI::IsMember({"constant", "cosine"}));
    sub.add_option("--scale-lr", o.scaleLrFactor, "with --quant: the learned scales' rate as a multiple of --lr (default 1)")
        ->check(numberIn(0, 1e6, true));
    auto fixedActivations = std::make_shared<bool>(false);
    sub.add_flag("--fixed-activation-scales", *fixedActivations,
                 "with --quant: keep the spec's activation scales and ADC ranges (default: learn them)");
    auto oneChip = std::make_shared<bool>(false);
    sub.add_flag("--one-training-chip", *oneChip,
                 "with --analog-noise: train on the seed's chip only (default: a fresh chip every step)");
    sub.add_option("--distill", o.distillWeight,
                   "weight in [0, 1] of distillation from the starting FP32 model's outputs (default 0: labels only)")
        ->check(numberIn(0, 1));
    sub.add_option("--distill-temperature", o.distillTemperature, "softening temperature of --distill (default 2)")
        ->check(numberIn(0, 1e6, true));
    o.threads = 1; // as the other verbs: on a shared machine more threads mostly spin (docs/retraining.md)
    sub.add_option("--threads", o.threads, "torch threads (default 1, 0: every core)")->check(numberIn(0));
    sub.add_option("-o,--output", req->outputModel, "tuned ONNX model to write")->required();
    sub.add_option("--quant-out", req->outputQuant, "the tuned model's quantization JSON (with --quant)");
    sub.add_option("--checkpoint", req->checkpointPath, "checkpoint file (default: OUTPUT.ckpt); resumed when present");
    auto noResume = std::make_shared<bool>(false);
    sub.add_flag("--no-resume", *noResume, "start over even when the checkpoint exists");
    return [=] {
        req->data = data();
        req->resume = !*noResume;
        req->options.learnActivationScales = !*fixedActivations;
        req->options.freshChipPerStep = !*oneChip;
        ConsoleProgress progress(!consoleOptions().quiet);
        const train::RetrainResult r = train::runRetrain(*req, &progress, [&](const train::EpochReport& e) {
            progress.finish();
            printEpoch(e);
        });
        progress.finish();
        return printResult(*req, r);
    };
}

bool trainingBuiltIn() { return true; }

#else

bool trainingBuiltIn() { return false; }

CommandRun declareRetrain(CLI::App& sub)
{
    sub.allow_extras();
    return [] () -> int {
        fail("retrain: this tessera was built without the training library (libtorch-dev; "
             "configure with -DTESSERA_BUILD_TRAINING=ON)");
    };
}

#endif

} // namespace tessera::cli
