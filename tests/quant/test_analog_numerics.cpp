// The analog numeric model (core/analog): rounding rules, requantizer, hand-computed
// layers (ADC step, clipping, row-block split) and the central property: with every
// non-ideality off and a wide ADC, the analog layer equals plain digital INT8
// per-channel quantization, checked against a straightforward reference written here.
#include "core/Error.h"
#include "core/analog/AnalogModel.h"
#include "core/analog/Numerics.h"

#include <QtTest>

#include <cfenv>
#include <cmath>
#include <random>

using namespace tessera;
using namespace tessera::analog;

namespace {

// Reference rounding for the test: the C library's nearbyint in the default
// round-to-nearest-even mode (independent of roundHalfEven's explicit implementation).
int64_t refRound(double x)
{
    std::fesetround(FE_TONEAREST);
    return static_cast<int64_t>(std::nearbyint(x));
}
int64_t refClamp(int64_t v, int64_t lo, int64_t hi) { return std::min(hi, std::max(lo, v)); }

// Plain digital INT8 per-channel inference of y = W x + b (weights [n, k]):
// weights symmetric per channel (max|w|/127), inputs unsigned 8-bit (scale sx),
// int64 accumulation, int32 bias in units sx*sw, fixed-point requantization with a Q31
// multiplier (the gemmlowp/TFLite representation), round half to even, clamp to int8.
std::vector<int32_t> referenceInt8(const std::vector<float>& w, const std::vector<float>& b,
                                   const std::vector<int32_t>& xCodes, int64_t m, int64_t n, int64_t k,
                                   double sx, double sy, std::vector<int64_t>* accOut = nullptr)
{
    std::vector<int32_t> y(static_cast<size_t>(m * n));
    for (int64_t c = 0; c < n; ++c) {
        double maxAbs = 0;
        for (int64_t j = 0; j < k; ++j)
            maxAbs = std::max(maxAbs, std::fabs(double(w[c * k + j])));
        const double sw = maxAbs / 127.0;
        std::vector<int64_t> q(static_cast<size_t>(k));
        for (int64_t j = 0; j < k; ++j)
            q[j] = refClamp(refRound(w[c * k + j] / sw), -127, 127);
        const int64_t qb = refRound(b[c] / (sx * sw));
        // Q31 multiplier: m = mant * 2^exp, mant in [0.5, 1) -> M = mant * 2^31, shift = 31 - exp.
        int exp = 0;
        const double mant = std::frexp(sx * sw / sy, &exp);
        int64_t mult = refRound(std::ldexp(mant, 31));
        if (mult == (int64_t(1) << 31)) { mult /= 2; ++exp; }
        const int shift = 31 - exp;
        for (int64_t i = 0; i < m; ++i) {
            int64_t acc = qb;
            for (int64_t j = 0; j < k; ++j)
                acc += int64_t(xCodes[i * k + j]) * q[j];
            if (accOut)
                (*accOut)[i * n + c] = acc;
            // Exact rounding of acc * mult / 2^shift: the product fits in long double's
            // 64-bit mantissa here (|acc| < 2^32, mult < 2^31), and scaling by 2^-shift is exact.
            const long double exact = std::ldexp(static_cast<long double>(acc) * mult, -shift);
            std::fesetround(FE_TONEAREST);
            y[i * n + c] = static_cast<int32_t>(refClamp(std::llrint(exact), -127, 127));
        }
    }
    return y;
}

AnalogLayerParams handParams(int adcBits, int64_t adcRange, int64_t rowsPerBlock)
{
    AnalogLayerParams p;
    p.name = "hand";
    p.rows = 3;
    p.cols = 1;
    p.numerics.weightBits = 8;
    p.numerics.inputBits = 8;
    p.numerics.adcBits = adcBits;
    p.numerics.adcRange = adcRange;
    p.numerics.rowsPerBlock = rowsPerBlock;
    p.inputScale = 1.0;
    p.weightScales = {0.25};
    p.output.scale = 1.0;
    return p;
}

// A 256-row, 64-column layer with random weights and unsigned 8-bit inputs, wide ADC.
struct NoisyFixture {
    int64_t m = 16, n = 64, k = 256;
    std::vector<float> w;
    std::vector<int32_t> x;
    AnalogLayerParams params;
    NoisyFixture()
    {
        std::mt19937 gen(7);
        std::normal_distribution<float> nd(0.0f, 0.1f);
        std::uniform_int_distribution<int32_t> xd(0, 255);
        w.resize(static_cast<size_t>(n * k));
        for (float& v : w) v = nd(gen);
        x.resize(static_cast<size_t>(m * k));
        for (int32_t& v : x) v = xd(gen);
        params.name = "noisy";
        params.rows = k;
        params.cols = n;
        params.numerics.adcBits = 32;
        params.inputScale = 1.0 / 255;
        params.weightScales = maxAbsWeightScales(w.data(), n, k, 8);
        params.output.scale = 0.05;
    }
    std::vector<int64_t> ideal() const { return AnalogLayer(params, w.data(), {}).accumulate(x.data(), m); }
    double rmsError(const NonIdealities& ni) const
    {
        const std::vector<int64_t> ref = ideal();
        const std::vector<int64_t> y = AnalogLayer(params, w.data(), {}, ni).accumulate(x.data(), m);
        double se = 0;
        for (size_t i = 0; i < ref.size(); ++i)
            se += double(y[i] - ref[i]) * double(y[i] - ref[i]);
        return std::sqrt(se / ref.size());
    }
};

} // namespace

