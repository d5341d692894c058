#pragma once
// One analog layer of the quantization-aware forward (quant/train/QatHooks.h): the
// layer's programming from the spec (core/analog/SpecProgramming.h, program()), and its
// forward in torch, step by step as docs/analog-model.md defines it, with straight-through
// gradients. Internal to tessera_train.
#include "core/analog/AnalogLowering.h"
#include "core/ops/Im2col.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/train/ForwardHooks.h"
#include "quant/train/QatHooks.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tessera::train {

class QatLayer {
public:
    // How the array product of an op is formed in torch (kQatProducts in QatLayer.cpp).
    enum class Product { Conv, Rows };

    QatLayer(const Graph& prepared, const Node& node, const QuantSpec& spec, const LayerQuant& layer,
             const QatOptions& options);

    // Output 0 of the node as the chip computes it: code x output scale, in float32. With
    // `freshChip` (training) the programming error and ADC offsets are drawn afresh (another
    // chip at every step), else they are the seed's chip.
    torch::Tensor forward(const AnalogCall& call, bool noisy, bool freshChip);
    // The learnable log-factors of the weight scales (sw = spec scale x exp(factor)).
    const torch::Tensor& logScale() const { return m_logScale; }
    // The current per-column weight scales (what tunedSpec writes back).
    std::vector<double> weightScales() const;
    // A learned log-factor of the input tensor's scale (sx = spec scale x exp(factor)),
    // shared with the hooks' value() rounding of that tensor; undefined: the spec's scale.
    void setInputLogScale(const torch::Tensor& logScale) { m_inputLogScale = logScale; }
    double inputScale() const;
    // The calibrated ADC range for the current input scale: the spec's range / exp(factor)
    // (the block sums grow as the codes do), rounded up; 0 (worst case) stays 0.
    int64_t adcRange() const;
    const std::string& name() const { return m_prog.params.name; }

private:
    torch::Tensor viewWeights(const torch::Tensor& weight) const; // [N, K] as the registry's view
    torch::Tensor viewBias(const torch::Tensor& bias, const torch::Tensor& units) const;
    torch::Tensor inputScaleTensor() const; // 0-dim double, with gradient when learned
    // One chip's programming error [N, K] (levels) and ADC offsets [blocks, N] (LSB), each
    // undefined when off: the seed's, or fresh draws from the generator.
    struct Chip {
        torch::Tensor programError, adcOffsets;
    };
    Chip chip(bool fresh);
    torch::Tensor blockSums(const torch::Tensor& codes, const torch::Tensor& levels, int64_t block) const;
    torch::Tensor digitize(const torch::Tensor& sums, int64_t block, int shift, bool noisy, const torch::Tensor& offsets);
    torch::Tensor perChannel(const torch::Tensor& t, int64_t rank) const; // [N] -> broadcastable
    torch::Tensor requantize(const torch::Tensor& acc, const torch::Tensor& scales, const torch::Tensor& sx) const;
    torch::Tensor padForConv(const torch::Tensor& codes, const Node& node); // sets m_window
    void setupNoise(const QatOptions& options);

    analog::ProgrammedLayer m_prog; // parameters, ADC shifts and adcMax, code ranges
    Product m_product = Product::Rows;
    int64_t m_channelAxis = -1;     // output axis holding the columns (1: NC...; -1: last)
    torch::Tensor m_storedIndex;    // view element -> stored weight element (kLong)
    float m_weightFactor = 1.0f;    // view = factor x stored (Gemm's alpha)
    float m_biasFactor = 1.0f;      // view bias = factor x stored (Gemm's beta)
    torch::Tensor m_biasCorrection; // [N] double, or undefined
    torch::Tensor m_baseScales;     // [N] double: the spec's weight scales
    torch::Tensor m_logScale;       // [N] double, learnable
    double m_baseInputScale = 1.0;  // the spec's input scale
    int64_t m_baseAdcRange = 0;     // the spec's calibrated ADC range
    torch::Tensor m_inputLogScale;  // 0-dim double or undefined
    std::vector<int64_t> m_convWeightShape; // Conv: [N, C/G, k...] of the current call
    ops::Window m_window;                   // Conv: the current call's window
    torch::ScalarType m_sumType = torch::kFloat; // exact for the layer's block sums
    // Non-idealities (analogNoise): the seed's chip, the sigmas (programming error in levels,
    // ADC offset in LSB, read noise in product units) and the torch generator of fresh draws.
    Chip m_seedChip;
    double m_programSigma = 0.0;
    double m_offsetSigma = 0.0;
    double m_readSigma = 0.0;
    torch::Generator m_generator;
};

} // namespace tessera::train
