#pragma once
// Big synthetic graphs for the layout benchmark and tests: a ResNet-like stack of residual
// blocks with occasional two-branch (inception-like) blocks, shapes filled in directly.
#include "app/model/GraphDocument.h"

namespace tessera::studio {

// About `targetNodes` op nodes (stops at the first block boundary past it).
Graph makeSyntheticGraph(int targetNodes, unsigned seed = 1);
DocumentPtr makeSyntheticDocument(int targetNodes, unsigned seed = 1);

} // namespace tessera::studio