class TestAnalogNumerics : public QObject {
    Q_OBJECT
private slots:
    void roundHalfEvenTies()
    {
        QCOMPARE(roundHalfEven(0.5), int64_t(0));
        QCOMPARE(roundHalfEven(1.5), int64_t(2));
        QCOMPARE(roundHalfEven(2.5), int64_t(2));
        QCOMPARE(roundHalfEven(-0.5), int64_t(0));
        QCOMPARE(roundHalfEven(-1.5), int64_t(-2));
        QCOMPARE(roundHalfEven(-2.5), int64_t(-2));
        QCOMPARE(roundHalfEven(2.4999), int64_t(2));
        QCOMPARE(roundHalfEven(-2.5001), int64_t(-3));
        QCOMPARE(roundHalfEven(std::nan("")), int64_t(0));
    }

    // Negative sums are the common case on every quantized run. Evaluated at compile time,
    // where a left shift of a negative value (undefined behaviour) does not compile.
    void negativeValuesAreDefinedBehaviour()
    {
        static_assert(shiftLeft(-3, 4) == -48 && shiftLeft(-1, 62) == INT64_MIN / 2);
        static_assert(roundingShiftRightEven(-9, 2) == -2 && roundingShiftRightEven(-6, 2) == -2);
        static_assert(roundingShiftRightEven128(-(__int128(1) << 100) - 3, 64) == -(int64_t(1) << 36));
        static_assert(adcConvert(-1000, 3, 100) == -800 && adcConvert(-37, 2, 127) == -36);
        QCOMPARE(adcConvert(-1000, 3, 100), -100 * 8); // saturated at -adcMax, times 2^shift
    }

    void roundingShiftTiesToEven()
    {
        QCOMPARE(roundingShiftRightEven(5, 1), int64_t(2));   // 2.5 -> 2
        QCOMPARE(roundingShiftRightEven(7, 1), int64_t(4));   // 3.5 -> 4
        QCOMPARE(roundingShiftRightEven(-5, 1), int64_t(-2)); // -2.5 -> -2
        QCOMPARE(roundingShiftRightEven(-7, 1), int64_t(-4)); // -3.5 -> -4
        QCOMPARE(roundingShiftRightEven(6, 2), int64_t(2));   // 1.5 -> 2
        QCOMPARE(roundingShiftRightEven(10, 2), int64_t(2));  // 2.5 -> 2
        QCOMPARE(roundingShiftRightEven(11, 2), int64_t(3));  // 2.75 -> 3
        QCOMPARE(roundingShiftRightEven(-9, 2), int64_t(-2)); // -2.25 -> -2
    }

