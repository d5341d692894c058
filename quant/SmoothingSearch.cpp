#include "quant/SmoothingSearch.h"

#include "core/Error.h"
#include "core/WeightMatrix.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/AnalogModel.h"
#include "core/analog/Numerics.h"
#include "quant/Observers.h"

#include <algorithm>
#include <cmath>

namespace tessera::quant {

namespace {

// Runs of `inner` input elements share a channel: NC... inputs hold H*W... per channel.
int64_t channelRun(const Node& node, const Tensor& x, int64_t channels)
{
    return channelsFirst(node) ? x.numel() / (x.dim(0) * channels) : 1;
}

// W m quantized per output channel: levels [N, K] and their scales.
void quantizeScaledWeights(const analog::AnalogMatmulView& view, const std::vector<double>& factors, int bits,
                           ObserverKind observer, std::vector<int32_t>& levels, std::vector<double>& scales)
{
    const std::vector<int64_t> in = inChannelMap(view);
    std::vector<float> w(view.weights.size());
    for (size_t e = 0; e < w.size(); ++e)
        w[e] = static_cast<float>(view.weights[e] * factors[static_cast<size_t>(in[e])]);
    scales = shareOutChannelScales(view, weightScales(w.data(), view.cols, view.rows, bits, observer));
    const analog::CodeRange range = analog::codeRange(bits, true);
    levels.resize(w.size());
    for (int64_t n = 0; n < view.cols; ++n)
        for (int64_t k = 0; k < view.rows; ++k) {
            const size_t e = static_cast<size_t>(n * view.rows + k);
            levels[e] = static_cast<int32_t>(analog::quantizeValue(w[e], scales[n], range));
        }
}

double dot(const float* a, const double* b, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i)
        s += static_cast<double>(a[i]) * b[i];
    return s;
}

} // namespace

void observeChannelBounds(const Graph& g, const Node& node, const Tensor& x, ChannelBounds& b)
{
    const int64_t channels = smoothingChannels(g, node);
    b.lo.resize(static_cast<size_t>(channels), 0.0);
    b.hi.resize(static_cast<size_t>(channels), 0.0);
    const float* d = x.data<float>();
    const int64_t n = x.numel(), inner = channelRun(node, x, channels);
    for (int64_t run = 0; run * inner < n; ++run) {
        const size_t c = static_cast<size_t>(run % channels);
        for (const float* p = d + run * inner; p < d + (run + 1) * inner; ++p)
            if (std::isfinite(*p)) {
                b.lo[c] = std::min<double>(b.lo[c], *p);
                b.hi[c] = std::max<double>(b.hi[c], *p);
            }
    }
}

ChannelRanges channelRanges(const ChannelBoundsMap& bounds)
{
    ChannelRanges r;
    for (const auto& [name, b] : bounds) {
        std::vector<double>& v = r[name];
        for (size_t c = 0; c < b.hi.size(); ++c)
            v.push_back(std::max(-b.lo[c], b.hi[c]));
    }
    return r;
}

SmoothingAlphaSearch::SmoothingAlphaSearch(const Graph& g, const ChannelBoundsMap& bounds, const QuantConfig& config)
    : m_config(config)
{
    if (config.smoothingAlphas.empty())
        fail("input smoothing: no candidate alphas to choose from");
    const ChannelRanges ranges = channelRanges(bounds);
    std::vector<std::vector<InputSmoothing>> perAlpha; // the same layers at every alpha (the spread test ignores it)
    for (double a : config.smoothingAlphas)
        perAlpha.push_back(computeSmoothing(g, ranges, a, config.smoothInputs));
    for (size_t i = 0; i < perAlpha[0].size(); ++i) {
        const std::string& name = perAlpha[0][i].layer;
        m_order.push_back(name);
        bool differ = false;
        for (const auto& s : perAlpha)
            differ = differ || s[i].factors != perAlpha[0][i].factors;
        if (!differ) {
            m_fixed.push_back(perAlpha[0][i]);
            continue;
        }
        const Node& node = g.node(*g.findNode(name));
        const analog::AnalogMatmulView view = analog::lowerAnalogNode(g, node);
        auto wb = config.layerWeightBits.find(name);
        const int bits = wb == config.layerWeightBits.end() ? config.weightBits : wb->second;
        const bool allowOffset = config.offsetCoding && view.scatter == OutputScatter::Permute;
        const ChannelBounds& b = bounds.at(name);
        Layer& layer = m_layers[name];
        layer.weights = view.weights;
        layer.rows = view.rows;
        layer.cols = view.cols;
        layer.groups = view.groups;
        layer.allowOffset = allowOffset;
        layer.blockRows = config.geometry.rows;
        layer.weightBits = bits;
        auto ab = config.layerAdcBits.find(name);
        layer.adcBits = ab == config.layerAdcBits.end() ? config.adcBits : ab->second;
        layer.signal.assign(static_cast<size_t>(view.cols), 0.0);
        for (const auto& s : perAlpha) {
            Candidate c;
            c.smoothing = s[i];
            for (size_t ch = 0; ch < b.hi.size(); ++ch) {
                c.lo = std::min(c.lo, b.lo[ch] / c.smoothing.factors[ch]);
                c.hi = std::max(c.hi, b.hi[ch] / c.smoothing.factors[ch]);
            }
            setCoding(c, allowOffset, std::max(-c.lo, c.hi));
            if (needsHistograms())
                c.hist = AbsHistogram(std::max(-c.lo, c.hi), config.activationObserver.bins);
            c.noise.assign(static_cast<size_t>(view.cols), 0.0);
            quantizeScaledWeights(view, c.smoothing.factors, bits, config.weightObserver, c.levels, c.levelScale);
            c.levelSum.assign(static_cast<size_t>(view.cols), 0);
            for (size_t e = 0; e < c.levels.size(); ++e)
                c.levelSum[e / static_cast<size_t>(view.rows)] += c.levels[e];
            layer.candidates.push_back(std::move(c));
        }
    }
}

