#pragma once
// Quantization-aware and analog-aware retraining: forward hooks (quant/train/ForwardHooks.h)
// that make the trainable graph compute as the quantized reference executor
// (quant/QuantizedExecutor.h) does, with straight-through gradients:
//  - analog(): each analog layer as the chip computes it (docs/analog-model.md): DAC
//    codes, per-channel weight levels, row blocks digitized by their ADC (step 2^s,
//    clipping), bias codes, the Q31 requantizer and the fused activation clamp; with the
//    seeded non-idealities when asked (the same noise model as core/analog/AnalogModel.h);
//  - value(): every quantized activation rounded to its tensor's codes.
// With noise off the forward equals the executor's output codes (up to the FP32 kernels of
// digital ops, which differ from torch's in the last bits). docs/retraining.md, section
// "Quantization-aware and analog-aware retraining".
#include "core/analog/AnalogModel.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/train/ForwardHooks.h"

#include <cstdint>
#include <memory>

namespace tessera::train {

struct QatOptions {
    // Inject the non-idealities of `noise` (units as in analog::NonIdealities): programming
    // error and ADC offsets fixed by noise.seed (core's keyed draws: one chip), read noise
    // drawn afresh at every forward pass (a torch Gaussian of the same sigma, from `seed`).
    bool analogNoise = false;
    analog::NonIdealities noise;
    uint64_t seed = 0;
    // Learn every layer's per-channel weight scales (LSQ-style, as log-scale factors).
    bool learnScales = true;
    // Learn the scale of every requantized tensor that feeds analog layers only (LSQ-style,
    // one log-factor per tensor, shared by its rounding and the layers' DAC): clipping
    // against resolution and, under noise, the signal against the read noise, which is in
    // integer product units. Each such layer's calibrated ADC range follows (QatLayer::adcRange).
    bool learnActivationScales = true;
    // In training, a fresh chip (programming error, ADC offsets) at every forward pass, so the
    // weights learn to live with any chip rather than the seed's; measurement (hooks not
    // training) uses the seed's chip.
    bool freshChipPerStep = true;
};

class QatHooks : public ForwardHooks {
public:
    // The spec for the current weights: learned weight scales, activation scales and the ADC
    // ranges that follow them written back, the rewrites cleared (the tuned model has them
    // baked in).
    virtual QuantSpec tunedSpec() const = 0;
    // The non-idealities the forward injects (all zero when analogNoise is off).
    virtual const analog::NonIdealities& noise() const = 0;
};

// The default analog-noise model (`--analog-noise default` when the spec has none):
// analog::defaultNonIdealities (core/analog/AnalogModel.h; ADC offset 0.5 LSB is an
// assumption, no public Mythic figure). docs/analog-model.md, Non-idealities.
analog::NonIdealities defaultAnalogNoise(uint64_t seed = 0);

// `prepared`: the graph the spec's layers refer to (quant::openModelFor(model, spec) with
// the spec's rewrites applied, as the quantized executor runs it); it must outlive the
// hooks. Throws tessera::Error naming the layer when the spec does not fit the graph or a
// layer's op has no quantization-aware form (Conv, Gemm and MatMul have one).
std::unique_ptr<QatHooks> makeQatHooks(const Graph& prepared, const QuantSpec& spec, const QatOptions& options);

} // namespace tessera::train
