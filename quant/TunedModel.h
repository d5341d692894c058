#pragma once
// A model whose weights a flow changed (retraining, AdaRound), saved as a new ONNX file
// plus the quantization spec made for it, so every other verb takes the pair as it takes
// any model and its spec.
#include "core/Graph.h"
#include "core/quantspec/QuantSpec.h"

#include <string>

namespace tessera::quant {

struct TunedModelFiles {
    std::string model; // the tuned ONNX file (required)
    std::string quant; // its quantization spec (required when a spec is given)
};

// `prepared`: the graph the spec's layers refer to (the model opened for the spec, with
// the spec's rewrites applied) holding the tuned weight constants. Writes it as ONNX (the
// rewrites are then part of the model) and `spec` with its rewrites cleared, `model` and
// `modelHash` set for the new file. Before writing anything it re-imports the exported
// bytes and checks that every layer and tensor the spec names is there and that the
// re-imported graph computes what `prepared` does; both files are written atomically.
// Throws tessera::Error naming the file, layer or tensor otherwise. The exported input
// keeps `prepared`'s batch; other batches re-infer as for any fixed-batch export.
void saveTunedModel(const Graph& prepared, const QuantSpec* spec, const TunedModelFiles& out);

} // namespace tessera::quant
