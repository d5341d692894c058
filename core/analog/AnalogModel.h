#pragma once
// What the chip computes for one analog layer (a matmul whose weights live in flash
// cells), defined once so the quantizer, compiler and simulator agree bit for bit.
// docs/analog-model.md explains every step and knob; in short, for output column n:
//
//   levels   w[n,k] = sat(roundHalfEven(W[n,k] / sw[n]), +-(2^(wb-1)-1))   (per channel)
//   inputs   x[k]   = DAC codes, a bits, unsigned [0, 2^a-1] or signed +-(2^(a-1)-1);
//            offset codes (zero point z, Numerics.h) are unsigned, x = d + z
//   block    p_b[n] = sum over rows k of row block b of x[k] * w[n,k]      (the analog sum)
//   ADC      c_b[n] = sat(roundHalfEven(p_b[n] / 2^s), +-(2^(adcBits-1)-1)); value c_b << s
//            (2^s: the smallest power-of-two step whose full scale covers the calibrated range)
//   digital  acc[n] = sum_b (c_b[n] << s) + biasCode[n]
//            (biasCode[n] holds -z sum_k w[n,k]: the input offset cancelled)
//   epilogue y[n]   = sat(requant_n(acc[n]), activation clamp ∩ output code range)
//            requant_n = Requantizer(sx * sw[n] / sy) (core/analog/Numerics.h)
//
// A grouped convolution is one layer whose columns are split into `groups` equal groups;
// group g reads input columns [g*K, (g+1)*K). Rows of a group are split into consecutive
// blocks of `rowsPerBlock`, each digitized on its own: splitting costs precision.
#include "core/analog/Numerics.h"
#include "core/kernels/IntGemm.h"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessera::analog {

// Array size of the hardware target (rows x cols). Default: M1076-like 1024 x 1024
// (inferred from ~1M 8-bit weights per tile; not published).
struct ArrayGeometry {
    int64_t rows = 1024;
    int64_t cols = 1024;
};

// Non-idealities: all off (0) by default; when on, every draw comes from `seed`
// (core/analog/Random.h) so runs are reproducible. Units and sources: docs/analog-model.md.
struct NonIdealities {
    // Programming error: sigma of a per-cell Gaussian added once to each weight level, as
    // a fraction of the largest level (2^(wb-1)-1). aihwkit example value: 0.02.
    double weightProgramNoise = 0.0;
    // Read/output noise: sigma of a Gaussian added to every analog column sum before the
    // ADC, in units of one full-scale product (max input code x max weight level), the
    // unit of aihwkit's out_noise (default 0.06, example 0.02).
    double readNoise = 0.0;
    // ADC offset: sigma of a fixed per-column, per-row-block offset, in ADC LSBs.
    double adcOffset = 0.0;
    uint64_t seed = 0;
    bool any() const { return weightProgramNoise > 0.0 || readNoise > 0.0 || adcOffset > 0.0; }
};

// The default analog-noise model, for a spec or package that has no non-idealities of its
// own: programming error 0.02 (aihwkit's example), read noise 0.06 (aihwkit's default
// out_noise), ADC offset 0.5 LSB. Retraining trains with it (train::defaultAnalogNoise) and
// `tessera simulate --noise default` / the studio's simulation dock run with it.
inline NonIdealities defaultNonIdealities(uint64_t seed = 0)
{
    NonIdealities ni;
    ni.weightProgramNoise = 0.02;
    ni.readNoise = 0.06;
    ni.adcOffset = 0.5;
    ni.seed = seed;
    return ni;
}

// `noise` "default": the spec's non-idealities when it has any, else the default model.
inline NonIdealities noiseOrDefault(const NonIdealities& spec)
{
    return spec.any() ? spec : defaultNonIdealities(spec.seed);
}

// Where a layer's matrix-vector products run: the compiler's choice, recorded in the
// package (package::PackageLayer::simd) and given to the quantized reference executor
// (quant::QuantizedExecutorOptions::simdLayers). The one rule of where non-idealities apply:
// they are properties of the flash arrays, so a layer on the arrays carries all of them and a
// layer on a tile's SIMD engine (a depthwise layer the compiler found cheaper there) computes
// the analog model's ideal digitized sums with none of them.
enum class MvmUnit { Arrays, Simd };
inline NonIdealities nonIdealitiesOn(MvmUnit unit, const NonIdealities& chip)
{
    return unit == MvmUnit::Arrays ? chip : NonIdealities{};
}

// Bit widths and ranges of one layer.
struct LayerNumerics {
    int weightBits = 8;        // 2..8 (levels per cell)
    int inputBits = 8;         // DAC bits, 2..16
    bool inputSigned = false;  // false: unsigned codes (input after ReLU, or offset codes)
    int adcBits = 12;          // 2..32
    // Calibrated full scale of one block's column sum, in integer product units
    // (|sum x_code * w_level|). 0: not calibrated, use the worst case (never clips).
    int64_t adcRange = 0;
    int64_t rowsPerBlock = 1024; // the array's rows (ArrayGeometry::rows)
    int64_t inputZeroPoint = 0; // z of offset codes (unsigned only): DAC code = centered code + z
};

