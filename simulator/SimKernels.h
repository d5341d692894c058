#pragma once
// The simulator's per-element loops (internal): the ADC of a block's column sums and the
// epilogue of accumulator rows, as core/analog/AnalogModel.h defines them (adcConvert,
// epilogue), in a file compiled for the build machine's vector ISA.
#include "core/analog/Numerics.h"

#include <cstdint>

namespace tessera::sim {

// acc[i * ldAcc + j] += adcConvert(sums[i * cols + j], shift, adcMax), i < count, j < cols
// (= when store: the first block into accumulators that are 0).
void adcAccumulate(const int64_t* sums, int64_t count, int64_t cols, int shift, int64_t adcMax, int64_t* acc,
                   int64_t ldAcc, bool store = false);
// y[i * cols + c] = epilogue(acc[i * cols + c] + bias[c], requant[c], out), i < rows; for
// `frames` such runs of rows, frame f's at acc + f * accFrame and y + f * yFrame.
void epilogueRows(const int64_t* acc, int64_t rows, int64_t cols, const int64_t* bias,
                  const analog::Requantizer* requant, analog::CodeRange out, int32_t* y, int64_t frames = 1,
                  int64_t accFrame = 0, int64_t yFrame = 0);

// analog::fakeQuantize (core/analog/Numerics.h) of float data in place, branch free.
void fakeQuantizeRow(float* data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint);
// codes[i] = analog::quantizeValue(data[i], scale, range, zeroPoint) (a range within int32),
// branch free: the DAC codes of offset coding keep their zero point.
void quantizeRow(const float* data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint,
                 int32_t* codes);
// bytes[i] = analog::quantizeValue(data[i], scale, range, zeroPoint) + offset: the integer
// kernels' byte form (kernels::InputBytes, offset = kernels::inputByteOffset), for a range
// within [-offset, 255 - offset]; branch free.
void quantizeBytes(const float* data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint,
                   int32_t offset, uint8_t* bytes);

} // namespace tessera::sim
