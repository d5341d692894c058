#pragma once
// Pieces several verbs share: loading a model at the shapes the user's data has,
// parsing shape options, number formatting, top-1 of logits.
#include "core/onnx/OnnxImporter.h"
#include "core/passes/PassContext.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Validator;
}

namespace tessera::cli {

// Option checks with ranges people read: a finite number in [lo, hi] (or (lo, hi] when
// `lowOpen`); NaN and infinities are refused. The message reads "must be a number >= 1,
// got 0" / "must be a number in (0, 100], got 150". Omit `hi` for no upper bound.
CLI::Validator numberIn(double lo, double hi = 1.0e300, bool lowOpen = false);

// --threads N of the verbs that run an executor: the FP32 kernels' threads (default 1,
// 0 = every core; results do not depend on it). Applied by applyThreads().
void addThreadsOption(CLI::App& sub, int& threads);
void applyThreads(int threads);

struct LoadRequest {
    std::string path;
    std::map<std::string, Shape> shapes;  // explicit shapes by input name (--shape)
    std::optional<int64_t> batch;         // replaces dimension 0 of every input (--batch)
    std::optional<Shape> singleInputShape; // the shape of the data fed to a one-input model
    bool optimize = false;                // run the cleanup pipeline after import
    std::vector<std::string> passes;      // with optimize: these passes by name (empty: defaultPipeline())
    PassContext* passContext = nullptr;   // with optimize: options and log of the run (null: defaults);
                                          // with its foldLog set, the file's Identity folding is recorded too
};

// Imports the model at the requested shapes. Input names are read from a lenient
// import first, so shapes can be given without knowing them. Throws tessera::Error
// naming the file.
ImportedModel loadModel(const LoadRequest& request);

// "name=1,3,640,640" -> {name, shape}; throws tessera::Error on a malformed spec.
std::pair<std::string, Shape> parseShapeSpec(const std::string& spec);

// 2758890 -> "2,758,890"
std::string withThousands(int64_t value);

// Index of the largest value along the last axis of a rank-2 [rows, classes] tensor.
std::vector<int64_t> argmaxRows(const Tensor& scores);

// "12.3 ms" / "1.52 s"
std::string formatSeconds(double seconds);

} // namespace tessera::cli