    // The 64-bit fast paths (ADC shift, requantizer with |acc| < 2^32) equal the 128-bit
    // definition for every shift, around ties and at the fast path's boundary.
    void fastPathsEqualWideArithmetic()
    {
        std::mt19937_64 gen(3);
        std::vector<int64_t> values{0, 1, -1, (int64_t(1) << 32) - 1, -(int64_t(1) << 32) + 1, int64_t(1) << 32,
                                    -(int64_t(1) << 32), INT64_MAX / 2, INT64_MIN / 2};
        for (int i = 0; i < 2000; ++i)
            values.push_back(static_cast<int64_t>(gen()) >> (gen() % 60));
        for (int64_t v : values)
            for (int shift = 0; shift < 64; ++shift) {
                QCOMPARE(roundingShiftRightEven(v, shift), roundingShiftRightEven128(v, shift));
                const int64_t tie = shift > 0 ? shiftLeft(v >> shift, shift) + (int64_t(1) << (shift - 1)) : v;
                QCOMPARE(roundingShiftRightEven(tie, shift), roundingShiftRightEven128(tie, shift));
            }
        for (double m : {1e-9, 0.0173, 0.5, 0.999999, 3.7, 1000.0}) {
            const Requantizer q = Requantizer::fromReal(m);
            for (int64_t v : values)
                QCOMPARE(q.apply(v), roundingShiftRightEven128(static_cast<__int128>(v) * q.multiplier, q.shift));
        }
    }

    void requantizer()
    {
        Requantizer half = Requantizer::fromReal(0.5);
        QCOMPARE(half.multiplier, int64_t(1) << 30);
        QCOMPARE(half.shift, 31);
        QCOMPARE(half.apply(3), int64_t(2));  // 1.5 -> 2
        QCOMPARE(half.apply(5), int64_t(2));  // 2.5 -> 2
        QCOMPARE(half.apply(-3), int64_t(-2));
        Requantizer tenth = Requantizer::fromReal(0.1);
        QCOMPARE(tenth.apply(1000), int64_t(100));
        QVERIFY(std::fabs(tenth.real() - 0.1) / 0.1 < std::ldexp(1.0, -30));
        QCOMPARE(Requantizer::fromReal(0.0).apply(12345), int64_t(0));
    }

    void codeRanges()
    {
        QCOMPARE(codeRange(8, true).lo, int64_t(-127));
        QCOMPARE(codeRange(8, true).hi, int64_t(127));
        QCOMPARE(codeRange(8, false).hi, int64_t(255));
        QCOMPARE(codeRange(3, true).hi, int64_t(3));
        QCOMPARE(codeRange(2, true).hi, int64_t(1));
    }

    // Weights [31.75, -2.625, 0.375] with scale 0.25 -> levels [127, -10 (tie -10.5), 2 (tie 1.5)];
    // input codes [1, 2, 3] -> column sum 127 - 20 + 6 = 113; requant m = 1*0.25/1.
    void handLayerWideAdc()
    {
        const std::vector<float> w = {31.75f, -2.625f, 0.375f};
        AnalogLayer layer(handParams(32, 0, 1024), w.data(), {});
        QCOMPARE(layer.weightLevels(), std::vector<int8_t>({127, -10, 2}));
        const std::vector<int32_t> x = {1, 2, 3};
        QCOMPARE(layer.accumulate(x.data(), 1)[0], int64_t(113));
        int32_t y = 0;
        layer.run(x.data(), 1, &y);
        QCOMPARE(y, 28); // 113 * 0.25 = 28.25 -> 28
    }

