#pragma once
// The weight-matrix column (core/WeightMatrix.h) of the ops that lower onto analog arrays.
#include "core/WeightMatrix.h"

namespace tessera::ops {

WeightMatrixDef convWeightMatrix();
WeightMatrixDef convTransposeWeightMatrix();
WeightMatrixDef gemmWeightMatrix();
WeightMatrixDef matmulWeightMatrix();

} // namespace tessera::ops
