#pragma once
// Loading models for display. A model that fails strict import is imported again
// leniently, so unsupported models still draw (their unknown nodes in red) and the
// strict error is kept for the summary.
#include "app/model/GraphDocument.h"
#include "core/Progress.h"

#include <string>

namespace tessera::studio {

// Throws tessera::Error naming the file when neither import works (corrupt file).
DocumentPtr loadModelDocument(const std::string& path, ProgressSink& progress);

} // namespace tessera::studio