    // 4-bit ADC (codes +-7) over range 113: step 2^5 (7*16 = 112 < 113 <= 7*32);
    // 113 / 32 = 3.53 -> 4 -> 128; y = 128 * 0.25 = 32.
    void handLayerAdcStep()
    {
        const std::vector<float> w = {31.75f, -2.625f, 0.375f};
        AnalogLayer layer(handParams(4, 113, 1024), w.data(), {});
        QCOMPARE(layer.adcShift(), 5);
        const std::vector<int32_t> x = {1, 2, 3};
        QCOMPARE(layer.accumulate(x.data(), 1)[0], int64_t(128));
    }

    // Rows split in blocks of 2: block sums 107 and 6, each digitized with step 16
    // (range 107: 7*16 = 112): 107/16 = 6.69 -> 7 -> 112; 6/16 = 0.375 -> 0. Total 112:
    // the small second block is lost entirely: splitting costs precision.
    void handLayerRowSplit()
    {
        const std::vector<float> w = {31.75f, -2.625f, 0.375f};
        AnalogLayer layer(handParams(4, 107, 2), w.data(), {});
        QCOMPARE(layer.adcShift(), 4);
        const std::vector<int32_t> x = {1, 2, 3};
        QCOMPARE(layer.maxAbsBlockSum(x.data(), 1), int64_t(107));
        QCOMPARE(layer.accumulate(x.data(), 1)[0], int64_t(112));
    }

    // Range 14 with a 4-bit ADC: step 2 (7*2 = 14); 113/2 = 56.5 clips to 7 -> 14;
    // y = 14 * 0.25 = 3.5 -> 4 (tie to even).
    void handLayerAdcClips()
    {
        const std::vector<float> w = {31.75f, -2.625f, 0.375f};
        AnalogLayer layer(handParams(4, 14, 1024), w.data(), {});
        const std::vector<int32_t> x = {1, 2, 3};
        QCOMPARE(layer.accumulate(x.data(), 1)[0], int64_t(14));
        int32_t y = 0;
        layer.run(x.data(), 1, &y);
        QCOMPARE(y, 4);
    }

    void fusedReluClampsCodes()
    {
        const std::vector<float> w = {-31.75f, 0.0f, 0.0f};
        AnalogLayerParams p = handParams(32, 0, 1024);
        p.output.clampLo = 0.0;
        AnalogLayer layer(p, w.data(), {});
        const std::vector<int32_t> x = {10, 0, 0};
        int32_t y = 1;
        layer.run(x.data(), 1, &y);
        QCOMPARE(y, 0);
    }

    // The central property, on a layer wider than one array (1500 rows -> two row blocks)
    // with bias, 2 input batches of random data.
    void equalsDigitalInt8WhenIdeal()
    {
        const int64_t m = 7, n = 5, k = 1500;
        std::mt19937 gen(42);
        std::normal_distribution<float> nd(0.0f, 0.05f);
        std::uniform_int_distribution<int32_t> xd(0, 255);
        std::vector<float> w(static_cast<size_t>(n * k)), b(static_cast<size_t>(n));
        for (float& v : w) v = nd(gen);
        for (float& v : b) v = nd(gen) * 10;
        std::vector<int32_t> x(static_cast<size_t>(m * k));
        for (int32_t& v : x) v = xd(gen);
        const double sx = 1.0 / 255.0, sy = 0.02;

        AnalogLayerParams p;
        p.name = "fc";
        p.rows = k;
        p.cols = n;
        p.numerics.adcBits = 32; // wide ADC: step 1, never clips
        p.inputScale = sx;
        p.weightScales = maxAbsWeightScales(w.data(), n, k, 8);
        p.output.scale = sy;
        AnalogLayer layer(p, w.data(), b);
        std::vector<int64_t> refAcc(static_cast<size_t>(m * n));
        std::vector<int32_t> ref = referenceInt8(w, b, x, m, n, k, sx, sy, &refAcc);
        QCOMPARE(layer.accumulate(x.data(), m), refAcc);
        std::vector<int32_t> y(static_cast<size_t>(m * n));
        layer.run(x.data(), m, y.data());
        QCOMPARE(y, ref);
        // Not vacuous: outputs span many codes.
        QVERIFY(*std::max_element(y.begin(), y.end()) - *std::min_element(y.begin(), y.end()) > 50);
    }

