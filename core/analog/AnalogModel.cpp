#include "core/analog/AnalogModel.h"

#include "core/Error.h"
#include "core/analog/Random.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace tessera::analog {

namespace {

using IntRowMap = Eigen::Map<const Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                             Eigen::OuterStride<>>;

// Salts separating the independent random streams of one layer.
constexpr uint64_t kProgramSalt = 0x70726f67ULL; // "prog"
constexpr uint64_t kOffsetSalt = 0x6f666673ULL;  // "offs"
constexpr uint64_t kReadSalt = 0x72656164ULL;    // "read"

void checkBits(const AnalogLayerParams& p, const char* what, int bits, int lo, int hi)
{
    if (bits < lo || bits > hi)
        fail("analog layer '", p.name, "': ", what, " ", bits, " is out of range [", lo, ", ", hi, "]");
}

bool positiveFinite(double v) { return std::isfinite(v) && v > 0.0; }

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

AnalogLayer::AnalogLayer(AnalogLayerParams params, const float* weights, const std::vector<float>& bias,
                         const NonIdealities& nonIdeal, uint64_t layerSalt)
    : m_params(std::move(params)), m_nonIdeal(nonIdeal), m_salt(layerSalt)
{
    validate(m_params);
    const int64_t n = m_params.cols, k = m_params.rows, groups = m_params.groups, ng = n / groups;
    if (!bias.empty() && static_cast<int64_t>(bias.size()) != n)
        fail("analog layer '", m_params.name, "': ", bias.size(), " bias values for ", n, " columns");
    const CodeRange wRange = codeRange(m_params.numerics.weightBits, true);
    m_levels.resize(static_cast<size_t>(n * k));
    m_levelsF.resize(m_levels.size());
    for (int64_t c = 0; c < n; ++c)
        for (int64_t r = 0; r < k; ++r) {
            auto level = static_cast<int8_t>(quantizeValue(weights[c * k + r], m_params.weightScales[c], wRange));
            m_levels[c * k + r] = level;
            const int64_t g = c / ng, j = c % ng; // group g's [K, Ng] column-major block
            m_levelsF[g * k * ng + j * k + r] = level;
        }
    m_biasCodes.assign(static_cast<size_t>(n), 0);
    m_requant.resize(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
        const double unit = m_params.inputScale * m_params.weightScales[c];
        if (!bias.empty())
            m_biasCodes[c] = saturate(roundHalfEven(bias[c] / unit), INT32_MIN, INT32_MAX);
        m_requant[c] = Requantizer::fromReal(unit / m_params.output.scale);
    }
    m_adcMax = maxCode(m_params.numerics.adcBits, true);
    const int64_t range = m_params.numerics.adcRange > 0 ? m_params.numerics.adcRange : worstCaseBlockSum();
    while (m_adcShift < 62 && (m_adcMax << m_adcShift) < range)
        ++m_adcShift;

    if (m_nonIdeal.weightProgramNoise > 0.0) {
        Random rng(Random::mix(Random::mix(m_nonIdeal.seed, m_salt), kProgramSalt));
        const double sigma = m_nonIdeal.weightProgramNoise * static_cast<double>(wRange.hi);
        m_noisyLevels.resize(m_levels.size());
        for (size_t i = 0; i < m_levels.size(); ++i) // order: column n, then row k
            m_noisyLevels[i] = static_cast<float>(m_levels[i] + sigma * rng.normal());
    }
    if (m_nonIdeal.adcOffset > 0.0) {
        Random rng(Random::mix(Random::mix(m_nonIdeal.seed, m_salt), kOffsetSalt));
        const int64_t blocks = (k + m_params.numerics.rowsPerBlock - 1) / m_params.numerics.rowsPerBlock;
        m_adcOffsets.resize(static_cast<size_t>(blocks * n));
        for (double& o : m_adcOffsets) // order: row block, then column
            o = m_nonIdeal.adcOffset * rng.normal();
    }
}

CodeRange AnalogLayer::inputRange() const { return codeRange(m_params.numerics.inputBits, m_params.numerics.inputSigned); }

CodeRange AnalogLayer::outputRange() const
{
    CodeRange r = codeRange(m_params.output.bits, m_params.output.isSigned);
    const double sy = m_params.output.scale;
    r.lo = std::max(r.lo, roundHalfEven(m_params.output.clampLo / sy));
    r.hi = std::min(r.hi, roundHalfEven(m_params.output.clampHi / sy));
    if (r.hi < r.lo)
        r.hi = r.lo;
    return r;
}

int64_t AnalogLayer::worstCaseBlockSum() const
{
    const CodeRange in = inputRange();
    const int64_t xMax = std::max(std::llabs(in.lo), std::llabs(in.hi));
    const int64_t rows = std::min(m_params.rows, m_params.numerics.rowsPerBlock);
    return rows * xMax * maxCode(m_params.numerics.weightBits, true);
}

int64_t AnalogLayer::adcConvert(double blockSum, double offsetLsb) const
{
    const int64_t code = roundHalfEven(std::ldexp(blockSum, -m_adcShift) + offsetLsb);
    return saturate(code, -m_adcMax, m_adcMax) << m_adcShift;
}

// Rows per float GEMM chunk such that every partial sum of integer products stays below
// 2^24 in magnitude, so single-precision accumulation is exact (any summation order).
int64_t AnalogLayer::exactChunkRows() const
{
    const CodeRange in = inputRange();
    const int64_t xMax = std::max(std::llabs(in.lo), std::llabs(in.hi));
    const int64_t perRow = std::max<int64_t>(1, xMax * maxCode(m_params.numerics.weightBits, true));
    return std::max<int64_t>(1, (int64_t(1) << 24) / perRow);
}

// The exact integer block product x[:, r0:r0+kb] * w[r0:r0+kb, :] for group g, via float
// GEMM chunks (exactChunkRows) summed in double (exact below 2^53).
Eigen::MatrixXd AnalogLayer::blockProduct(const Eigen::MatrixXf& xg, int64_t g, int64_t r0, int64_t kb) const
{
    const int64_t k = m_params.rows, ng = m_params.cols / m_params.groups;
    Eigen::Map<const Eigen::MatrixXf> wg(m_levelsF.data() + g * k * ng, k, ng);
    const int64_t chunk = exactChunkRows();
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(xg.rows(), ng);
    Eigen::MatrixXf part(xg.rows(), ng);
    for (int64_t c0 = r0; c0 < r0 + kb; c0 += chunk) {
        const int64_t cb = std::min(chunk, r0 + kb - c0);
        part.noalias() = xg.middleCols(c0, cb) * wg.middleRows(c0, cb);
        sum += part.cast<double>();
    }
    return sum;
}

Eigen::MatrixXf AnalogLayer::groupInputs(const int32_t* x, int64_t m, int64_t g) const
{
    const int64_t k = m_params.rows;
    return IntRowMap(x + g * k, m, k, Eigen::OuterStride<>(m_params.groups * k)).cast<float>();
}

int64_t AnalogLayer::adcConvertExact(int64_t blockSum) const
{
    return saturate(roundingShiftRightEven(blockSum, m_adcShift), -m_adcMax, m_adcMax) << m_adcShift;
}

void AnalogLayer::accumulateIdeal(const int32_t* x, int64_t m, int64_t* acc) const
{
    const int64_t n = m_params.cols, k = m_params.rows, groups = m_params.groups, ng = n / groups;
    const int64_t rpb = m_params.numerics.rowsPerBlock;
    // The ADC is transparent when its step is 1 and its full scale covers any block sum;
    // then one product over all rows equals the sum of the digitized blocks.
    const bool transparent = m_adcShift == 0 && m_adcMax >= worstCaseBlockSum();
    const int64_t blockRows = transparent ? k : rpb;
    if (ng == 1) { // one column per group (depthwise): direct integer dot products
        for (int64_t i = 0; i < m; ++i)
            for (int64_t g = 0; g < groups; ++g) {
                const int32_t* xi = x + (i * groups + g) * k;
                const int8_t* w = m_levels.data() + g * k;
                int64_t total = 0;
                for (int64_t r0 = 0; r0 < k; r0 += blockRows) {
                    int64_t sum = 0;
                    for (int64_t r = r0, end = std::min(k, r0 + blockRows); r < end; ++r)
                        sum += static_cast<int64_t>(xi[r]) * w[r];
                    total += transparent ? sum : adcConvertExact(sum);
                }
                acc[i * n + g] += total;
            }
        return;
    }
    for (int64_t g = 0; g < groups; ++g) {
        const Eigen::MatrixXf xg = groupInputs(x, m, g);
        for (int64_t r0 = 0; r0 < k; r0 += blockRows) {
            const Eigen::MatrixXd p = blockProduct(xg, g, r0, std::min(blockRows, k - r0));
            for (int64_t j = 0; j < ng; ++j)
                for (int64_t i = 0; i < m; ++i) {
                    const auto v = static_cast<int64_t>(p(i, j)); // exact integer
                    acc[i * n + g * ng + j] += transparent ? v : adcConvertExact(v);
                }
        }
    }
}

void AnalogLayer::accumulateNoisy(const int32_t* x, int64_t m, int64_t* acc)
{
    using RealMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
    const int64_t n = m_params.cols, k = m_params.rows, groups = m_params.groups, ng = n / groups;
    const int64_t rpb = m_params.numerics.rowsPerBlock;
    const CodeRange in = inputRange();
    const double fullScale = static_cast<double>(std::max(std::llabs(in.lo), std::llabs(in.hi))) *
                             static_cast<double>(maxCode(m_params.numerics.weightBits, true));
    const double readSigma = m_nonIdeal.readNoise * fullScale;
    Random rng(Random::mix(Random::mix(Random::mix(m_nonIdeal.seed, m_salt), kReadSalt + m_readStream), m_calls++));
    for (int64_t g = 0; g < groups; ++g) {
        RealMatrix xg = IntRowMap(x + g * k, m, k, Eigen::OuterStride<>(groups * k)).cast<double>();
        RealMatrix wg(k, ng);
        for (int64_t j = 0; j < ng; ++j)
            for (int64_t r = 0; r < k; ++r) {
                const size_t idx = static_cast<size_t>((g * ng + j) * k + r);
                wg(r, j) = m_noisyLevels.empty() ? m_levels[idx] : m_noisyLevels[idx];
            }
        for (int64_t r0 = 0, b = 0; r0 < k; r0 += rpb, ++b) {
            const int64_t kb = std::min(rpb, k - r0);
            RealMatrix p = xg.middleCols(r0, kb) * wg.middleRows(r0, kb);
            for (int64_t i = 0; i < m; ++i) // draw order: group, block, input row, column
                for (int64_t j = 0; j < ng; ++j) {
                    const int64_t col = g * ng + j;
                    const double noise = readSigma > 0.0 ? readSigma * rng.normal() : 0.0;
                    const double offset = m_adcOffsets.empty() ? 0.0 : m_adcOffsets[b * n + col];
                    acc[i * n + col] += adcConvert(p(i, j) + noise, offset);
                }
        }
    }
}

std::vector<int64_t> AnalogLayer::accumulate(const int32_t* x, int64_t m)
{
    const int64_t n = m_params.cols;
    std::vector<int64_t> acc(static_cast<size_t>(m * n), 0);
    if (m_nonIdeal.any())
        accumulateNoisy(x, m, acc.data());
    else
        accumulateIdeal(x, m, acc.data());
    for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < n; ++c)
            acc[i * n + c] += m_biasCodes[c];
    return acc;
}

