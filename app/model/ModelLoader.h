#pragma once
// Loading models for display. The file is imported as written and cleaned up with the
// engines' passes (core/passes/ImportCleanup.h): the document is the cleaned graph, the one
// quantization, compile and simulation run, and its asImported() the file's own graph,
// mapped through what the passes recorded. A model that fails strict import is imported
// again leniently, so unsupported models still draw (their unknown nodes in red) and the
// strict error is kept for the summary.
#include "app/model/GraphDocument.h"
#include "core/Progress.h"

#include <map>
#include <string>

namespace tessera::studio {

// Throws tessera::Error naming the file when neither import works (corrupt file).
// `inputShapes` fixes named inputs (symbolic dims chosen in Model > Input Shapes).
DocumentPtr loadModelDocument(const std::string& path, ProgressSink& progress,
                              const std::map<std::string, Shape>& inputShapes = {});

} // namespace tessera::studio
