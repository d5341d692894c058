// Range observers (quant/Observers.h): the entropy (KL) threshold against a brute-force KL
// written out here (TensorRT's recipe), on the tensors that broke it on PP-OCRv4 rec: an
// 8-bit image input, values that never come near zero, and ReLU outputs with many zeros.
#include "quant/Observers.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

using namespace tessera;
using namespace tessera::quant;

namespace {

constexpr int64_t kLevels = 127; // signed 8-bit codes

// KL(P || Q) for a clip after `keep` bins: P is the kept bins with the clipped ones added to
// the last; Q puts bin j in level floor(j * levels / keep) and spreads each level's count over
// its non-empty bins. Infinite when P has mass where Q has none.
double referenceKl(const std::vector<double>& bins, int keep, int64_t levels)
{
    std::vector<double> p(bins.begin(), bins.begin() + keep), levelSum(levels, 0.0), levelBins(levels, 0.0);
    for (size_t j = keep; j < bins.size(); ++j)
        p[keep - 1] += bins[j];
    for (int j = 0; j < keep; ++j)
        if (bins[j] > 0.0) {
            levelSum[j * levels / keep] += bins[j];
            levelBins[j * levels / keep] += 1.0;
        }
    double pTotal = 0.0, qTotal = 0.0;
    for (int j = 0; j < keep; ++j) {
        pTotal += p[j];
        qTotal += bins[j] > 0.0 ? levelSum[j * levels / keep] / levelBins[j * levels / keep] : 0.0;
    }
    double kl = 0.0;
    for (int j = 0; j < keep; ++j) {
        const double q = bins[j] > 0.0 ? levelSum[j * levels / keep] / levelBins[j * levels / keep] / qTotal : 0.0;
        if (p[j] > 0.0)
            kl += q > 0.0 ? p[j] / pTotal * std::log(p[j] / pTotal / q) : std::numeric_limits<double>::infinity();
    }
    return kl;
}

double entropyThreshold(const std::vector<float>& values, AbsHistogram* out = nullptr)
{
    double maxAbs = 0.0;
    for (float v : values)
        maxAbs = std::max(maxAbs, std::fabs(static_cast<double>(v)));
    AbsHistogram h(maxAbs, 2048);
    h.add(values.data(), static_cast<int64_t>(values.size()));
    if (out)
        *out = h;
    ObserverOptions o;
    o.kind = ObserverKind::Entropy;
    return chooseThreshold(h, kLevels, o);
}

int keptBins(const AbsHistogram& h, double t) { return static_cast<int>(std::lround(t / h.binWidth())); }

} // namespace

class TestObservers : public QObject {
    Q_OBJECT
private slots:
    // A text line normalized to [-1, 1]: mostly white (+1) and black (-1) pixels, some greys.
    // The full range has a smaller KL than the chosen clip would have, so clipping is wrong.
    void imageInputKeepsItsRange()
    {
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> pixel(0, 255), kind(0, 19);
        std::vector<float> x(40000);
        for (float& v : x) {
            const int k = kind(rng), p = k < 17 ? 255 : k < 18 ? 0 : pixel(rng);
            v = static_cast<float>((p / 255.0 - 0.5) / 0.5);
        }
        AbsHistogram h;
        const double t = entropyThreshold(x, &h);
        const int keep = keptBins(h, t);
        QVERIFY2(referenceKl(h.counts(), keep, kLevels) <= referenceKl(h.counts(), 2048, kLevels) * 1.02,
                 qPrintable(QString("T %1 keeps %2 bins").arg(t).arg(keep)));
        double best = std::numeric_limits<double>::infinity();
        for (int i = 2048; i >= kLevels; i -= 4)
            best = std::min(best, referenceKl(h.counts(), i, kLevels));
        QVERIFY(referenceKl(h.counts(), keep, kLevels) <= best * 1.02);
    }

    // |x| uniform in [0.5, 1]: any T below 0.5 clips every value to one code.
    void neverClipsEveryValue()
    {
        std::mt19937 rng(3);
        std::uniform_real_distribution<float> u(0.5f, 1.0f);
        std::vector<float> x(20000);
        for (float& v : x)
            v = u(rng);
        QVERIFY2(entropyThreshold(x) > 0.5, qPrintable(QString::number(entropyThreshold(x))));
    }

    // Exact zeros are coded exactly under any T, so adding three zeros per value of a
    // half-normal must not move the threshold (beyond a few bins).
    void zerosDoNotMoveTheThreshold()
    {
        std::mt19937 rng(5);
        std::normal_distribution<float> n(0.0f, 1.0f);
        std::vector<float> x(30000);
        for (float& v : x)
            v = std::fabs(n(rng));
        AbsHistogram h;
        const double alone = entropyThreshold(x, &h);
        x.resize(4 * x.size(), 0.0f);
        const double withZeros = entropyThreshold(x);
        QVERIFY2(std::fabs(withZeros - alone) <= 8 * h.binWidth(),
                 qPrintable(QString("alone %1, with zeros %2, max %3").arg(alone).arg(withZeros).arg(h.maxAbs())));
    }
};

QTEST_APPLESS_MAIN(TestObservers)
#include "test_observers.moc"
