#include "quant/train/QatLayer.h"

#include "core/Error.h"
#include "core/analog/Random.h"
#include "core/analog/SpecProgramming.h"
#include "quant/train/Ste.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <numeric>

namespace tessera::train {

using namespace tessera::analog;

namespace {

// The torch form of each lowerable op's array product (one row per op). The registry's
// weight-matrix column gives the matrix and the layouts; this table only says whether the
// input vectors are convolution windows (the weights keep their stored [N, C/G, k...]
// shape, whose row order is the view's) or rows of A.
const std::map<std::string, QatLayer::Product>& qatProducts()
{
    static const std::map<std::string, QatLayer::Product> table = {
        {"Conv", QatLayer::Product::Conv},
        {"Gemm", QatLayer::Product::Rows},
        {"MatMul", QatLayer::Product::Rows},
    };
    return table;
}

// The factor f with view = f x stored (least squares; exact for Gemm's alpha / beta).
float viewFactor(const std::vector<float>& view, const std::vector<float>& stored, const std::vector<int64_t>& index)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < view.size(); ++i) {
        const double s = stored[index.empty() ? i : static_cast<size_t>(index[i])];
        num += view[i] * s;
        den += s * s;
    }
    return den > 0.0 ? static_cast<float>(num / den) : 1.0f;
}

torch::Tensor doubles(const std::vector<double>& v)
{
    return torch::tensor(at::ArrayRef<double>(v), torch::kDouble);
}

torch::Tensor longs(const std::vector<int64_t>& v) { return torch::tensor(at::ArrayRef<int64_t>(v), torch::kLong); }

// round_half_even(v / 2^shift) for int64 v (Numerics.h roundingShiftRightEven), per element
// of `pow2` = 2^shift and `half` = 2^(shift-1) (1 for shift 0: never reached).
torch::Tensor roundingShiftRightEven(const torch::Tensor& v, const torch::Tensor& pow2, const torch::Tensor& half)
{
    const torch::Tensor q = torch::div(v, pow2, "floor");
    const torch::Tensor r = v - q * pow2;
    const torch::Tensor up = (r > half) | ((r == half) & (torch::remainder(q, 2) != 0));
    return q + up.to(torch::kLong);
}

std::string describe(const LayerQuant& layer) { return strCat("layer '", layer.node, "'"); }

} // namespace

QatLayer::QatLayer(const Graph& prepared, const Node& node, const QuantSpec& spec, const LayerQuant& layer,
                   const QatOptions& options)
{
    const auto product = qatProducts().find(node.opType);
    if (product == qatProducts().end())
        fail(describe(layer), ": quantization-aware retraining has no form for ", node.opType,
             " layers (it has one for Conv, Gemm and MatMul)");
    m_product = product->second;
    if (prepared.value(node.inputs[0]).name != layer.input)
        fail(describe(layer), ": the spec says input '", layer.input, "', the graph has '",
             prepared.value(node.inputs[0]).name, "'");
    const AnalogMatmulView view = lowerAnalogNode(prepared, node);
    if (view.scatter != OutputScatter::Permute)
        fail(describe(layer), ": quantization-aware retraining has no form for ", node.opType, " layers");
    m_prog = program(layerParams(spec, layer, view), view.weights.data(), layerBias(layer, view));
    const WeightMatrixDef& def = *weightMatrixDef(node);
    m_channelAxis = def.channelAxis;
    std::vector<int64_t> index = def.storedIndex(prepared, node, view);
    bool identity = true;
    for (size_t i = 0; i < index.size() && identity; ++i)
        identity = index[i] == static_cast<int64_t>(i);
    if (m_product == Product::Conv && !identity)
        fail(describe(layer), ": its weights are not stored as the array's [N, K] matrix");
    m_weightFactor = viewFactor(view.weights, prepared.value(node.inputs[1]).constant.toFloatVector(), index);
    if (!identity)
        m_storedIndex = longs(index);
    if (node.hasInput(2) && !view.bias.empty()) {
        const std::vector<float> stored = prepared.value(node.inputs[2]).constant.toFloatVector();
        std::vector<int64_t> biasIndex(view.bias.size(), 0);
        if (stored.size() > 1)
            std::iota(biasIndex.begin(), biasIndex.end(), int64_t{0});
        m_biasFactor = viewFactor(view.bias, stored, biasIndex);
    }
    if (!layer.biasCorrection.empty())
        m_biasCorrection = doubles(layer.biasCorrection);
    m_baseScales = doubles(m_prog.params.weightScales);
    m_baseInputScale = m_prog.params.inputScale;
    m_baseAdcRange = m_prog.params.numerics.adcRange;
    m_logScale = torch::zeros({m_prog.params.cols}, torch::kDouble).set_requires_grad(options.learnScales);
    // Integer block sums stay exact in float32 below 2^24; otherwise (and with real-valued
    // programmed levels) they are formed in double.
    const bool programmed = options.analogNoise && options.noise.weightProgramNoise > 0.0;
    m_sumType = !programmed && m_prog.worstCaseBlockSum() < (int64_t(1) << 24) ? torch::kFloat : torch::kDouble;
    setupNoise(options);
}