    // Grouped layer: each group reads its own input columns (depthwise-style).
    void groupsReadTheirOwnInputs()
    {
        AnalogLayerParams p = handParams(32, 0, 1024);
        p.rows = 2;
        p.cols = 2;
        p.groups = 2;
        p.weightScales = {1.0, 1.0};
        const std::vector<float> w = {1, 2, 3, 4}; // column 0: [1, 2], column 1: [3, 4]
        AnalogLayer layer(p, w.data(), {});
        const std::vector<int32_t> x = {5, 6, 7, 8}; // group 0 reads [5, 6], group 1 [7, 8]
        QCOMPARE(layer.accumulate(x.data(), 1), std::vector<int64_t>({5 + 12, 21 + 32}));
    }

    void nonIdealitiesAreSeededAndOffByDefault()
    {
        NoisyFixture f;
        NonIdealities ni;
        ni.readNoise = 0.02;
        ni.weightProgramNoise = 0.02;
        ni.adcOffset = 0.5;
        ni.seed = 1;
        AnalogLayer a(f.params, f.w.data(), {}, ni), b(f.params, f.w.data(), {}, ni);
        const std::vector<int64_t> ya = a.accumulate(f.x.data(), f.m), yb = b.accumulate(f.x.data(), f.m);
        QCOMPARE(ya, yb); // same seed, same call sequence: identical
        QVERIFY(ya != f.ideal());
        ni.seed = 2;
        AnalogLayer c(f.params, f.w.data(), {}, ni);
        QVERIFY(c.accumulate(f.x.data(), f.m) != ya);
    }

    // Each knob alone (wide ADC, step 1) produces the error its definition predicts.
    void nonIdealityMagnitudes()
    {
        NoisyFixture f;
        NonIdealities read;
        read.readNoise = 0.02; // sigma = 0.02 * 255 * 127 = 647.7 product units per sum
        QVERIFY2(std::fabs(f.rmsError(read) / 647.7 - 1.0) < 0.15, qPrintable(QString::number(f.rmsError(read))));
        NonIdealities prog;
        prog.weightProgramNoise = 0.02; // per cell sigma 2.54 levels: sum error sigma 2.54 * |x|
        double sumX2 = 0;
        for (int32_t v : f.x)
            sumX2 += double(v) * v;
        const double expected = 0.02 * 127 * std::sqrt(sumX2 / f.m);
        QVERIFY2(std::fabs(f.rmsError(prog) / expected - 1.0) < 0.25, qPrintable(QString::number(f.rmsError(prog))));
        NonIdealities offset;
        offset.adcOffset = 3.0; // per-column fixed offset, 3 LSB sigma; LSB = 1 here
        const double e = f.rmsError(offset);
        QVERIFY2(e > 1.0 && e < 9.0, qPrintable(QString::number(e)));
    }

