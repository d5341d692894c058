#pragma once
// The per-element loops of the analog numeric model, vectorized: the ADC of a block's column
// sums, the epilogue of accumulator rows, DAC quantization and fake quantization, exactly as
// core/analog/Numerics.h and AnalogModel.h define them (adcConvert, epilogue, quantizeValue,
// fakeQuantize; tests/core/test_element_kernels.cpp checks each against its definition).
// Compiled for the build machine's vector ISA (TESSERA_NATIVE). Shared by every executor of
// the analog model: AnalogLayer (the quantized reference executor) and the simulator.
#include "core/analog/Numerics.h"

#include <cstdint>

namespace tessera::kernels {

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

} // namespace tessera::kernels
