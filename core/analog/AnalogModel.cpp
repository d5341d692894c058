#include "core/analog/AnalogModel.h"

#include "core/Error.h"
#include "core/analog/Random.h"
#include "core/kernels/ElementKernels.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace tessera::analog {

namespace {

// Kinds separating the independent noise draws of one layer.
constexpr uint64_t kProgramKind = 0x70726f67ULL; // "prog"
constexpr uint64_t kOffsetKind = 0x6f666673ULL;  // "offs"
constexpr uint64_t kReadKind = 0x72656164ULL;    // "read"

// Input vectors per chunk: keeps the int64 block sums and accumulators cache-resident.
constexpr int64_t kChunk = 512;

void checkBits(const AnalogLayerParams& p, const char* what, int bits, int lo, int hi)
{
    if (bits < lo || bits > hi)
        fail("analog layer '", p.name, "': ", what, " ", bits, " is out of range [", lo, ", ", hi, "]");
}

bool positiveFinite(double v) { return std::isfinite(v) && v > 0.0; }

int64_t maxAbs(CodeRange r) { return std::max<int64_t>(std::llabs(r.lo), std::llabs(r.hi)); }

} // namespace

void validate(const AnalogLayerParams& p)
{
    checkBits(p, "weight bits", p.numerics.weightBits, 2, 8);
    checkBits(p, "input bits", p.numerics.inputBits, 2, 16);
    checkBits(p, "ADC bits", p.numerics.adcBits, 2, 32);
    checkBits(p, "output bits", p.output.bits, 2, 16);
    if (p.rows <= 0 || p.cols <= 0 || p.groups <= 0 || p.cols % p.groups != 0)
        fail("analog layer '", p.name, "': bad geometry rows=", p.rows, " cols=", p.cols, " groups=", p.groups);
    if (p.numerics.rowsPerBlock <= 0)
        fail("analog layer '", p.name, "': rows per block must be positive");
    if (p.numerics.adcRange < 0)
        fail("analog layer '", p.name, "': negative ADC range");
    auto checkZeroPoint = [&](const char* what, int64_t z, int bits, bool isSigned) {
        if (z != 0 && (isSigned || z < 0 || z > maxCode(bits, false)))
            fail("analog layer '", p.name, "': ", what, " zero point ", z, " needs unsigned codes within ", bits, " bits");
    };
    checkZeroPoint("input", p.numerics.inputZeroPoint, p.numerics.inputBits, p.numerics.inputSigned);
    checkZeroPoint("output", p.output.zeroPoint, p.output.bits, p.output.isSigned);
    if (!positiveFinite(p.inputScale) || !positiveFinite(p.output.scale))
        fail("analog layer '", p.name, "': input/output scales must be positive and finite");
    if (static_cast<int64_t>(p.weightScales.size()) != p.cols)
        fail("analog layer '", p.name, "': ", p.weightScales.size(), " weight scales for ", p.cols, " columns");
    for (double s : p.weightScales) {
        if (!positiveFinite(s))
            fail("analog layer '", p.name, "': weight scales must be positive and finite");
        if (p.inputScale * s / p.output.scale >= 2147483648.0)
            fail("analog layer '", p.name, "': requantization multiplier too large (output scale too small)");
    }
}

std::vector<double> maxAbsWeightScales(const float* weights, int64_t n, int64_t k, int bits)
{
    std::vector<double> scales(static_cast<size_t>(n), 1.0);
    const double qmax = static_cast<double>(maxCode(bits, true));
    for (int64_t i = 0; i < n; ++i) {
        double m = 0.0;
        for (int64_t j = 0; j < k; ++j)
            m = std::max(m, std::fabs(static_cast<double>(weights[i * k + j])));
        if (m > 0.0)
            scales[i] = m / qmax;
    }
    return scales;
}

// ---- ProgrammedLayer ----

int64_t ProgrammedLayer::blocks() const
{
    return (params.rows + params.numerics.rowsPerBlock - 1) / params.numerics.rowsPerBlock;
}

CodeRange ProgrammedLayer::inputRange() const { return codeRange(params.numerics.inputBits, params.numerics.inputSigned); }

CodeRange ProgrammedLayer::outputRange() const
{
    CodeRange r = centeredRange(codeRange(params.output.bits, params.output.isSigned), params.output.zeroPoint);
    const double sy = params.output.scale;
    r.lo = std::max(r.lo, roundHalfEven(params.output.clampLo / sy));
    r.hi = std::min(r.hi, roundHalfEven(params.output.clampHi / sy));
    if (r.hi < r.lo)
        r.hi = r.lo;
    return r;
}

