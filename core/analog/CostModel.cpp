#include "core/analog/CostModel.h"

#include <algorithm>
#include <cmath>

namespace tessera::analog {

LayerCost DefaultCostModel::layerCost(const LayerWork& w, const ArrayGeometry& geo) const
{
    LayerCost c;
    const int64_t rowBlocks = (w.rows + geo.rows - 1) / geo.rows;
    const int64_t colBlocks = (w.cols + geo.cols - 1) / geo.cols;
    // Groups (depthwise) pack block-diagonally: their rows stack in one array's rows.
    const int64_t groups = std::max<int64_t>(w.groups, 1);
    c.arrays = groups == 1 ? rowBlocks * colBlocks : ((w.rows * groups + geo.rows - 1) / geo.rows) * colBlocks;
    c.conversions = w.vectors * rowBlocks * w.cols;
    c.cells = w.rows * w.cols;
    c.weightStorageBits = c.cells * w.weightBits;
    c.latencyNs = static_cast<double>(w.vectors) * w.inputBits * cycleNs;
    const double adcPj = adcFomFj * std::ldexp(1.0, w.adcBits) * 1e-3;
    const double arrayPj = cellFj * 1e-3 * static_cast<double>(c.cells) * w.inputBits * w.vectors;
    c.energyPj = static_cast<double>(c.conversions) * adcPj + arrayPj;
    return c;
}

} // namespace tessera::analog
