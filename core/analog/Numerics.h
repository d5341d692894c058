#pragma once
// The integer arithmetic every stage shares (quantizer, compiler, simulator): rounding,
// saturation, code ranges and the fixed-point requantizer. One definition, so all stages
// agree bit for bit. See docs/analog-model.md.
//
// Rounding rule, everywhere: round half to EVEN ("banker's rounding", IEEE 754 default,
// the rule of ONNX QuantizeLinear). It applies to float->code quantization (roundHalfEven),
// to the requantizer's rounding right shift (roundingShiftRightEven) and to the ADC.
// Saturation, everywhere: clamp to the code range after rounding (never wrap).
#include <cmath>
#include <cstdint>
#include <limits>

namespace tessera::analog {

// Nearest integer to `x`, ties to even; saturates to the int64 range (NaN -> 0).
inline int64_t roundHalfEven(double x)
{
    if (std::isnan(x))
        return 0;
    if (x >= 9.2e18)
        return std::numeric_limits<int64_t>::max();
    if (x <= -9.2e18)
        return std::numeric_limits<int64_t>::min();
    // |x| < 2^52: adding and subtracting 2^52 (with x's sign) leaves the nearest integer,
    // ties to even, because doubles in [2^52, 2^53) are exactly the integers. This needs the
    // IEEE default rounding mode (to nearest, ties to even), which Tessera never changes.
    if (std::fabs(x) < 4503599627370496.0) {
        const double big = std::copysign(4503599627370496.0, x);
        return static_cast<int64_t>((x + big) - big);
    }
    return static_cast<int64_t>(x); // larger magnitudes are already integral
}

constexpr int64_t saturate(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// v * 2^shift for any sign of v (0 <= shift < 64). Shifting a negative value left is
// undefined behaviour in C++17, so the shift is done on the two's-complement bits; the
// result equals the multiplication whenever that fits in 64 bits.
constexpr int64_t shiftLeft(int64_t v, int shift) { return static_cast<int64_t>(static_cast<uint64_t>(v) << shift); }

// Arithmetic right shift by `shift` bits rounding to nearest, ties to even. shift >= 0.
// For 128-bit products (the requantizer's wide path).
constexpr int64_t roundingShiftRightEven128(__int128 v, int shift)
{
    if (shift <= 0)
        return static_cast<int64_t>(v);
    if (shift >= 126)
        return 0;
    const __int128 one = 1;
    __int128 q = v >> shift; // floor division (arithmetic shift)
    __int128 r = v - static_cast<__int128>(static_cast<unsigned __int128>(q) << shift); // q << shift, defined for q < 0
    __int128 half = one << (shift - 1);
    if (r > half || (r == half && (q & 1) != 0))
        q += 1;
    return static_cast<int64_t>(q);
}

// The same rule for 64-bit values (the ADC and the requantizer's hot path); equal to the
// 128-bit version for every input (tests/quant/test_analog_numerics.cpp checks it).
constexpr int64_t roundingShiftRightEven(int64_t v, int shift)
{
    if (shift <= 0)
        return v;
    if (shift >= 62)
        return roundingShiftRightEven128(v, shift);
    const int64_t q = v >> shift; // floor division (arithmetic shift)
    const int64_t r = v - shiftLeft(q, shift);
    const int64_t half = int64_t(1) << (shift - 1);
    // Round up when r > half, or r == half and q is odd: r + (q & 1) > half (branch free).
    return q + static_cast<int64_t>(r + (q & 1) > half);
}

// The integer code range of a `bits`-wide quantity. Signed codes are SYMMETRIC
// [-(2^(b-1)-1), 2^(b-1)-1] (no -2^(b-1): the range is the same both ways and the zero
// point is 0). Unsigned codes are [0, 2^b-1] (inputs after ReLU, or offset codes).
struct CodeRange {
    int64_t lo = 0;
    int64_t hi = 0;
};
inline CodeRange codeRange(int bits, bool isSigned)
{
    if (isSigned)
        return {-((int64_t(1) << (bits - 1)) - 1), (int64_t(1) << (bits - 1)) - 1};
    return {0, (int64_t(1) << bits) - 1};
}
// The largest code magnitude: the divisor that turns a calibrated max |x| into a scale.
inline int64_t maxCode(int bits, bool isSigned) { return codeRange(bits, isSigned).hi; }

// Offset (zero-point) coding, for tensors whose range is lopsided (HardSwish: >= -0.375):
// unsigned codes with a zero point z in the range,
//     code = sat(roundHalfEven(x / scale) + z, lo, hi),   real value = (code - z) * scale.
// Symmetric and ReLU coding are the case z = 0. The CENTERED code d = code - z is
// sat(roundHalfEven(x / scale), lo - z, hi - z): executors keep centered codes (and real
// values d * scale) between layers, and only a DAC adds z. An analog layer cancels the
// offset in its bias: sum_k (d_k + z) w[n,k] + (bias - z sum_k w[n,k]) = sum_k d_k w[n,k]
// + bias (AnalogModel.h, program()). Padding of a convolution reads code z (real 0).
inline CodeRange centeredRange(CodeRange range, int64_t zeroPoint)
{
    return {range.lo - zeroPoint, range.hi - zeroPoint};
}

// The real values a coding represents: [(lo - z) * scale, (hi - z) * scale].
struct RealRange {
    double lo = 0.0;
    double hi = 0.0;
};
inline RealRange representableRange(double scale, CodeRange range, int64_t zeroPoint)
{
    const CodeRange c = centeredRange(range, zeroPoint);
    return {static_cast<double>(c.lo) * scale, static_cast<double>(c.hi) * scale};
}

// Float -> code with scale `scale` (> 0) and zero point z: saturate(roundHalfEven(x / scale) + z),
// computed as z + the centered code so that +-inf (int64 limits) cannot overflow.
inline int64_t quantizeValue(double x, double scale, CodeRange range, int64_t zeroPoint = 0)
{
    return saturate(roundHalfEven(x / scale), range.lo - zeroPoint, range.hi - zeroPoint) + zeroPoint;
}

// Fake quantization of a digital op's float output (the quantized reference executor and
// the simulator): x -> (code - z) * scale = centered code * scale, in place.
inline void fakeQuantize(float* data, int64_t count, double scale, CodeRange range, int64_t zeroPoint = 0)
{
    const CodeRange centered = centeredRange(range, zeroPoint);
    for (int64_t i = 0; i < count; ++i)
        data[i] = static_cast<float>(static_cast<double>(quantizeValue(data[i], scale, centered)) * scale);
}

// How a tensor with clipping bounds [lo, hi] (lo <= 0 <= hi) is coded at `bits` bits:
// unsigned with z = 0 when lo == 0; else symmetric signed, or offset codes when the range
// is lopsided: when offset codes make the step at least kOffsetGain times finer (a range
// whose short side is under about half its long side). The offset scale spans [lo, hi]
// with 2^b - 1 steps and z = roundHalfEven(-lo / scale), so 0 is exactly a code.
struct TensorCoding {
    double scale = 1.0;
    int64_t zeroPoint = 0;
    bool isSigned = true;
};
constexpr double kOffsetGain = 1.3;
inline TensorCoding chooseCoding(double lo, double hi, int bits, bool allowOffset)
{
    TensorCoding c;
    lo = std::fmin(lo, 0.0);
    hi = std::fmax(hi, 0.0);
    c.isSigned = lo < 0.0;
    const double t = std::fmax(-lo, hi);
    const double symmetric = t / static_cast<double>(maxCode(bits, c.isSigned));
    c.scale = symmetric;
    const int64_t top = maxCode(bits, false);
    const double offset = (hi - lo) / static_cast<double>(top);
    if (allowOffset && c.isSigned && offset * kOffsetGain <= symmetric && offset > 0.0) {
        c.isSigned = false;
        c.scale = offset;
        c.zeroPoint = saturate(roundHalfEven(-lo / offset), 0, top);
    }
    return c;
}

// A layer's DAC narrower than its input tensor's codes (per-layer DAC bits, LayerQuant::
// inputBits < the tensor's bits): the DAC drives the same real range [lo, hi] with fewer,
// coarser steps. Its scale is the tensor's times maxCode(tensor bits) / maxCode(dac bits)
// (same signedness) and an offset code's zero point z scales down to roundHalfEven(z / that
// ratio), so real 0 stays exactly a code. A DAC at least as wide as the tensor's codes
// reads them as they are (the tensor's scale and z). Every stage takes a layer's input
// coding from here (core/analog/SpecProgramming.cpp).
struct DacCoding {
    int bits = 8;
    double scale = 1.0;
    int64_t zeroPoint = 0;
};
inline DacCoding dacCoding(double tensorScale, int64_t tensorZeroPoint, int tensorBits, bool isSigned, int dacBits)
{
    if (dacBits >= tensorBits)
        return {tensorBits, tensorScale, tensorZeroPoint};
    const double ratio = static_cast<double>(maxCode(tensorBits, isSigned)) / static_cast<double>(maxCode(dacBits, isSigned));
    const int64_t z = saturate(roundHalfEven(static_cast<double>(tensorZeroPoint) / ratio), 0, maxCode(dacBits, false));
    return {dacBits, tensorScale * ratio, z};
}

// A positive real multiplier m represented as multiplier * 2^-shift, with multiplier in
// [2^30, 2^31) (a Q31 mantissa) and shift in [0, 126]. apply(v) = round(v * m), ties to
// even, computed exactly in 128-bit integers. Relative representation error <= 2^-31.
struct Requantizer {
    int64_t multiplier = 0; // 0 means m == 0 (apply returns 0)
    int shift = 0;

    // m must be finite and >= 0 and < 2^31.
    static Requantizer fromReal(double m)
    {
        Requantizer q;
        if (!(m > 0.0) || !std::isfinite(m))
            return q;
        int exponent = 0;
        double mantissa = std::frexp(m, &exponent); // m = mantissa * 2^exponent, mantissa in [0.5, 1)
        int64_t mult = roundHalfEven(mantissa * 2147483648.0);
        if (mult == (int64_t(1) << 31)) {
            mult >>= 1;
            ++exponent;
        }
        int shift = 31 - exponent;
        if (shift < 0) { // m >= 2^31: not representable; callers validate scales first
            shift = 0;
            mult = std::numeric_limits<int32_t>::max();
        }
        if (shift > 126)
            return q;
        q.multiplier = mult;
        q.shift = shift;
        return q;
    }
    double real() const { return std::ldexp(static_cast<double>(multiplier), -shift); }
    int64_t apply(int64_t v) const
    {
        if (multiplier == 0)
            return 0;
        // |v| < 2^32 and multiplier < 2^31: the product fits in 63 bits (same result).
        if (v > -(int64_t(1) << 32) && v < (int64_t(1) << 32))
            return roundingShiftRightEven(v * multiplier, shift);
        return roundingShiftRightEven128(static_cast<__int128>(v) * multiplier, shift);
    }
};

} // namespace tessera::analog
