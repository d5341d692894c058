#include "core/analog/AnalogLowering.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ops/OpHelpers.h"

#include <algorithm>

namespace tessera::analog {

namespace {

void setActivation(const Node& node, AnalogMatmulView& view)
{
    const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
    if (act.kind == ops::FusedActivation::Kind::Relu)
        view.clampLo = 0.0;
    else if (act.kind == ops::FusedActivation::Kind::Clip) {
        view.clampLo = std::max<double>(act.lo, -1e300);
        view.clampHi = std::min<double>(act.hi, 1e300);
    }
}

const WeightMatrixDef& columnOf(const Node& node)
{
    const WeightMatrixDef* def = weightMatrixDef(node);
    if (!def)
        fail(describeNode(node), ": not lowerable to an analog matmul");
    return *def;
}

} // namespace

bool isAnalogPlaced(const Graph& graph, const Node& node)
{
    return node.op && node.op->quantPolicyValue() == QuantPolicy::AnalogMatmul &&
           node.op->placeNode(node, graph).placement == Placement::Analog;
}

bool isLowerableAnalogNode(const Graph& graph, const Node& node) { return isAnalogPlaced(graph, node); }

AnalogMatmulView lowerAnalogNode(const Graph& graph, const Node& node)
{
    AnalogMatmulView view;
    static_cast<WeightMatrix&>(view) = weightMatrixOf(graph, node);
    view.nodeName = node.name;
    view.opType = node.opType;
    setActivation(node, view);
    return view;
}

std::vector<int32_t> analogInputMatrix(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                                       const Tensor& inputCodes, int64_t& m, int32_t padCode)
{
    Tensor centered; // the lowering pads with 0: shift the codes so that padding lands on padCode
    if (padCode != 0) {
        centered = inputCodes.clone();
        int32_t* c = centered.mutableData<int32_t>();
        for (int64_t i = 0, n = centered.numel(); i < n; ++i)
            c[i] -= padCode;
    }
    const std::vector<float> x =
        columnOf(node).inputVectors(graph, node, view, padCode != 0 ? centered : inputCodes, m);
    std::vector<int32_t> codes(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        codes[i] = static_cast<int32_t>(x[i]) + padCode; // codes are exact in float (< 2^24)
    return codes;
}

std::vector<int32_t> analogInputGather(const Graph& graph, const Node& node, const AnalogMatmulView& view)
{
    const Shape& shape = graph.value(node.inputs[0]).shape;
    const int64_t n = numElements(shape);
    if (n >= (int64_t{1} << 24))
        return {};
    Tensor probe(DType::Int32, shape);
    int32_t* p = probe.mutableData<int32_t>();
    for (int64_t i = 0; i < n; ++i)
        p[i] = static_cast<int32_t>(i + 1); // 0 stays padding
    int64_t m = 0;
    std::vector<int32_t> map = analogInputMatrix(graph, node, view, probe, m);
    for (int32_t& e : map)
        e -= 1;
    for (int64_t i = 0; i < n; ++i) // a second input: codes a gather maps exactly, padding 0
        p[i] = static_cast<int32_t>((i * 7919 + 13) % 251) - 125;
    const std::vector<int32_t> want = analogInputMatrix(graph, node, view, probe, m);
    std::vector<int32_t> got(map.size());
    gatherInputMatrix(map, p, got.data());
    return got == want ? map : std::vector<int32_t>{};
}

namespace {

// Lowers `probe` (element i of input 0: value(i)) and returns the input vectors.
template <class Value>
std::vector<float> lowerProbe(const Graph& graph, const Node& node, const AnalogMatmulView& view, Value value,
                              int64_t& m)
{
    Tensor probe(DType::Int32, graph.value(node.inputs[0]).shape);
    int32_t* p = probe.mutableData<int32_t>();
    for (int64_t i = 0, n = probe.numel(); i < n; ++i)
        p[i] = value(i);
    return columnOf(node).inputVectors(graph, node, view, probe, m);
}

// Sample 0's scatter map, when every sample's scatter is sample 0's shifted by one sample's
// output and covers it exactly once.
std::optional<ScatterMap> sampleScatter(const ScatterMap& all, int64_t samples, int64_t perSample)
{
    if (all.size() % static_cast<size_t>(samples) != 0)
        return std::nullopt;
    const int64_t length = static_cast<int64_t>(all.size()) / samples;
    ScatterMap first(all.begin(), all.begin() + length);
    std::vector<uint8_t> hits(static_cast<size_t>(perSample), 0);
    for (int64_t j = 0; j < length; ++j) {
        if (first[j] < 0 || first[j] >= perSample || hits[first[j]]++)
            return std::nullopt;
    }
    if (std::find(hits.begin(), hits.end(), uint8_t{0}) != hits.end())
        return std::nullopt;
    for (int64_t s = 1; s < samples; ++s)
        for (int64_t j = 0; j < length; ++j)
            if (all[s * length + j] != s * perSample + first[j])
                return std::nullopt;
    return first;
}

} // namespace

std::optional<SampleLowering> sampleLowering(const Graph& graph, const Node& node, const AnalogMatmulView& view)
{
    const Shape& in = graph.value(node.inputs[0]).shape;
    const Shape& out = graph.value(node.outputs[0]).shape;
    if (view.scatter != OutputScatter::Permute || in.empty() || out.empty() || in[0] != out[0] || in[0] < 1)
        return std::nullopt;
    SampleLowering l;
    l.samples = in[0];
    l.inputPerSample = numElements(in) / l.samples;
    l.outputPerSample = numElements(out) / l.samples;
    if (l.inputPerSample + 1 >= (int64_t{1} << 24) || l.samples + 1 >= (int64_t{1} << 24))
        return std::nullopt;
    int64_t m = 0;
    const std::vector<float> within =
        lowerProbe(graph, node, view, [&](int64_t i) { return static_cast<int32_t>(i % l.inputPerSample + 1); }, m);
    if (m <= 0 || m % l.samples != 0)
        return std::nullopt;
    l.vectorsPerSample = m / l.samples;
    l.rowLength = static_cast<int64_t>(within.size()) / m;
    const int64_t length = l.vectorsPerSample * l.rowLength;
    for (int64_t j = 0; j < length; ++j)
        l.gather.push_back(static_cast<int32_t>(within[j]) - 1);
    const std::vector<float> sample =
        lowerProbe(graph, node, view, [&](int64_t i) { return static_cast<int32_t>(i / l.inputPerSample + 1); }, m);
    for (int64_t s = 0; s < l.samples; ++s)
        for (int64_t j = 0; j < length; ++j) {
            const bool pad = l.gather[j] < 0;
            if (within[s * length + j] != within[j] || sample[s * length + j] != (pad ? 0.0f : static_cast<float>(s + 1)))
                return std::nullopt;
        }
    std::optional<ScatterMap> scatter =
        sampleScatter(columnOf(node).scatterMap(graph, node, view), l.samples, l.outputPerSample);
    if (!scatter || static_cast<int64_t>(scatter->size()) != l.vectorsPerSample * view.cols)
        return std::nullopt;
    l.scatter = std::move(*scatter);
    l.gatherTransposes = l.inputPerSample == length;
    for (int64_t v = 0; v < l.vectorsPerSample && l.gatherTransposes; ++v)
        for (int64_t k = 0; k < l.rowLength && l.gatherTransposes; ++k)
            l.gatherTransposes = l.gather[v * l.rowLength + k] == k * l.vectorsPerSample + v;
    l.transposes = true;
    for (int64_t v = 0; v < l.vectorsPerSample && l.transposes; ++v)
        for (int64_t c = 0; c < view.cols && l.transposes; ++c)
            l.transposes = l.scatter[v * view.cols + c] == c * l.vectorsPerSample + v;
    return l;
}

void gatherInputMatrix(const std::vector<int32_t>& map, const int32_t* codes, int32_t* out, int32_t padCode)
{
    const auto all = static_cast<int64_t>(map.size());
    gatherInputRows(map, all, codes, padCode, out, all, padCode);
}

void scatterAnalogOutput(const Graph& graph, const Node& node, const AnalogMatmulView& view,
                         const std::vector<int32_t>& y, Tensor& outputCodes)
{
    if (view.scatter != OutputScatter::Permute)
        fail(describeNode(node), ": its array columns add up before the epilogue; scatter the accumulators "
                                 "(scatterAccumulators), not output codes");
    const ScatterMap map = columnOf(node).scatterMap(graph, node, view);
    int32_t* out = outputCodes.mutableData<int32_t>();
    for (size_t i = 0; i < map.size(); ++i)
        out[map[i]] = y[i];
}

void scatterAccumulators(const Graph& graph, const Node& node, const AnalogMatmulView& view, const int64_t* acc,
                         int64_t m, int64_t* outAcc)
{
    const ScatterMap map = columnOf(node).scatterMap(graph, node, view);
    if (static_cast<int64_t>(map.size()) != m * view.cols)
        fail(describeNode(node), ": ", m, " input vectors given, the layer has ", map.size() / view.cols);
    std::fill(outAcc, outAcc + numElements(graph.value(node.outputs[0]).shape), int64_t{0});
    scatterAdd(map, acc, outAcc);
}

std::vector<int64_t> channelBiasCodes(const AnalogLayerParams& params, const WeightMatrix& view,
                                      const std::vector<float>& bias)
{
    std::vector<int64_t> codes(static_cast<size_t>(view.outChannels()), 0);
    for (int64_t c = 0; c < view.outChannels() && !bias.empty(); ++c) {
        const double unit = params.inputScale * params.weightScales[c * view.colsPerOutChannel];
        codes[c] = saturate(roundHalfEven(bias[c] / unit), INT32_MIN, INT32_MAX);
    }
    return codes;
}

int64_t vectorsPerRun(const Graph& graph, const Node& node, const AnalogMatmulView& view)
{
    if (view.scatter == OutputScatter::Permute) // one vector per output position
        return numElements(graph.value(node.outputs[0]).shape) / std::max<int64_t>(1, view.cols);
    return numElements(graph.value(node.inputs[0]).shape) / std::max<int64_t>(1, view.groups * view.rows);
}

} // namespace tessera::analog