int64_t ProgrammedLayer::worstCaseBlockSum() const
{
    const int64_t rows = std::min(params.rows, params.numerics.rowsPerBlock);
    return rows * maxAbs(inputRange()) * maxCode(params.numerics.weightBits, true);
}

bool ProgrammedLayer::transparentAdc() const
{
    const bool unitSteps = std::all_of(adcShifts.begin(), adcShifts.end(), [](int s) { return s == 0; });
    return unitSteps && adcMax >= worstCaseBlockSum();
}

ProgrammedLayer program(AnalogLayerParams params, const float* weights, const std::vector<float>& bias)
{
    validate(params);
    ProgrammedLayer p;
    p.params = std::move(params);
    const AnalogLayerParams& lp = p.params;
    const int64_t n = lp.cols, k = lp.rows;
    if (!bias.empty() && static_cast<int64_t>(bias.size()) != n)
        fail("analog layer '", lp.name, "': ", bias.size(), " bias values for ", n, " columns");
    const CodeRange wRange = codeRange(lp.numerics.weightBits, true);
    p.levels.resize(static_cast<size_t>(n * k));
    for (int64_t c = 0; c < n; ++c)
        for (int64_t r = 0; r < k; ++r)
            p.levels[c * k + r] = static_cast<int8_t>(quantizeValue(weights[c * k + r], lp.weightScales[c], wRange));
    p.biasCodes.assign(static_cast<size_t>(n), 0);
    p.requant.resize(static_cast<size_t>(n));
    const int64_t z = lp.numerics.inputZeroPoint;
    for (int64_t c = 0; c < n; ++c) {
        const double unit = lp.inputScale * lp.weightScales[c];
        int64_t offset = 0; // the input offset's contribution z * sum_k w[c,k], cancelled
        for (int64_t r = 0; z != 0 && r < k; ++r)
            offset += z * p.levels[c * k + r];
        const int64_t code = bias.empty() ? 0 : roundHalfEven(bias[c] / unit);
        p.biasCodes[c] = saturate(code - offset, INT32_MIN, INT32_MAX);
        p.requant[c] = Requantizer::fromReal(unit / lp.output.scale);
    }
    p.adcMax = maxCode(lp.numerics.adcBits, true);
    const int64_t range = lp.numerics.adcRange > 0 ? lp.numerics.adcRange : p.worstCaseBlockSum();
    p.adcShifts.assign(static_cast<size_t>(p.blocks()), adcShiftFor(range, p.adcMax)); // one range per layer today
    return p;
}

int adcShiftFor(int64_t range, int64_t adcMax)
{
    int shift = 0;
    while (shift < 62 && adcMax <= ((range - 1) >> shift)) // adcMax * 2^shift < range, without overflow
        ++shift;
    return shift;
}

int64_t adcConvertNoisy(double blockSum, int shift, int64_t adcMax, double offsetLsb)
{
    const int64_t code = roundHalfEven(std::ldexp(blockSum, -shift) + offsetLsb);
    return shiftLeft(saturate(code, -adcMax, adcMax), shift);
}

double programmingError(const NonIdealities& ni, uint64_t layerKey, int64_t column, int64_t row)
{
    return Random::normalAt(Random::key({ni.seed, layerKey, kProgramKind, uint64_t(column), uint64_t(row)}));
}

double adcOffsetLsb(const NonIdealities& ni, uint64_t layerKey, int64_t block, int64_t column)
{
    return ni.adcOffset * Random::normalAt(Random::key({ni.seed, layerKey, kOffsetKind, uint64_t(block), uint64_t(column)}));
}

double readNoiseDraw(const NonIdealities& ni, uint64_t layerKey, int64_t block, int64_t column, int64_t vector)
{
    return Random::normalAt(
        Random::key({ni.seed, layerKey, kReadKind, uint64_t(block), uint64_t(column), uint64_t(vector)}));
}

double programmingErrorSigma(const ProgrammedLayer& layer, const NonIdealities& ni)
{
    return ni.weightProgramNoise * static_cast<double>(maxCode(layer.params.numerics.weightBits, true));
}

double readNoiseSigma(const ProgrammedLayer& layer, const NonIdealities& ni)
{
    return ni.readNoise * static_cast<double>(maxAbs(layer.inputRange())) *
           static_cast<double>(maxCode(layer.params.numerics.weightBits, true));
}

