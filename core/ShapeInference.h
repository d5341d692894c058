#pragma once
// Static shape and dtype inference over the whole graph, using each op's registry row.
// Values that are computable before running (constants, Shape of a static tensor and
// small arithmetic on those) are evaluated on the way, which is how PyTorch's
// Shape->Gather->Concat->Reshape chains get static targets.
#include "core/Graph.h"

#include <map>

namespace tessera {

struct InferenceResult {
    // Values known without running the graph, by value id (excluding plain constants).
    std::map<ValueId, Tensor> knownValues;
};

// Infers every node's output dtype and shape in place. Throws tessera::Error naming the
// first node whose inputs do not fit its op.
InferenceResult inferShapes(Graph& graph);

// Runs the node's FP32 kernel on `inputs` (nullptr for an absent optional input) into new
// tensors of the output dtypes and shapes already inferred on the graph. The node's op must
// have a kernel. Shared by inference's evaluation of knowable values and ConstantFolding.
std::vector<Tensor> evaluateNode(const Graph& graph, const Node& node, const std::vector<const Tensor*>& inputs);

// Elements above which a foldable result is not evaluated during inference (large
// constant subgraphs are left to the ConstantFolding pass).
constexpr int64_t kMaxInferenceFoldElements = 1 << 20;

} // namespace tessera
