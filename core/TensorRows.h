#pragma once
// Rows (axis 0) of a tensor: samples or frames stacked on the first dimension. Shared by the
// quantizer's datasets (quant/Dataset.h), the simulator's seed sweeps and the studio.
#include "core/Tensor.h"

#include <vector>

namespace tessera {

// Rows [begin, begin + count) of a [N, ...] tensor (a copy); throws tessera::Error when
// they are not all there.
Tensor sliceRows(const Tensor& all, int64_t begin, int64_t count);
// The tensors one after the other along axis 0 (equal dtypes and trailing dims).
Tensor concatRows(const std::vector<Tensor>& parts);

} // namespace tessera