// The seed's chip (noise.seed): programming error and ADC offsets from core's keyed draws,
// computed once. Fresh chips (chip(true)) and read noise come from a torch generator seeded
// with (options.seed, layer): the same Gaussians, in the same units, as core's draws.
void QatLayer::setupNoise(const QatOptions& options)
{
    const NonIdealities& ni = options.noise;
    if (!options.analogNoise || !ni.any())
        return;
    const AnalogLayerParams& p = m_prog.params;
    const uint64_t key = Random::nameKey(p.name);
    if (ni.weightProgramNoise > 0.0) {
        m_programSigma = programmingErrorSigma(m_prog, ni);
        std::vector<double> error(static_cast<size_t>(p.cols * p.rows));
        for (int64_t c = 0; c < p.cols; ++c)
            for (int64_t r = 0; r < p.rows; ++r)
                error[c * p.rows + r] = m_programSigma * programmingError(ni, key, c, r);
        m_seedChip.programError = doubles(error).view({p.cols, p.rows});
    }
    if (ni.adcOffset > 0.0) {
        m_offsetSigma = ni.adcOffset;
        std::vector<double> offsets(static_cast<size_t>(m_prog.blocks() * p.cols));
        for (int64_t b = 0; b < m_prog.blocks(); ++b)
            for (int64_t c = 0; c < p.cols; ++c)
                offsets[b * p.cols + c] = adcOffsetLsb(ni, key, b, c);
        m_seedChip.adcOffsets = doubles(offsets).view({m_prog.blocks(), p.cols});
    }
    m_readSigma = readNoiseSigma(m_prog, ni);
    m_generator = at::make_generator<at::CPUGeneratorImpl>(Random::mix(options.seed, key));
}

QatLayer::Chip QatLayer::chip(bool fresh)
{
    if (!fresh)
        return m_seedChip;
    const AnalogLayerParams& p = m_prog.params;
    const auto options = torch::TensorOptions().dtype(torch::kDouble);
    Chip c;
    if (m_seedChip.programError.defined())
        c.programError = m_programSigma * at::randn({p.cols, p.rows}, m_generator, options);
    if (m_seedChip.adcOffsets.defined())
        c.adcOffsets = m_offsetSigma * at::randn({m_prog.blocks(), p.cols}, m_generator, options);
    return c;
}

double QatLayer::inputScale() const
{
    return m_inputLogScale.defined() ? m_baseInputScale * std::exp(m_inputLogScale.item<double>()) : m_baseInputScale;
}

torch::Tensor QatLayer::inputScaleTensor() const
{
    if (m_inputLogScale.defined())
        return m_baseInputScale * m_inputLogScale.exp();
    return torch::scalar_tensor(m_baseInputScale, torch::kDouble);
}

int64_t QatLayer::adcRange() const
{
    if (m_baseAdcRange <= 0 || !m_inputLogScale.defined())
        return m_baseAdcRange;
    const double factor = m_baseInputScale / inputScale();
    return static_cast<int64_t>(std::ceil(static_cast<double>(m_baseAdcRange) * factor));
}

std::vector<double> QatLayer::weightScales() const
{
    const torch::Tensor s = (m_baseScales * m_logScale.exp()).detach().contiguous();
    return std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
}

