#pragma once
// The user's own metric (`--metric-cmd 'CMD {ref} {out}'`): a program scores the quantized
// outputs against the FP32 ones (both written as .npy, [N, ...]) and prints one number,
// higher is better. Evaluation and the mixed-precision search then budget in its units:
// drop = score(ref, ref) - score(ref, out).
#include "core/Tensor.h"

#include <string>

namespace tessera::quant {

// Runs `command` with {ref} and {out} replaced by the paths of .npy files holding `ref` and
// `out` (shell-quoted); returns the last line of its stdout as a number. Fails naming the
// command with its exit status and stderr, or with what it printed when that is no number.
double runMetricCommand(const std::string& command, const Tensor& ref, const Tensor& out);

} // namespace tessera::quant
