#pragma once
// What the chip computes for one analog layer (a matmul whose weights live in flash
// cells), defined once so the quantizer, compiler and simulator agree bit for bit.
// docs/analog-model.md explains every step and knob; in short, for output column n:
//
//   levels   w[n,k] = sat(roundHalfEven(W[n,k] / sw[n]), +-(2^(wb-1)-1))   (per channel)
//   inputs   x[k]   = DAC codes, a bits, unsigned [0, 2^a-1] or signed +-(2^(a-1)-1)
//   block    p_b[n] = sum over rows k of row block b of x[k] * w[n,k]      (the analog sum)
//   ADC      c_b[n] = sat(roundHalfEven(p_b[n] / 2^s), +-(2^(adcBits-1)-1)); value c_b << s
//            (2^s: the smallest power-of-two step whose full scale covers the calibrated range)
//   digital  acc[n] = sum_b (c_b[n] << s) + biasCode[n]
//   epilogue y[n]   = sat(requant_n(acc[n]), activation clamp ∩ output code range)
//            requant_n = Requantizer(sx * sw[n] / sy) (core/analog/Numerics.h)
//
// A grouped convolution is one layer whose columns are split into `groups` equal groups;
// group g reads input columns [g*K, (g+1)*K). Rows of a group are split into consecutive
// blocks of `rowsPerBlock`, each digitized on its own: splitting costs precision.
#include "core/analog/Numerics.h"

#include <Eigen/Core>

#include <cstdint>
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

// Bit widths and ranges of one layer.
struct LayerNumerics {
    int weightBits = 8;        // 2..8 (levels per cell)
    int inputBits = 8;         // DAC bits, 2..16
    bool inputSigned = false;  // false: unsigned codes (input after ReLU)
    int adcBits = 12;          // 2..32
    // Calibrated full scale of one block's column sum, in integer product units
    // (|sum x_code * w_level|). 0: not calibrated, use the worst case (never clips).
    int64_t adcRange = 0;
    int64_t rowsPerBlock = 1024; // the array's rows (ArrayGeometry::rows)
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

// A programmed analog layer: levels, bias codes, requantizers, ADC step.
class AnalogLayer {
public:
    // weights: [N, K] row-major floats (group g owns columns [g*N/G, (g+1)*N/G));
    // bias: N floats or empty. Quantizes with params.weightScales.
    AnalogLayer(AnalogLayerParams params, const float* weights, const std::vector<float>& bias,
                const NonIdealities& nonIdeal = {}, uint64_t layerSalt = 0);

    const AnalogLayerParams& params() const { return m_params; }
    const std::vector<int8_t>& weightLevels() const { return m_levels; } // [N, K]
    const std::vector<int64_t>& biasCodes() const { return m_biasCodes; }
    const std::vector<Requantizer>& requantizers() const { return m_requant; }
    CodeRange inputRange() const;
    CodeRange outputRange() const; // output code range intersected with the activation clamp
    int adcShift() const { return m_adcShift; }
    int64_t worstCaseBlockSum() const;

    // x: [M, groups*K] input codes (row-major) -> y: [M, N] output codes.
    void run(const int32_t* x, int64_t m, int32_t* y);
    // The digital accumulators acc[M, N] (ADC outputs summed, bias added), before the
    // epilogue. Real value of acc[i, n] = acc * sx * sw[n].
    std::vector<int64_t> accumulate(const int32_t* x, int64_t m);
    // Read noise is drawn from stream (seed, layer salt, stream, call counter): set the
    // stream (e.g. the index of the first sample of a batch) so batches draw
    // independent noise while reruns stay reproducible. Resets the call counter.
    void setReadNoiseStream(uint64_t stream)
    {
        m_readStream = stream;
        m_calls = 0;
    }
    // Ideal analog block sums' max |p| over all rows of x, blocks and columns
    // (ADC range calibration; ignores non-idealities and the ADC).
    int64_t maxAbsBlockSum(const int32_t* x, int64_t m) const;

private:
    void accumulateIdeal(const int32_t* x, int64_t m, int64_t* acc) const;
    int64_t exactChunkRows() const;
    Eigen::MatrixXf groupInputs(const int32_t* x, int64_t m, int64_t g) const;
    Eigen::MatrixXd blockProduct(const Eigen::MatrixXf& xg, int64_t g, int64_t r0, int64_t kb) const;
    void accumulateNoisy(const int32_t* x, int64_t m, int64_t* acc);
    int64_t adcConvert(double blockSum, double offsetLsb) const;
    int64_t adcConvertExact(int64_t blockSum) const;

    AnalogLayerParams m_params;
    NonIdealities m_nonIdeal;
    uint64_t m_salt = 0;
    uint64_t m_calls = 0;
    uint64_t m_readStream = 0;
    std::vector<int8_t> m_levels;          // [N, K]
    std::vector<float> m_levelsF;          // [groups][K, N/groups] column-major copies for GEMM
    std::vector<float> m_noisyLevels;      // [N, K] levels + programming error (noisy path)
    std::vector<double> m_adcOffsets;      // [blocks][N] in LSB (noisy path)
    std::vector<int64_t> m_biasCodes;      // N
    std::vector<Requantizer> m_requant;    // N
    int m_adcShift = 0;
    int64_t m_adcMax = 0;
};

} // namespace tessera::analog