template <class Fn> void SmoothingAlphaSearch::forReaders(const Graph& g, const std::string& name, Fn fn)
{
    const std::optional<ValueId> v = g.findValue(name);
    if (!v || m_layers.empty())
        return;
    for (NodeId reader : g.value(*v).consumers) {
        const Node& node = g.node(reader);
        auto it = m_layers.find(node.name);
        if (it != m_layers.end() && node.inputs[0] == *v)
            fn(it->second, node);
    }
}

// As the calibrator codes a DAC input (Calibrator.cpp, ownQuant): the threshold clips both sides.
void SmoothingAlphaSearch::setCoding(Candidate& c, bool allowOffset, double t) const
{
    if (!(t > 0.0 && std::isfinite(t)))
        return; // all zeros: any scale codes them exactly
    const analog::TensorCoding coding =
        analog::chooseCoding(std::max(c.lo, -t), std::min(c.hi, t), m_config.activationBits, allowOffset);
    c.scale = coding.scale;
    c.zeroPoint = coding.zeroPoint;
    c.isSigned = coding.isSigned;
}

bool SmoothingAlphaSearch::needsHistograms() const { return m_config.activationObserver.kind != ObserverKind::MinMax; }

void SmoothingAlphaSearch::observeHistograms(const Graph& g, const std::string& name, const Tensor& x)
{
    forReaders(g, name, [&](Layer& layer, const Node& node) {
        const int64_t channels = smoothingChannels(g, node), inner = channelRun(node, x, channels);
        const float* d = x.data<float>();
        std::vector<float> scaled(static_cast<size_t>(x.numel()));
        for (Candidate& c : layer.candidates) {
            for (int64_t i = 0; i < x.numel(); ++i)
                scaled[i] = static_cast<float>(d[i] / c.smoothing.factors[static_cast<size_t>((i / inner) % channels)]);
            c.hist.add(scaled.data(), x.numel());
        }
    });
}

void SmoothingAlphaSearch::finishHistograms()
{
    if (!needsHistograms())
        return; // MinMax: the coding from the bounds stands
    for (auto& [name, layer] : m_layers)
        for (Candidate& c : layer.candidates) {
            const int64_t levels = analog::maxCode(m_config.activationBits, c.lo < 0.0);
            setCoding(c, layer.allowOffset, chooseThreshold(c.hist, levels, m_config.activationObserver));
        }
}

void SmoothingAlphaSearch::observeAdcRanges(const Graph& g, const std::string& name, const Tensor& x)
{
    forReaders(g, name, [&](Layer& layer, const Node& node) { accumulate(layer, g, node, x, true); });
}

void SmoothingAlphaSearch::finishAdcRanges()
{
    for (auto& [name, layer] : m_layers)
        for (Candidate& c : layer.candidates) {
            const int64_t adcMax = analog::maxCode(layer.adcBits, true);
            const int64_t worst = std::min(layer.rows, layer.blockRows) *
                                  analog::maxCode(m_config.activationBits, false) * analog::maxCode(layer.weightBits, true);
            c.adcShift = analog::adcShiftFor(m_config.calibrateAdc ? std::max<int64_t>(1, c.adcRange) : worst, adcMax);
        }
}

void SmoothingAlphaSearch::observe(const Graph& g, const std::string& name, const Tensor& x)
{
    forReaders(g, name, [&](Layer& layer, const Node& node) { accumulate(layer, g, node, x, false); });
}

