#pragma once
// Time and energy of analog work on a target, each rule stated once: the performance model
// (simulator/PerfModel.h) and the cost model the mixed-precision search ranks by
// (TargetCostModel) both use these. docs/performance-model.md derives every formula.
//
//   conversion time   adcConversionNs(b) = adc.conversion_ns x b / adc.max_bits
//                     (a SAR ADC resolves one bit per cycle; the target gives the time at
//                     max_bits; assumption)
//   conversion energy adcConversionPj(b) = energy.adc_conversion_pj x 2^(b - adc.max_bits)
//                     (Walden figure of merit: energy doubles per bit, as DefaultCostModel)
//   one analog read   analogReadNs(a, cols, b) = mvm.setup_ns + a x mvm.ns_per_input_bit
//                     + ceil(cols / adc.count) x adcConversionNs(b)
//                     (a-bit inputs driven bit-serially, then every read column digitized
//                     once by the array's shared ADCs; the read-out does not overlap)
//   cell energy       cellReadPj(a) = energy.analog_mac_pj_per_input_bit x a per active
//                     cell (one weight) per input vector
#include "core/analog/CostModel.h"
#include "core/target/Target.h"

#include <cstdint>
#include <vector>

namespace tessera {

double adcConversionNs(const Target& target, int adcBits);
double adcConversionPj(const Target& target, int adcBits);
double analogReadNs(const Target& target, int inputBits, int64_t cols, int adcBits);
double cellReadPj(const Target& target, int inputBits);
// Blocks of one array that share a row or a column cannot compute at the same time: they
// are grouped into phases, heaviest block first (ties in the given order), each block
// joining the first phase none of whose blocks shares a row or a column with it. Blocks of
// one phase compute together. Returns the phases, each the indices of its blocks (the
// compiler's schedule and the performance model both use this rule).
struct ArrayBlock {
    int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;
    int64_t work = 0; // reads per frame
};
std::vector<std::vector<int>> arrayPhases(const std::vector<ArrayBlock>& blocks);

// One digital op (one lane, one element) on the SIMD engine, and on the processor.
double simdOpNs(const Target& target);
double processorOpNs(const Target& target);

// Per-layer cost on a target for ranking bit choices (weight, DAC = input, ADC bits): one
// replica of the layer, its row x column blocks on arrays of their own (computing in
// parallel), `vectors` input vectors per frame:
//   latencyNs = vectors x analogReadNs(inputBits, min(N, array cols), adcBits)
//   energyPj  = vectors x (cells x cellReadPj(inputBits)
//               + row blocks x N x adcConversionPj(adcBits)
//               + N x (3 + row blocks - 1) x simd_op_pj)     (epilogue, row-block sums)
// Weight bits change the levels a cell holds, not time or energy (weightStorageBits shows
// them); a weight wider than a cell takes ceil(bits / bits_per_cell) cells.
class TargetCostModel : public analog::CostModel {
public:
    explicit TargetCostModel(Target target) : m_target(std::move(target)) {}
    analog::LayerCost layerCost(const analog::LayerWork& work, const analog::ArrayGeometry& geometry) const override;
    // The same with the target's own array geometry.
    analog::LayerCost layerCost(const analog::LayerWork& work) const;
    const Target& target() const { return m_target; }

private:
    Target m_target;
};

} // namespace tessera
