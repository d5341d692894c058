#pragma once
// The cleanup the engines run (quant::ModelGraphs, `tessera inspect --optimize`), applied to
// a graph imported as written (core/onnx/ImportAsWritten.h): the importer's folding of
// forwarded weights, then the default pipeline. With context.foldLog set, every removed
// node is recorded, so a view of the file can say what each node became.
#include "core/passes/Pass.h"

namespace tessera {

// `passNames` empty: only the folding of forwarded weights, what importOnnxFile does (for a
// lenient import whose shapes are unknown).
void cleanUpImportedGraph(Graph& graph, PassContext& context, const std::vector<std::string>& passNames = defaultPipeline());

} // namespace tessera
