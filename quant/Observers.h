#pragma once
// Range observers: pick a clipping threshold T for a tensor from calibration statistics,
// so that scale = T / maxCode(bits). Activations are observed as a histogram of |x|
// (symmetric quantization, zero point 0); weights per output channel from their values.
#include "core/quantspec/QuantSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::quant {

// A histogram of |x| over [0, maxAbs] built in a second pass once maxAbs is known.
class AbsHistogram {
public:
    AbsHistogram() = default;
    AbsHistogram(double maxAbs, int bins);
    void add(const float* data, int64_t count);
    double binWidth() const { return m_width; }
    const std::vector<double>& counts() const { return m_counts; }
    double maxAbs() const { return m_maxAbs; }

private:
    double m_maxAbs = 0.0;
    double m_width = 0.0;
    std::vector<double> m_counts;
};

// The clipping threshold for `levels` positive quantization levels (maxCode(bits)).
double chooseThreshold(const AbsHistogram& hist, int64_t levels, const ObserverOptions& options);

// Per-output-channel symmetric scales for a [n, k] row-major weight matrix with
// `bits`-bit levels. MinMax: max|w| / qmax; Mse: the clip ratio in [0.3, 1] (100 steps)
// minimizing the channel's squared quantization error. Zero channels get scale 1.
std::vector<double> weightScales(const float* weights, int64_t n, int64_t k, int bits, ObserverKind kind);

} // namespace tessera::quant
