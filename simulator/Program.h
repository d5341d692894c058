#pragma once
// What the machine prepares once from a package (internal to the simulator): per analog
// layer a one-node graph rebuilt from the package (op type, attributes, shapes) so core's
// lowering assembles input vectors and scatters outputs, with its scatter map; per placed
// block its levels packed for the integer kernels; per digital op a one-node graph whose
// node runs through core's op registry kernel.
#include "core/Graph.h"
#include "core/WeightMatrix.h"
#include "core/analog/AnalogLowering.h"
#include "core/kernels/IntGemm.h"
#include "core/package/Package.h"

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace tessera::sim {

struct LayerProgram {
    const package::PackageLayer* layer = nullptr;
    Graph graph; // x -> node -> y, shapes of the package tensors
    NodeId node = kNoNode;
    analog::AnalogMatmulView view; // geometry only (no weights)
    ScatterMap map;                // column result [V, N] -> output element
    bool mapCoversOutput = false;  // map is a permutation of the output's elements (SCATTER writes each once)
    std::vector<int32_t> gather;   // input element of each X element (analog::analogInputGather; empty: lower per frame)
    // Row stride of X as the integer kernels' bytes (kernels::InputBytes), 0 where X stays
    // int32 codes (no gather map, SIMD layers, inputs wider than 8 bits).
    int64_t byteStride = 0;
    int64_t vectors = 0;           // V per frame
    int64_t kTotal = 0;            // groups * K
    int64_t cols = 0;              // N
    analog::CodeRange inRange, outRange;
    std::unique_ptr<kernels::PackedLevels> simdLevels; // SIMD layers: all levels [N, K], groups
};

struct BlockProgram {
    const package::PlacedBlock* block = nullptr;
    std::unique_ptr<kernels::PackedLevels> packed; // the block's levels [cols, rows]
    int64_t rowBlock = 0; // index of the layer's row block (ADC shift, noise key)
    int64_t xOffset = 0;  // first input-vector element: group * K + rowBegin
    int64_t cols = 0;
    int shift = 0;
};

struct DigitalProgram {
    const package::DigitalOp* op = nullptr;
    Graph graph;
    NodeId node = kNoNode;
};

struct MachineProgram {
    package::Package pkg;
    std::vector<LayerProgram> layers;
    std::map<std::pair<int64_t, int64_t>, std::vector<BlockProgram>> arrays; // (tile, array) -> blocks
    std::vector<DigitalProgram> digital;
};

// Validates the package and prepares it. Throws tessera::Error naming the layer or op.
std::unique_ptr<MachineProgram> prepareProgram(package::Package pkg);

} // namespace tessera::sim
