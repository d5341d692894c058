#pragma once
// `tessera quantize --adaround`: learned rounding (quant/train/AdaRound.h) as an option of
// the quantize verb. Its options and its run live here so the verb itself changes little;
// without the training library (TESSERA_HAVE_TRAINING) the option says so.
#include "quant/QuantizeApi.h"

#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace tessera::cli {

struct AdaRoundArgs {
    bool enabled = false;
    int iterations = 1000;
    double learningRate = 1e-2;
    int64_t seed = 0;
    std::string modelOut;
};

// Adds --adaround, --adaround-iters, --adaround-lr, --adaround-seed and --model-out.
void addAdaRoundOptions(CLI::App& sub, AdaRoundArgs& args);
// Refuses AdaRound's options without --adaround, and --adaround without --model-out.
void checkAdaRoundArgs(const AdaRoundArgs& args);
// Calibrates, learns the rounding and writes the tuned model and its spec; prints a line
// per layer. Throws tessera::Error when the training library was not built.
void runAdaRound(const AdaRoundArgs& args, const quant::QuantizeRequest& request);

} // namespace tessera::cli