// ---- AnalogLayer ----

AnalogLayer::AnalogLayer(AnalogLayerParams params, const float* weights, const std::vector<float>& bias,
                         const NonIdealities& nonIdeal)
    : AnalogLayer(program(std::move(params), weights, bias), nonIdeal)
{
}

AnalogLayer::AnalogLayer(ProgrammedLayer programmed, const NonIdealities& nonIdeal)
    : m_prog(std::move(programmed)), m_nonIdeal(nonIdeal), m_key(Random::nameKey(m_prog.params.name))
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t n = p.cols, k = p.rows;
    m_packed = std::make_unique<kernels::PackedLevels>(m_prog.levels.data(), n, k, p.groups, p.numerics.rowsPerBlock);
    if (m_nonIdeal.weightProgramNoise > 0.0) {
        const double sigma = programmingErrorSigma(m_prog, m_nonIdeal);
        m_noisyLevels.resize(m_prog.levels.size());
        for (int64_t c = 0; c < n; ++c)
            for (int64_t r = 0; r < k; ++r)
                m_noisyLevels[c * k + r] = m_prog.levels[c * k + r] + sigma * programmingError(m_nonIdeal, m_key, c, r);
    }
    if (m_nonIdeal.adcOffset > 0.0) {
        m_adcOffsets.resize(static_cast<size_t>(m_prog.blocks() * n));
        for (int64_t b = 0; b < m_prog.blocks(); ++b)
            for (int64_t c = 0; c < n; ++c)
                m_adcOffsets[b * n + c] = adcOffsetLsb(m_nonIdeal, m_key, b, c);
    }
    m_readSigma = readNoiseSigma(m_prog, m_nonIdeal);
}

AnalogLayer::~AnalogLayer() = default;
AnalogLayer::AnalogLayer(AnalogLayer&&) noexcept = default;

// Per-thread scratch for block sums: run() is called per layer per batch, and fresh
// zeroed buffers of M x N int64 cost page faults comparable to the product itself.
namespace {
std::vector<int64_t>& blockScratch(size_t size)
{
    thread_local std::vector<int64_t> scratch;
    if (scratch.size() < size)
        scratch.resize(size);
    return scratch;
}
} // namespace

void AnalogLayer::accumulateIdeal(const int32_t* x, int64_t m, int64_t* acc) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t n = p.cols, count = m * n;
    const kernels::InputCodes in{x, m, p.groups * p.rows, p.numerics.inputBits, p.numerics.inputSigned};
    if (m_prog.transparentAdc()) {
        kernels::fullProduct(*m_packed, in, acc, n);
        return;
    }
    const int64_t adcMax = m_prog.adcMax;
    for (int64_t b = 0; b < m_prog.blocks(); ++b) {
        int64_t* sums = blockScratch(static_cast<size_t>(count)).data(); // not acc: the ADC loop does not alias
        kernels::blockProduct(*m_packed, in, b, sums, n);
        kernels::adcAccumulate(sums, m, n, m_prog.adcShifts[b], adcMax, acc, n, /*store=*/b == 0);
    }
}

// Digitizes real-valued block sums p[i, j] (columns col0 + j) of block b, with read noise
// and ADC offset, into acc[i * ldAcc + j].
void AnalogLayer::addDigitizedNoisy(const double* p, int64_t m, int64_t ldp, int64_t col0, int64_t cols, int64_t b,
                                    int64_t firstVector, int64_t* acc, int64_t ldAcc) const
{
    const int64_t n = m_prog.params.cols;
    const int shift = m_prog.adcShifts[b];
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < cols; ++j) {
            const int64_t col = col0 + j;
            const double noise =
                m_readSigma > 0.0 ? m_readSigma * readNoiseDraw(m_nonIdeal, m_key, b, col, firstVector + i) : 0.0;
            const double offset = m_adcOffsets.empty() ? 0.0 : m_adcOffsets[b * n + col];
            acc[i * ldAcc + j] += adcConvertNoisy(p[i * ldp + j] + noise, shift, m_prog.adcMax, offset);
        }
}