torch::Tensor QatLayer::perChannel(const torch::Tensor& t, int64_t rank) const
{
    if (m_channelAxis != 1)
        return t; // the columns run along the last axis: broadcasts as is
    std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
    shape[1] = t.numel();
    return t.view(shape);
}

torch::Tensor QatLayer::viewWeights(const torch::Tensor& weight) const
{
    torch::Tensor w = weight.to(torch::kFloat).reshape({-1});
    if (m_storedIndex.defined())
        w = w.index_select(0, m_storedIndex);
    if (m_weightFactor != 1.0f)
        w = w * m_weightFactor; // in float, as the registry's view is formed
    return w.view({m_prog.params.cols, m_prog.params.rows});
}

// Bias codes sat_int32(rhe(bias / (sx sw[n]))) of the bias the epilogue adds (layerBias:
// the node's bias minus the spec's bias correction, in float).
torch::Tensor QatLayer::viewBias(const torch::Tensor& bias, const torch::Tensor& units) const
{
    const int64_t n = m_prog.params.cols;
    torch::Tensor b = torch::zeros({n}, torch::kFloat);
    if (bias.defined())
        b = (bias.to(torch::kFloat).reshape({-1}) * m_biasFactor).expand({n});
    if (m_biasCorrection.defined())
        b = (b.to(torch::kDouble) - m_biasCorrection).to(torch::kFloat);
    return codesSte(b.to(torch::kDouble) / units, {INT32_MIN, INT32_MAX});
}

torch::Tensor QatLayer::padForConv(const torch::Tensor& codes, const Node& node)
{
    const Shape inSpatial(codes.sizes().begin() + 2, codes.sizes().end());
    const Shape kernel(m_convWeightShape.begin() + 2, m_convWeightShape.end());
    m_window = ops::convWindow(node, inSpatial, kernel, false);
    std::vector<int64_t> pads; // last dim first, (begin, end) pairs
    for (size_t d = inSpatial.size(); d-- > 0;) {
        pads.push_back(m_window.padsBegin[d]);
        pads.push_back(m_window.padsEnd[d]);
    }
    if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; }))
        return codes;
    // Padding reads the real value 0: code 0, or the zero point of offset codes.
    return torch::constant_pad_nd(codes, pads, static_cast<double>(m_prog.params.numerics.inputZeroPoint));
}

// The exact column sums of row block `block` (rows [b R, (b+1) R) of every group).
torch::Tensor QatLayer::blockSums(const torch::Tensor& codes, const torch::Tensor& levels, int64_t block) const
{
    const AnalogLayerParams& p = m_prog.params;
    const int64_t rpb = p.numerics.rowsPerBlock, r0 = block * rpb, r1 = std::min(p.rows, r0 + rpb);
    if (m_product == Product::Rows) {
        if (m_prog.blocks() == 1)
            return codes.matmul(levels.t());
        return codes.slice(-1, r0, r1).matmul(levels.slice(1, r0, r1).t());
    }
    torch::Tensor w = levels;
    if (m_prog.blocks() > 1) {
        torch::Tensor mask = torch::zeros({p.rows}, levels.options());
        mask.slice(0, r0, r1).fill_(1.0);
        w = levels * mask;
    }
    const std::vector<int64_t> zeros(m_window.kernel.size(), 0);
    return at::convolution(codes, w.view(m_convWeightShape), {}, m_window.strides, zeros, m_window.dilations, false,
                           zeros, p.groups);
}

// ADC of one row block: c = sat(rhe(p / 2^s + offset), +-adcMax) x 2^s, read noise added to
// p first (adcConvert / adcConvertNoisy of AnalogModel.h).
torch::Tensor QatLayer::digitize(const torch::Tensor& sums, int64_t block, int shift, bool noisy,
                                 const torch::Tensor& offsets)
{
    torch::Tensor s = sums;
    if (noisy && m_readSigma > 0.0)
        s = s + m_readSigma * at::randn(s.sizes(), m_generator, s.options());
    const double step = std::ldexp(1.0, shift);
    torch::Tensor v = s / step;
    if (noisy && offsets.defined())
        v = v + perChannel(offsets[block], v.dim());
    return codesSte(v, {-m_prog.adcMax, m_prog.adcMax}) * step;
}