void AnalogLayer::run(const int32_t* x, int64_t m, int32_t* y)
{
    // In chunks of input vectors, so the int64 accumulators stay small and cache-resident.
    constexpr int64_t kChunk = 1024;
    const CodeRange out = outputRange();
    const int64_t n = m_params.cols, kTotal = m_params.rows * m_params.groups;
    for (int64_t i0 = 0; i0 < m; i0 += kChunk) {
        const int64_t mc = std::min(kChunk, m - i0);
        const std::vector<int64_t> acc = accumulate(x + i0 * kTotal, mc);
        int32_t* yc = y + i0 * n;
        for (int64_t i = 0; i < mc; ++i)
            for (int64_t c = 0; c < n; ++c)
                yc[i * n + c] = static_cast<int32_t>(saturate(m_requant[c].apply(acc[i * n + c]), out.lo, out.hi));
    }
}

int64_t AnalogLayer::maxAbsBlockSum(const int32_t* x, int64_t m) const
{
    const int64_t k = m_params.rows, rpb = m_params.numerics.rowsPerBlock;
    double best = 0.0;
    for (int64_t g = 0; g < m_params.groups; ++g) {
        const Eigen::MatrixXf xg = groupInputs(x, m, g);
        for (int64_t r0 = 0; r0 < k; r0 += rpb) {
            const Eigen::MatrixXd p = blockProduct(xg, g, r0, std::min(rpb, k - r0));
            if (p.size() > 0)
                best = std::max(best, p.cwiseAbs().maxCoeff());
        }
    }
    return static_cast<int64_t>(best);
}

} // namespace tessera::analog