    void badParametersNameTheLayer()
    {
        const std::vector<float> w = {1, 2, 3};
        for (int bits : {1, 9}) {
            AnalogLayerParams p = handParams(12, 0, 1024);
            p.numerics.weightBits = bits;
            try {
                AnalogLayer layer(p, w.data(), {});
                QFAIL("expected an error");
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains("hand") && QString(e.what()).contains("weight bits"), e.what());
            }
        }
        AnalogLayerParams p = handParams(12, 0, 1024);
        p.inputScale = std::nan("");
        QVERIFY_THROWS_EXCEPTION(Error, AnalogLayer(p, w.data(), {}));
    }

    // Offset coding (Numerics.h): a HardSwish-like range [-0.375, 6] at 8 bits gets scale
    // 6.375 / 255 = 0.025 and zero point 0.375 / 0.025 = 15, half the symmetric step 6 / 127;
    // a balanced range stays symmetric, a ReLU range unsigned, and without offsets symmetric.
    void offsetCodingIsChosenForLopsidedRanges()
    {
        const TensorCoding hs = chooseCoding(-0.375, 6.0, 8, true);
        QVERIFY(!hs.isSigned);
        QCOMPARE(hs.zeroPoint, int64_t(15));
        QVERIFY(std::fabs(hs.scale - 0.025) < 1e-15);
        const TensorCoding sym = chooseCoding(-0.375, 6.0, 8, false);
        QVERIFY(sym.isSigned && sym.zeroPoint == 0 && std::fabs(sym.scale - 6.0 / 127) < 1e-15);
        const TensorCoding balanced = chooseCoding(-0.9, 1.0, 8, true);
        QVERIFY(balanced.isSigned && balanced.zeroPoint == 0 && std::fabs(balanced.scale - 1.0 / 127) < 1e-15);
        const TensorCoding relu = chooseCoding(0.0, 6.0, 8, true);
        QVERIFY(!relu.isSigned && relu.zeroPoint == 0 && std::fabs(relu.scale - 6.0 / 255) < 1e-15);
    }

    // Codes with z = 15, scale 0.025: -0.5 saturates at code 0 (-0.375), 0 is code 15,
    // 0.0376 / 0.025 = 1.504 -> code 17 (0.05), 7 saturates at 255 ((255 - 15) * 0.025 = 6).
    void offsetCodesRoundTrip()
    {
        const CodeRange r = codeRange(8, false);
        QCOMPARE(quantizeValue(-0.5, 0.025, r, 15), int64_t(0));
        QCOMPARE(quantizeValue(0.0, 0.025, r, 15), int64_t(15));
        QCOMPARE(quantizeValue(0.0376, 0.025, r, 15), int64_t(17));
        QCOMPARE(quantizeValue(7.0, 0.025, r, 15), int64_t(255));
        std::vector<float> v = {-0.5f, 0.0f, 0.0376f, 7.0f};
        fakeQuantize(v.data(), 4, 0.025, r, 15);
        QCOMPARE(v, std::vector<float>({float(-15 * 0.025), 0.0f, float(2 * 0.025), float(240 * 0.025)}));
        const RealRange real = representableRange(0.025, r, 15);
        QCOMPARE(real.lo, -15 * 0.025);
        QCOMPARE(real.hi, 240 * 0.025);
    }

    // The offset cancels in the bias: levels [127, -10, 2] (handLayerWideAdc) with input zero
    // point 5 give the bias code -5 * (127 - 10 + 2) = -595, and the centered codes [1, 2, 3]
    // sent as DAC codes [6, 7, 8] sum to 6*127 - 70 + 16 - 595 = 113, handLayerWideAdc's sum.
    void offsetCodesCancelInTheBias()
    {
        const std::vector<float> w = {31.75f, -2.625f, 0.375f};
        AnalogLayerParams p = handParams(32, 0, 1024);
        p.numerics.inputZeroPoint = 5;
        AnalogLayer layer(p, w.data(), {});
        QCOMPARE(layer.biasCodes(), std::vector<int64_t>({-595}));
        const std::vector<int32_t> x = {6, 7, 8};
        QCOMPARE(layer.accumulate(x.data(), 1)[0], int64_t(113));
        p.numerics.inputSigned = true; // a zero point needs unsigned codes
        QVERIFY_THROWS_EXCEPTION(Error, AnalogLayer(p, w.data(), {}));
    }
};

QTEST_APPLESS_MAIN(TestAnalogNumerics)
#include "test_analog_numerics.moc"
