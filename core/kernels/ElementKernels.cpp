#include "core/kernels/ElementKernels.h"

#include "core/analog/AnalogModel.h"

#include <cmath>
#include <vector>

namespace tessera::kernels {

namespace {

// adcConvert for a shift in [1, 61], branch free (round half to even: up when
// r + (q & 1) > half), so the loop vectorizes.
template <bool Store>
void adcRow(const int64_t* __restrict p, int64_t cols, int64_t shift, int64_t half, int64_t adcMax, int64_t* __restrict acc)
{
    for (int64_t j = 0; j < cols; ++j) {
        int64_t q = p[j] >> shift;
        const int64_t r = p[j] - analog::shiftLeft(q, static_cast<int>(shift));
        q -= (half - (r + (q & 1))) >> 63;
        q = q < -adcMax ? -adcMax : (q > adcMax ? adcMax : q);
        acc[j] = (Store ? 0 : acc[j]) + analog::shiftLeft(q, static_cast<int>(shift));
    }
}

template <bool Store>
void adcRows(const int64_t* sums, int64_t count, int64_t cols, int shift, int64_t adcMax, int64_t* acc, int64_t ldAcc)
{
    for (int64_t i = 0; i < count; ++i) {
        const int64_t* p = sums + i * cols;
        int64_t* row = acc + i * ldAcc;
        if (shift == 0)
            for (int64_t j = 0; j < cols; ++j)
                row[j] = (Store ? 0 : row[j]) + analog::saturate(p[j], -adcMax, adcMax);
        else if (shift <= 61)
            adcRow<Store>(p, cols, shift, int64_t(1) << (shift - 1), adcMax, row);
        else
            for (int64_t j = 0; j < cols; ++j)
                row[j] = (Store ? 0 : row[j]) + analog::adcConvert(p[j], shift, adcMax);
    }
}

} // namespace

void adcAccumulate(const int64_t* sums, int64_t count, int64_t cols, int shift, int64_t adcMax, int64_t* acc,
                   int64_t ldAcc, bool store)
{
    if (store)
        adcRows<true>(sums, count, cols, shift, adcMax, acc, ldAcc);
    else
        adcRows<false>(sums, count, cols, shift, adcMax, acc, ldAcc);
}

namespace {

// requant.apply for |v| < 2^32 and shift in [1, 61] (Numerics.h's 64-bit path: round half
// to even), branch free so the loop vectorizes: round up when r + (q & 1) > half.
// (half = 2^(shift-1) is precomputed: GCC 12 does not vectorize 1 << variable.)
inline int64_t applyFast(int64_t v, int64_t multiplier, int64_t shift, int64_t half)
{
    const int64_t p = v * multiplier;
    const int64_t q = p >> shift;
    const int64_t r = p - analog::shiftLeft(q, static_cast<int>(shift)); // q may be negative
    return q - ((half - (r + (q & 1))) >> 63);
}

void fastRow(const int64_t* __restrict v, const int64_t* __restrict mult, const int64_t* __restrict shift,
             const int64_t* __restrict half, int64_t cols, int64_t lo, int64_t hi, int32_t* __restrict y)
{
    for (int64_t c = 0; c < cols; ++c) {
        const int64_t q = applyFast(v[c], mult[c], shift[c], half[c]);
        y[c] = static_cast<int32_t>(q < lo ? lo : (q > hi ? hi : q));
    }
}

// v = acc + bias; returns nonzero when some |v| >= 2^32.
int64_t biasRow(const int64_t* __restrict acc, const int64_t* __restrict bias, int64_t cols, int64_t* __restrict v)
{
    constexpr uint64_t kSmall = uint64_t(1) << 32;
    int64_t big = 0;
    for (int64_t c = 0; c < cols; ++c) {
        v[c] = acc[c] + bias[c];
        big |= static_cast<int64_t>(static_cast<uint64_t>(v[c]) + (kSmall - 1) >= 2 * kSmall - 1);
    }
    return big;
}

} // namespace

void epilogueRows(const int64_t* acc, int64_t rows, int64_t cols, const int64_t* bias,
                  const analog::Requantizer* requant, analog::CodeRange out, int32_t* y, int64_t frames,
                  int64_t accFrame, int64_t yFrame)
{
    bool fastShifts = true;
    thread_local std::vector<int64_t> table;
    table.resize(static_cast<size_t>(4 * cols));
    int64_t *mult = table.data(), *shift = mult + cols, *half = shift + cols, *v = half + cols;
    for (int64_t c = 0; c < cols; ++c) {
        mult[c] = requant[c].multiplier;
        shift[c] = requant[c].shift;
        fastShifts = fastShifts && shift[c] >= 1 && shift[c] <= 61;
        half[c] = fastShifts ? int64_t(1) << (shift[c] - 1) : 0;
    }
    for (int64_t f = 0; f < frames; ++f)
        for (int64_t i = 0; i < rows; ++i) {
            int32_t* yi = y + f * yFrame + i * cols;
            if (biasRow(acc + f * accFrame + i * cols, bias, cols, v) == 0 && fastShifts)
                fastRow(v, mult, shift, half, cols, out.lo, out.hi, yi);
            else
                for (int64_t c = 0; c < cols; ++c)
                    yi[c] = analog::epilogue(v[c], requant[c], out);
        }
}

namespace {

// saturate(roundHalfEven(x / scale)) as a double: below 2^52, (q + 2^52) - 2^52 (with q's
// sign) is the nearest integer, ties to even (Numerics.h); larger magnitudes and infinities
// saturate either way; NaN is 0. Branch free, so the loops below vectorize.
inline double quantizedCode(float x, double scale, double lo, double hi)
{
    const double q = static_cast<double>(x) / scale;
    const double big = std::copysign(4503599627370496.0, q);
    double r = std::fabs(q) < 4503599627370496.0 ? (q + big) - big : q;
    r = q == q ? r : 0.0;
    return r < lo ? lo : (r > hi ? hi : r);
}

} // namespace

void fakeQuantizeRow(float* __restrict data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint)
{
    const analog::CodeRange c = analog::centeredRange(range, zeroPoint);
    const double lo = static_cast<double>(c.lo), hi = static_cast<double>(c.hi);
    for (int64_t i = 0; i < count; ++i)
        data[i] = static_cast<float>(quantizedCode(data[i], scale, lo, hi) * scale);
}

namespace {

template <class T>
void quantizeCodes(const float* __restrict data, int64_t count, double scale, analog::CodeRange range,
                   int64_t zeroPoint, int32_t offset, T* __restrict codes)
{
    const analog::CodeRange c = analog::centeredRange(range, zeroPoint);
    const double lo = static_cast<double>(c.lo), hi = static_cast<double>(c.hi);
    const int32_t z = static_cast<int32_t>(zeroPoint);
    for (int64_t i = 0; i < count; ++i)
        codes[i] = static_cast<T>(static_cast<int32_t>(quantizedCode(data[i], scale, lo, hi)) + z + offset);
}

} // namespace

void quantizeRow(const float* data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint,
                 int32_t* codes)
{
    quantizeCodes(data, count, scale, range, zeroPoint, 0, codes);
}

void quantizeBytes(const float* data, int64_t count, double scale, analog::CodeRange range, int64_t zeroPoint,
                   int32_t offset, uint8_t* bytes)
{
    quantizeCodes(data, count, scale, range, zeroPoint, offset, bytes);
}

} // namespace tessera::kernels