// The digital epilogue of a layer: where its output codes go.
struct OutputCoding {
    double scale = 1.0;   // sy: the next tensor's scale
    int bits = 8;
    bool isSigned = true;
    // Activation fused into the epilogue, as real bounds (-inf/+inf: none). Applied in the
    // code domain: lo -> roundHalfEven(lo / sy) (ReLU: 0).
    double clampLo = -1e300;
    double clampHi = 1e300;
    // Offset codes' zero point (unsigned only). The epilogue yields CENTERED codes
    // (code - z, Numerics.h): outputRange() is the code range shifted by -z.
    int64_t zeroPoint = 0;
};

// Per-layer numbers the quantizer decides and the compiler/simulator consume.
struct AnalogLayerParams {
    std::string name;
    int64_t rows = 0;     // K: rows per group (inputs per output)
    int64_t cols = 0;     // N: output columns (all groups)
    int64_t groups = 1;
    LayerNumerics numerics;
    double inputScale = 1.0;          // sx
    std::vector<double> weightScales; // sw[n], N entries, > 0
    OutputCoding output;
};

// Validates bit widths and scales; throws tessera::Error naming the layer.
void validate(const AnalogLayerParams& params);

// Per-channel symmetric scales max|W[n,:]| / (2^(bits-1)-1) of a [N, K] row-major
// matrix; all-zero channels get scale 1 (their levels are 0).
std::vector<double> maxAbsWeightScales(const float* weights, int64_t n, int64_t k, int bits);

// A programmed analog layer: exactly what a deployment package carries for it, and all
// that any executor (the quantized reference executor, the simulator) needs besides the
// input codes. Made once by program(); read-only afterwards.
struct ProgrammedLayer {
    AnalogLayerParams params;
    std::vector<int8_t> levels;       // [N, K] row-major per-channel weight levels
    // N, in accumulator units (sx * sw[n]), int32-saturated: roundHalfEven(bias[n] / (sx sw[n]))
    // - z sum_k w[n,k] (z: the input zero point; the offset's contribution cancelled).
    std::vector<int64_t> biasCodes;
    std::vector<Requantizer> requant; // N: accumulator -> output code
    std::vector<int> adcShifts;       // per row block: the ADC step is 2^shift product units
    int64_t adcMax = 0;               // largest ADC code magnitude, 2^(adcBits-1)-1

    int64_t blocks() const; // row blocks per group: ceil(K / rowsPerBlock)
    CodeRange inputRange() const;  // DAC codes (offset codes included: [0, 2^a-1])
    // CENTERED output codes (code - zero point) intersected with the activation clamp.
    CodeRange outputRange() const;
    // The largest |block sum| any input can produce (full rows of max codes x max levels).
    int64_t worstCaseBlockSum() const;
    // Every ADC has step 1 and covers any block sum: digitizing is the identity, so one
    // product over all rows equals the sum of the digitized blocks.
    bool transparentAdc() const;
};

// Quantizes weights [N, K] (row-major floats; group g owns columns [g*N/G, (g+1)*N/G))
// with params.weightScales and bias (N floats or empty) into levels, bias codes and
// requantizers; picks each block's ADC shift: the smallest s with adcMax * 2^s >= the
// calibrated range (params.numerics.adcRange; 0: the worst case). Throws naming the layer.
ProgrammedLayer program(AnalogLayerParams params, const float* weights, const std::vector<float>& bias);
// The ADC shift program() picks for a calibrated range (> 0): the smallest s with
// adcMax * 2^s >= range (at most 62).
int adcShiftFor(int64_t range, int64_t adcMax);

// ---- The stateless per-block steps (docs/analog-model.md); every executor uses these. ----

// ADC: a block's column sum p -> sat(roundHalfEven(p / 2^s), +-adcMax) * 2^s.
constexpr int64_t adcConvert(int64_t blockSum, int shift, int64_t adcMax)
{
    return shiftLeft(saturate(roundingShiftRightEven(blockSum, shift), -adcMax, adcMax), shift);
}
// The same for a real-valued (noisy) analog sum, with a fixed offset in ADC LSBs.
int64_t adcConvertNoisy(double blockSum, int shift, int64_t adcMax, double offsetLsb);
// Epilogue: accumulator (digitized blocks summed, bias added) -> output code.
inline int32_t epilogue(int64_t acc, const Requantizer& requant, CodeRange out)
{
    return static_cast<int32_t>(saturate(requant.apply(acc), out.lo, out.hi));
}

