#include "app/cli/AdaRoundOption.h"

#include "app/cli/Console.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#if TESSERA_HAVE_TRAINING
#include "quant/train/AdaRound.h"
#endif

#include <CLI/CLI.hpp>

#include <cstdio>

namespace tessera::cli {

void addAdaRoundOptions(CLI::App& sub, AdaRoundArgs& a)
{
    sub.add_flag("--adaround", a.enabled,
                 "learn each analog layer's weight rounding on the calibration data (AdaRound); writes a tuned model "
                 "(--model-out) whose spec is -o");
    sub.add_option("--adaround-iters", a.iterations, "AdaRound iterations per layer (default 1000)")->check(numberIn(1));
    sub.add_option("--adaround-lr", a.learningRate, "AdaRound learning rate (Adam, default 0.01)")->check(numberIn(0, 1e300, true));
    sub.add_option("--adaround-seed", a.seed, "AdaRound seed (subsample and batch order)")->check(numberIn(0));
    sub.add_option("--model-out", a.modelOut, "with --adaround: the tuned ONNX model to write");
}

void checkAdaRoundArgs(const AdaRoundArgs& a)
{
    if (!a.enabled && !a.modelOut.empty())
        fail("--model-out is written by --adaround only (plain quantization does not change the model)");
    if (a.enabled && a.modelOut.empty())
        fail("--adaround changes the model's weights: give --model-out tuned.onnx (the quantization spec -o is then "
             "for that model)");
}

#if TESSERA_HAVE_TRAINING
void runAdaRound(const AdaRoundArgs& a, const quant::QuantizeRequest& request)
{
    train::AdaRoundRequest req;
    req.quantize = request;
    req.options.iterations = a.iterations;
    req.options.learningRate = a.learningRate;
    req.options.seed = static_cast<uint64_t>(a.seed);
    req.modelOut = a.modelOut;
    ConsoleProgress progress(!consoleOptions().quiet);
    const train::AdaRoundReport report = train::runAdaRoundQuantize(req, &progress);
    progress.finish();
    for (const train::AdaRoundLayerReport& l : report.layers) {
        if (!l.skipped.empty()) {
            std::printf("%s: %s\n", l.layer.c_str(), l.skipped.c_str());
            continue;
        }
        std::printf("%s: %d-bit, %lld of %lld levels changed, output MSE %.4g -> %.4g (%lld vectors, %.1f s)\n",
                    l.layer.c_str(), l.weightBits, static_cast<long long>(l.changed), static_cast<long long>(l.weights),
                    l.nearestError, l.learnedError, static_cast<long long>(l.vectors), l.seconds);
    }
    std::printf("wrote %s and %s (its quantization spec): %zu analog layers, AdaRound %.1f s\n", a.modelOut.c_str(),
                request.outputPath.c_str(), report.layers.size(), report.seconds);
}
#else
void runAdaRound(const AdaRoundArgs&, const quant::QuantizeRequest&)
{
    fail("--adaround needs the retraining library, which this tessera was built without (libtorch; CMake option "
         "TESSERA_BUILD_TRAINING)");
}
#endif

} // namespace tessera::cli