// Exact integer block sums from the kernel, then read noise and offsets before the ADC.
void AnalogLayer::accumulateReadNoise(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t n = p.cols;
    const kernels::InputCodes in{x, m, p.groups * p.rows, p.numerics.inputBits, p.numerics.inputSigned};
    std::vector<int64_t> sums(static_cast<size_t>(m * n));
    std::vector<double> real(sums.size());
    for (int64_t b = 0; b < m_prog.blocks(); ++b) {
        kernels::blockProduct(*m_packed, in, b, sums.data(), n);
        std::copy(sums.begin(), sums.end(), real.begin());
        addDigitizedNoisy(real.data(), m, n, 0, n, b, firstVector, acc, n);
    }
}

void AnalogLayer::programmedBlockSums(const int32_t* x, int64_t m, int64_t stride, int64_t block, int64_t c0,
                                      int64_t c1, double* out) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t k = p.rows, ng = p.cols / p.groups, rpb = p.numerics.rowsPerBlock;
    const int64_t r0 = block * rpb, r1 = std::min(k, r0 + rpb), g = c0 / ng, cols = c1 - c0;
    for (int64_t i = 0; i < m; ++i) {
        const int32_t* xi = x + i * stride + g * k;
        for (int64_t j = 0; j < cols; ++j) {
            const double* w = m_noisyLevels.data() + (c0 + j) * k;
            double sum = 0.0;
            for (int64_t r = r0; r < r1; ++r)
                sum += static_cast<double>(xi[r]) * w[r];
            out[i * cols + j] = sum;
        }
    }
}

// Programming error makes the cells' conductances real-valued: block sums in double.
void AnalogLayer::accumulateProgrammed(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t n = p.cols, groups = p.groups, ng = n / groups;
    std::vector<double> sums(static_cast<size_t>(m * ng));
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t b = 0; b < m_prog.blocks(); ++b) {
            programmedBlockSums(x, m, groups * p.rows, b, g * ng, (g + 1) * ng, sums.data());
            addDigitizedNoisy(sums.data(), m, ng, g * ng, ng, b, firstVector, acc + g * ng, n);
        }
}

// The accumulators before the bias: digitized block sums added up.
void AnalogLayer::accumulateInto(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const
{
    if (!m_nonIdeal.any())
        return accumulateIdeal(x, m, acc);
    std::fill(acc, acc + m * m_prog.params.cols, int64_t{0});
    if (!m_noisyLevels.empty())
        accumulateProgrammed(x, m, firstVector, acc);
    else
        accumulateReadNoise(x, m, firstVector, acc);
}

std::vector<int64_t> AnalogLayer::accumulate(const int32_t* x, int64_t m, int64_t firstVector) const
{
    const int64_t n = m_prog.params.cols;
    std::vector<int64_t> acc(static_cast<size_t>(m * n));
    accumulateInto(x, m, firstVector, acc.data());
    for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < n; ++c)
            acc[i * n + c] += m_prog.biasCodes[c];
    return acc;
}

void AnalogLayer::run(const int32_t* x, int64_t m, int32_t* y, int64_t firstVector) const
{
    const CodeRange out = m_prog.outputRange();
    const int64_t n = m_prog.params.cols, kTotal = m_prog.params.rows * m_prog.params.groups;
    const int64_t* bias = m_prog.biasCodes.data();
    const Requantizer* requant = m_prog.requant.data();
    std::vector<int64_t> acc(static_cast<size_t>(std::min(kChunk, m) * n));
    for (int64_t i0 = 0; i0 < m; i0 += kChunk) {
        const int64_t mc = std::min(kChunk, m - i0);
        accumulateInto(x + i0 * kTotal, mc, firstVector + i0, acc.data());
        kernels::epilogueRows(acc.data(), mc, n, bias, requant, out, y + i0 * n);
    }
}

int64_t AnalogLayer::maxAbsBlockSum(const int32_t* x, int64_t m) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t n = p.cols, kTotal = p.rows * p.groups;
    int64_t best = 0;
    std::vector<int64_t> sums(static_cast<size_t>(std::min(kChunk, m) * n));
    for (int64_t i0 = 0; i0 < m; i0 += kChunk) {
        const int64_t mc = std::min(kChunk, m - i0);
        const kernels::InputCodes in{x + i0 * kTotal, mc, kTotal, p.numerics.inputBits, p.numerics.inputSigned};
        for (int64_t b = 0; b < m_prog.blocks(); ++b) {
            kernels::blockProduct(*m_packed, in, b, sums.data(), n);
            for (int64_t i = 0; i < mc * n; ++i)
                best = std::max<int64_t>(best, std::llabs(sums[i]));
        }
    }
    return best;
}

} // namespace tessera::analog