// ---- Non-idealities, keyed (core/analog/Random.h: counter-based, order-independent). ----
// Each draw is a function of (seed, layer key, kind, indices) only, so any executor that
// computes a block in any order, on any tile, in any batch split draws the same noise.
// The layer key is Random::nameKey(layer name).
double programmingError(const NonIdealities& ni, uint64_t layerKey, int64_t column, int64_t row);  // in N(0,1)
double adcOffsetLsb(const NonIdealities& ni, uint64_t layerKey, int64_t block, int64_t column);    // in LSB
// Read noise of one analog sum, in N(0,1) units; `vector` is the global index of the
// input vector (sample index x vectors per sample + vector within the sample).
double readNoiseDraw(const NonIdealities& ni, uint64_t layerKey, int64_t block, int64_t column, int64_t vector);
// The draws' scales (docs/analog-model.md, Non-idealities): programming error sigma in weight
// levels (weightProgramNoise x the largest level), read noise sigma in product units
// (readNoise x max input code x the largest level).
double programmingErrorSigma(const ProgrammedLayer& layer, const NonIdealities& ni);
double readNoiseSigma(const ProgrammedLayer& layer, const NonIdealities& ni);

// Runs a programmed layer on the host CPU with the integer kernels (core/kernels/IntGemm.h),
// exactly as the analog model defines; with non-idealities, as the noise model defines.
// All run methods are const and thread-safe: callers may split the vectors across threads.
class AnalogLayer {
public:
    AnalogLayer(AnalogLayerParams params, const float* weights, const std::vector<float>& bias,
                const NonIdealities& nonIdeal = {});
    explicit AnalogLayer(ProgrammedLayer programmed, const NonIdealities& nonIdeal = {});
    ~AnalogLayer();
    AnalogLayer(AnalogLayer&&) noexcept;

    const ProgrammedLayer& programmed() const { return m_prog; }
    const AnalogLayerParams& params() const { return m_prog.params; }
    const std::vector<int8_t>& weightLevels() const { return m_prog.levels; } // [N, K]
    const std::vector<int64_t>& biasCodes() const { return m_prog.biasCodes; }
    const std::vector<Requantizer>& requantizers() const { return m_prog.requant; }
    CodeRange inputRange() const { return m_prog.inputRange(); }
    CodeRange outputRange() const { return m_prog.outputRange(); }
    int adcShift() const { return m_prog.adcShifts.empty() ? 0 : m_prog.adcShifts[0]; }
    int64_t worstCaseBlockSum() const { return m_prog.worstCaseBlockSum(); }

    // x: [M, groups*K] input codes (row-major) -> y: [M, N] output codes. `firstVector`:
    // the global index of x's first vector (read-noise keys; 0 without noise).
    void run(const int32_t* x, int64_t m, int32_t* y, int64_t firstVector = 0) const;
    // The digital accumulators acc[M, N] (ADC outputs summed, bias added), before the
    // epilogue. Real value of acc[i, n] = acc * sx * sw[n].
    std::vector<int64_t> accumulate(const int32_t* x, int64_t m, int64_t firstVector = 0) const;
    // Ideal analog block sums' max |p| over all rows of x, blocks and columns
    // (ADC range calibration; ignores non-idealities and the ADC).
    int64_t maxAbsBlockSum(const int32_t* x, int64_t m) const;

    // ---- Pieces for executors that run a layer block by block (the simulator) ----
    const NonIdealities& nonIdealities() const { return m_nonIdeal; }
    bool hasProgrammingError() const { return !m_noisyLevels.empty(); }
    // Real-valued column sums of row block `block` with the cells' programming error, for
    // columns [c0, c1) of one group and vectors x (vector i at x + i * stride, all groups):
    // out[i * (c1 - c0) + j]. Each sum runs over the rows in order, so it does not depend on
    // M or the column range (any split of vectors and columns gives the same values).
    void programmedBlockSums(const int32_t* x, int64_t m, int64_t stride, int64_t block, int64_t c0, int64_t c1,
                             double* out) const;
    // Digitizes real block sums p[i * ldp + j] (column col0 + j, row block `block`) with read
    // noise (vector firstVector + i) and ADC offset, adding into acc[i * ldAcc + j].
    void addDigitizedNoisy(const double* p, int64_t m, int64_t ldp, int64_t col0, int64_t cols, int64_t block,
                           int64_t firstVector, int64_t* acc, int64_t ldAcc) const;

private:
    void accumulateInto(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const;
    void accumulateIdeal(const int32_t* x, int64_t m, int64_t* acc) const;
    void accumulateReadNoise(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const;
    void accumulateProgrammed(const int32_t* x, int64_t m, int64_t firstVector, int64_t* acc) const;

    ProgrammedLayer m_prog;
    NonIdealities m_nonIdeal;
    uint64_t m_key = 0;
    std::unique_ptr<kernels::PackedLevels> m_packed;
    std::vector<double> m_noisyLevels; // [N, K] levels + programming error (when on)
    std::vector<double> m_adcOffsets;  // [blocks][N] in LSB (when on)
    double m_readSigma = 0.0;          // read noise sigma in product units
};

} // namespace tessera::analog