void SmoothingAlphaSearch::accumulate(Layer& layer, const Graph& g, const Node& node, const Tensor& x,
                                      bool rangesOnly) const
{
    const std::vector<int32_t> map = analog::analogInputGather(g, node, analog::lowerAnalogNode(g, node));
    const int64_t width = layer.groups * layer.rows, perGroup = layer.cols / layer.groups;
    if (map.empty() || width == 0)
        return; // not a gather (or too large to index): this batch does not vote
    const int64_t vectors = static_cast<int64_t>(map.size()) / width;
    const int64_t channels = smoothingChannels(g, node), inner = channelRun(node, x, channels);
    const int64_t step = std::max<int64_t>(1, (vectors + kMaxVectors - 1) / kMaxVectors);
    const int64_t adcMax = analog::maxCode(layer.adcBits, true);
    const float* xd = x.data<float>();
    const size_t nc = layer.candidates.size();
    std::vector<double> xr(static_cast<size_t>(width));
    std::vector<int64_t> codes(nc * static_cast<size_t>(width)); // DAC codes, zero point included
    for (int64_t r = 0; r < vectors; r += step) {
        const int32_t* row = map.data() + r * width;
        if (*std::max_element(row, row + width) >= x.numel())
            continue; // a fixed batch's padding sample (x holds the real samples only)
        for (int64_t e = 0; e < width; ++e) {
            const int32_t i = row[e];
            xr[e] = i < 0 ? 0.0 : xd[i];
            const size_t c = i < 0 ? 0 : static_cast<size_t>((i / inner) % channels);
            for (size_t k = 0; k < nc; ++k) {
                const Candidate& cand = layer.candidates[k];
                const analog::CodeRange range = analog::codeRange(m_config.activationBits, cand.isSigned);
                codes[k * width + e] = i < 0 ? cand.zeroPoint // padding reads the zero point
                                             : analog::quantizeValue(xr[e] / cand.smoothing.factors[c], cand.scale,
                                                                     range, cand.zeroPoint);
            }
        }
        for (int64_t n = 0; n < layer.cols; ++n) {
            const int64_t offset = (n / perGroup) * layer.rows;
            const double y = rangesOnly ? 0.0 : dot(layer.weights.data() + n * layer.rows, xr.data() + offset, layer.rows);
            layer.signal[n] += y * y;
            for (size_t k = 0; k < nc; ++k) {
                Candidate& cand = layer.candidates[k];
                const int32_t* w = cand.levels.data() + n * layer.rows;
                const int64_t* xc = codes.data() + k * width + offset;
                int64_t acc = 0;
                for (int64_t b0 = 0; b0 < layer.rows; b0 += layer.blockRows) {
                    int64_t p = 0;
                    for (int64_t j = b0; j < std::min(layer.rows, b0 + layer.blockRows); ++j)
                        p += xc[j] * w[j];
                    if (rangesOnly)
                        cand.adcRange = std::max(cand.adcRange, p < 0 ? -p : p);
                    else
                        acc += analog::adcConvert(p, cand.adcShift, adcMax);
                }
                if (rangesOnly)
                    continue;
                const double yq = static_cast<double>(acc - cand.zeroPoint * cand.levelSum[n]) * cand.scale *
                                  cand.levelScale[n];
                cand.noise[n] += (y - yq) * (y - yq);
            }
        }
        layer.outputs += rangesOnly ? 0 : layer.cols;
    }
}

std::vector<InputSmoothing> SmoothingAlphaSearch::chosen() const
{
    std::vector<InputSmoothing> out;
    size_t fixed = 0;
    for (const std::string& name : m_order) {
        auto it = m_layers.find(name);
        if (it == m_layers.end()) {
            out.push_back(m_fixed[fixed++]);
            continue;
        }
        size_t best = 0;
        for (size_t k = 1; k < it->second.candidates.size(); ++k)
            if (relativeError(name, k) < relativeError(name, best))
                best = k;
        out.push_back(it->second.candidates[best].smoothing);
    }
    return out;
}

double SmoothingAlphaSearch::relativeError(const std::string& layer, size_t i) const
{
    auto it = m_layers.find(layer);
    if (it == m_layers.end() || i >= it->second.candidates.size() || it->second.outputs == 0)
        return -1.0;
    const Layer& l = it->second;
    double sum = 0.0;
    int64_t live = 0;
    for (size_t n = 0; n < l.signal.size(); ++n)
        if (l.signal[n] > 0.0) { // a dead column has nothing to lose
            sum += l.candidates[i].noise[n] / l.signal[n];
            ++live;
        }
    return live > 0 ? sum / static_cast<double>(live) : 0.0;
}

} // namespace tessera::quant