// Epilogue: y = sat(requant_n(acc), output range and activation clamp). The forward value
// is the Q31 requantizer's exact integer result; the gradient that of acc x sx sw / sy.
torch::Tensor QatLayer::requantize(const torch::Tensor& acc, const torch::Tensor& scales, const torch::Tensor& sx) const
{
    const AnalogLayerParams& p = m_prog.params;
    const CodeRange out = m_prog.outputRange();
    const std::vector<double> sw = weightScales();
    const double inputScale = sx.item<double>();
    std::vector<int64_t> mult(sw.size()), pow2(sw.size()), half(sw.size());
    std::vector<double> real(sw.size());
    bool exact = true;
    for (size_t c = 0; c < sw.size(); ++c) {
        const Requantizer q = Requantizer::fromReal(inputScale * sw[c] / p.output.scale);
        exact = exact && q.shift <= 62;
        mult[c] = q.multiplier;
        pow2[c] = int64_t(1) << std::min(q.shift, 62);
        half[c] = q.shift > 0 ? pow2[c] / 2 : 1;
        real[c] = q.real();
    }
    const int64_t rank = acc.dim();
    const torch::Tensor surrogate =
        (acc * perChannel(scales * sx / p.output.scale, rank)).clamp(double(out.lo), double(out.hi));
    const torch::Tensor a = acc.detach();
    torch::Tensor y;
    if (exact && a.abs().max().item<double>() < 4294967296.0) // |acc| < 2^32: the product fits in int64
        y = roundingShiftRightEven(a.to(torch::kLong) * perChannel(longs(mult), rank), perChannel(longs(pow2), rank),
                                   perChannel(longs(half), rank))
                .to(torch::kDouble);
    else
        y = (a * perChannel(doubles(real), rank)).round();
    y = y.clamp(double(out.lo), double(out.hi));
    return surrogate + (y - surrogate).detach();
}

torch::Tensor QatLayer::forward(const AnalogCall& call, bool noisy, bool freshChip)
{
    const AnalogLayerParams& p = m_prog.params;
    const torch::Tensor sx = inputScaleTensor();
    // DAC codes: offset codes keep their zero point z (Numerics.h), cancelled below as the
    // bias codes of core do (AnalogModel.h, program()).
    const int64_t z = p.numerics.inputZeroPoint;
    torch::Tensor codes = codesSte(call.input.to(torch::kDouble) / sx, centeredRange(m_prog.inputRange(), z)) + double(z);
    const torch::Tensor scales = m_baseScales * m_logScale.exp();
    torch::Tensor levels = codesSte(viewWeights(call.weight).to(torch::kDouble) / scales.unsqueeze(1),
                                    codeRange(p.numerics.weightBits, true));
    // The offset's contribution z sum_k w[n,k], on the ideal levels as core folds it (its
    // gradient cancels the one through the sums).
    const torch::Tensor offset = z != 0 ? levels.to(torch::kDouble).sum(1) * double(z) : torch::Tensor();
    const Chip c = noisy ? chip(freshChip) : Chip{};
    if (c.programError.defined())
        levels = levels + c.programError;
    if (m_product == Product::Conv) {
        m_convWeightShape = call.weight.sizes().vec();
        codes = padForConv(codes, call.node);
    }
    codes = codes.to(m_sumType);
    levels = levels.to(m_sumType);
    const int64_t range = adcRange(); // the ADC follows a learned input scale
    torch::Tensor acc;
    for (int64_t b = 0; b < m_prog.blocks(); ++b) {
        const int shift = range > 0 ? adcShiftFor(range, m_prog.adcMax) : m_prog.adcShifts[b];
        const torch::Tensor sums = blockSums(codes, levels, b).to(torch::kDouble);
        const torch::Tensor digitized = digitize(sums, b, shift, noisy, c.adcOffsets);
        acc = acc.defined() ? acc + digitized : digitized;
    }
    if (call.bias.defined() || m_biasCorrection.defined())
        acc = acc + perChannel(viewBias(call.bias, scales * sx), acc.dim());
    if (z != 0)
        acc = acc - perChannel(offset, acc.dim());
    return (requantize(acc, scales, sx) * p.output.scale).to(torch::kFloat);
}

} // namespace tessera::train
