#include "quant/Observers.h"

#include "core/Error.h"
#include "core/analog/AnalogModel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tessera::quant {

AbsHistogram::AbsHistogram(double maxAbs, int bins)
    : m_maxAbs(maxAbs), m_width(maxAbs > 0.0 ? maxAbs / bins : 1.0), m_counts(static_cast<size_t>(bins), 0.0)
{
}

void AbsHistogram::add(const float* data, int64_t count)
{
    const int last = static_cast<int>(m_counts.size()) - 1;
    const double inv = 1.0 / m_width;
    for (int64_t i = 0; i < count; ++i) {
        const double a = std::fabs(static_cast<double>(data[i]));
        if (!std::isfinite(a))
            continue;
        m_counts[static_cast<size_t>(std::min(last, static_cast<int>(a * inv)))] += 1.0;
    }
}

namespace {

double percentileThreshold(const AbsHistogram& h, double percentile)
{
    const auto& c = h.counts();
    const double total = std::accumulate(c.begin(), c.end(), 0.0);
    const double target = total * std::clamp(percentile, 0.0, 100.0) / 100.0;
    double cum = 0.0;
    for (size_t i = 0; i < c.size(); ++i) {
        cum += c[i];
        if (cum >= target)
            return (static_cast<double>(i) + 1.0) * h.binWidth();
    }
    return h.maxAbs();
}

// Expected squared error of quantizing the histogram with threshold t and `levels` steps.
double expectedError(const AbsHistogram& h, double t, int64_t levels)
{
    const double step = t / static_cast<double>(levels);
    const double rounding = step * step / 12.0;
    double err = 0.0;
    const auto& c = h.counts();
    for (size_t i = 0; i < c.size(); ++i) {
        if (c[i] == 0.0)
            continue;
        const double center = (static_cast<double>(i) + 0.5) * h.binWidth();
        err += c[i] * (center > t ? (center - t) * (center - t) : rounding);
    }
    return err;
}

double mseThreshold(const AbsHistogram& h, int64_t levels)
{
    const int bins = static_cast<int>(h.counts().size());
    double best = h.maxAbs(), bestErr = expectedError(h, best, levels);
    for (int i = 1; i <= bins; i += std::max(1, bins / 256)) {
        const double t = i * h.binWidth();
        const double e = expectedError(h, t, levels);
        if (e < bestErr) {
            bestErr = e;
            best = t;
        }
    }
    return best;
}

// KL divergence between reference P (first i bins, outliers folded into the last) and its
// quantization into `levels` bins expanded back (empty bins stay empty), as in TensorRT.
double klForThreshold(const std::vector<double>& c, int i, int64_t levels)
{
    std::vector<double> p(c.begin(), c.begin() + i);
    for (size_t j = static_cast<size_t>(i); j < c.size(); ++j)
        p.back() += c[j];
    std::vector<double> q(static_cast<size_t>(i), 0.0);
    const double binsPerLevel = static_cast<double>(i) / static_cast<double>(levels);
    for (int64_t l = 0; l < levels; ++l) {
        const int start = static_cast<int>(std::floor(l * binsPerLevel));
        const int stop = std::min(i, static_cast<int>(std::floor((l + 1) * binsPerLevel)));
        double sum = 0.0;
        int nonEmpty = 0;
        for (int j = start; j < stop; ++j) {
            sum += c[j];
            nonEmpty += c[j] > 0.0;
        }
        for (int j = start; j < stop; ++j)
            if (c[j] > 0.0)
                q[j] = sum / nonEmpty;
    }
    const double pSum = std::accumulate(p.begin(), p.end(), 0.0);
    const double qSum = std::accumulate(q.begin(), q.end(), 0.0);
    if (pSum <= 0.0)
        return 0.0;
    if (qSum <= 0.0) // every value clipped into the last bin: Q is empty, the divergence infinite
        return std::numeric_limits<double>::infinity();
    double kl = 0.0;
    for (int j = 0; j < i; ++j) {
        if (p[j] <= 0.0)
            continue;
        const double pj = p[j] / pSum;
        const double qj = std::max(q[j] / qSum, 1e-12);
        kl += pj * std::log(pj / qj);
    }
    return kl;
}

// TensorRT's search, stride bins/512. Candidates run from the full range down so that "no
// clipping" is always one (an upward stride from `levels` skipped it) and ties keep the larger
// threshold. Bin 0 is replaced by bin 1, as in NVIDIA's calibrator: exact zeros (ReLU outputs,
// often most of a tensor) are coded exactly under any threshold, yet their spike, merged into
// level 0, would pull the threshold down.
double entropyThreshold(const AbsHistogram& h, int64_t levels)
{
    std::vector<double> c = h.counts();
    const int bins = static_cast<int>(c.size());
    if (levels < 1 || levels >= bins)
        return h.maxAbs();
    c[0] = c[1];
    double bestKl = std::numeric_limits<double>::infinity();
    int bestI = bins;
    for (int i = bins; i >= levels; i -= std::max(1, bins / 512)) {
        const double kl = klForThreshold(c, i, levels);
        if (kl < bestKl) {
            bestKl = kl;
            bestI = i;
        }
    }
    return bestI * h.binWidth();
}

} // namespace

double chooseThreshold(const AbsHistogram& hist, int64_t levels, const ObserverOptions& options)
{
    if (hist.maxAbs() <= 0.0)
        return 0.0;
    switch (options.kind) {
    case ObserverKind::MinMax: return hist.maxAbs();
    case ObserverKind::Percentile: return percentileThreshold(hist, options.percentile);
    case ObserverKind::Mse: return mseThreshold(hist, levels);
    case ObserverKind::Entropy: return entropyThreshold(hist, levels);
    }
    return hist.maxAbs();
}

std::vector<double> weightScales(const float* weights, int64_t n, int64_t k, int bits, ObserverKind kind)
{
    std::vector<double> scales = analog::maxAbsWeightScales(weights, n, k, bits);
    if (kind == ObserverKind::MinMax)
        return scales;
    const double qmax = static_cast<double>(analog::maxCode(bits, true));
    for (int64_t c = 0; c < n; ++c) {
        const float* w = weights + c * k;
        const double full = scales[c];
        double bestErr = 1e300;
        for (int step = 0; step <= 100; ++step) {
            const double s = full * (1.0 - 0.007 * step); // ratios 1.0 down to 0.3
            double err = 0.0;
            for (int64_t j = 0; j < k; ++j) {
                const double q = std::clamp(static_cast<double>(analog::roundHalfEven(w[j] / s)), -qmax, qmax);
                err += (q * s - w[j]) * (q * s - w[j]);
            }
            if (err < bestErr) {
                bestErr = err;
                scales[c] = s;
            }
        }
    }
    return scales;
}

} // namespace tessera::quant
