#pragma once
// Straight-through estimators for the quantization-aware forward (quant/train/QatHooks.h):
// the forward value follows core/analog/Numerics.h exactly (round half to even, then
// saturation; torch::round rounds half to even), the gradient passes rounding unchanged
// and is zero where a value is clipped.
#include "core/analog/Numerics.h"

#include <torch/torch.h>

namespace tessera::train {

// round(t) forward, identity backward.
inline torch::Tensor roundSte(const torch::Tensor& t) { return t + (t.round() - t).detach(); }

// sat(roundHalfEven(t)) to [lo, hi] (integer bounds: clamping first gives the same value);
// gradient 1 inside the range, 0 outside.
inline torch::Tensor codesSte(const torch::Tensor& t, analog::CodeRange range)
{
    return roundSte(t.clamp(static_cast<double>(range.lo), static_cast<double>(range.hi)));
}

// Codes of real values x (any float dtype) at `scale`: quantizeValue of Numerics.h, in
// double as core computes it (float value / double scale). Returns a double tensor.
inline torch::Tensor quantizeSte(const torch::Tensor& x, double scale, analog::CodeRange range)
{
    return codesSte(x.to(torch::kDouble) / scale, range);
}

// x rounded onto its tensor's grid (analog::fakeQuantize), in x's dtype.
inline torch::Tensor fakeQuantizeSte(const torch::Tensor& x, double scale, analog::CodeRange range)
{
    return (quantizeSte(x, scale, range) * scale).to(x.scalar_type());
}

} // namespace tessera::train
