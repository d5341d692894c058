#pragma once
// Cost of running one analog layer, as an interface so targets can bring their own.
// The default model (documented in docs/analog-model.md; every constant is an assumption
// anchored on the public facts in shared/notes/analog-primer.md):
//  - inputs are driven bit-serially: one array read takes inputBits cycles of
//    `cycleNs`, and each row block x column block of the layer is one array read per
//    input vector (blocks on different arrays run in parallel; the layer's latency is
//    vectors x inputBits x cycleNs);
//  - every column of every row block is digitized once per vector; ADC energy per
//    conversion grows with resolution as `adcFomFj` x 2^adcBits (Walden figure of merit);
//  - array energy: `cellFj` per active cell per input-bit cycle;
//  - weight bits change the levels a cell holds, not the number of cells: they do not
//    change time or energy here; `weightStorageBits` (cells x weightBits) reports them.
#include "core/analog/AnalogModel.h"

#include <cstdint>

namespace tessera::analog {

struct LayerWork {
    int64_t rows = 0;    // K per group
    int64_t cols = 0;    // N (all groups)
    int64_t groups = 1;
    int64_t vectors = 0; // input vectors per inference (Conv: output pixels; Gemm: rows of A)
    int weightBits = 8;
    int inputBits = 8;
    int adcBits = 12;
};

struct LayerCost {
    double latencyNs = 0.0;
    double energyPj = 0.0;
    int64_t arrays = 0;            // row blocks x column blocks (x groups, packed: see doc)
    int64_t conversions = 0;       // ADC conversions per inference
    int64_t cells = 0;             // weights programmed
    int64_t weightStorageBits = 0; // cells x weightBits
};

class CostModel {
public:
    virtual ~CostModel() = default;
    virtual LayerCost layerCost(const LayerWork& work, const ArrayGeometry& geometry) const = 0;
};

class DefaultCostModel : public CostModel {
public:
    double cycleNs = 300.0; // 8 bits -> 2.4 us per array read ("1000x1000 ... within a few microseconds")
    double adcFomFj = 50.0; // energy per conversion step: 8 bits -> 12.8 pJ per conversion
    double cellFj = 0.5;    // per active cell per input-bit cycle

    LayerCost layerCost(const LayerWork& work, const ArrayGeometry& geometry) const override;
};

} // namespace tessera::analog
