#include "core/target/AnalogCost.h"

#include <algorithm>
#include <cmath>

namespace tessera {

double adcConversionNs(const Target& target, int adcBits)
{
    const AdcSpec& adc = target.analog.adc;
    return adc.conversionNs * static_cast<double>(adcBits) / static_cast<double>(std::max<int64_t>(1, adc.maxBits));
}

double adcConversionPj(const Target& target, int adcBits)
{
    return target.energy.adcConversionPj * std::ldexp(1.0, adcBits - static_cast<int>(target.analog.adc.maxBits));
}

double analogReadNs(const Target& target, int inputBits, int64_t cols, int adcBits)
{
    const AnalogSection& a = target.analog;
    const int64_t reads = (cols + a.adc.count - 1) / std::max<int64_t>(1, a.adc.count);
    return a.mvm.setupNs + inputBits * a.mvm.nsPerInputBit + static_cast<double>(reads) * adcConversionNs(target, adcBits);
}

namespace {

bool overlaps(int64_t a0, int64_t an, int64_t b0, int64_t bn) { return a0 < b0 + bn && b0 < a0 + an; }

} // namespace

std::vector<std::vector<int>> arrayPhases(const std::vector<ArrayBlock>& blocks)
{
    std::vector<int> order(blocks.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return blocks[a].work > blocks[b].work; });
    std::vector<std::vector<int>> phases;
    for (int id : order) {
        const ArrayBlock& b = blocks[id];
        size_t p = 0;
        for (; p < phases.size(); ++p) {
            bool clash = false;
            for (int o : phases[p]) {
                const ArrayBlock& x = blocks[o];
                clash = clash || overlaps(b.row0, b.rows, x.row0, x.rows) || overlaps(b.col0, b.cols, x.col0, x.cols);
            }
            if (!clash)
                break;
        }
        if (p == phases.size())
            phases.emplace_back();
        phases[p].push_back(id);
    }
    return phases;
}

double cellReadPj(const Target& target, int inputBits) { return target.energy.analogMacPjPerInputBit * inputBits; }

double simdOpNs(const Target& target) { return 1000.0 / (target.simd.clockMhz * static_cast<double>(target.simd.lanes)); }

double processorOpNs(const Target& target) { return 1000.0 / target.processor.clockMhz; }

analog::LayerCost TargetCostModel::layerCost(const analog::LayerWork& w, const analog::ArrayGeometry& geo) const
{
    analog::LayerCost c;
    const int64_t cellsPerWeight = (w.weightBits + m_target.analog.array.bitsPerCell - 1) / m_target.analog.array.bitsPerCell;
    const int64_t rowBlocks = (w.rows + geo.rows - 1) / std::max<int64_t>(1, geo.rows);
    const int64_t colBlocks = (w.cols * cellsPerWeight + geo.cols - 1) / std::max<int64_t>(1, geo.cols);
    const int64_t groups = std::max<int64_t>(w.groups, 1);
    c.arrays = groups == 1 ? rowBlocks * colBlocks : ((w.rows * groups + geo.rows - 1) / geo.rows) * colBlocks;
    c.conversions = w.vectors * rowBlocks * w.cols;
    c.cells = w.rows * w.cols * cellsPerWeight;
    c.weightStorageBits = w.rows * w.cols * w.weightBits;
    const int64_t readCols = std::min<int64_t>(w.cols * cellsPerWeight, geo.cols);
    c.latencyNs = static_cast<double>(w.vectors) * analogReadNs(m_target, w.inputBits, readCols, w.adcBits);
    const double vectors = static_cast<double>(w.vectors);
    const double epilogueOps = static_cast<double>(w.cols) * static_cast<double>(3 + rowBlocks - 1);
    c.energyPj = vectors * (static_cast<double>(c.cells) * cellReadPj(m_target, w.inputBits) +
                            static_cast<double>(rowBlocks * w.cols) * adcConversionPj(m_target, w.adcBits) +
                            epilogueOps * m_target.energy.simdOpPj);
    return c;
}

analog::LayerCost TargetCostModel::layerCost(const analog::LayerWork& work) const
{
    return layerCost(work, arrayGeometry(m_target));
}

} // namespace tessera
