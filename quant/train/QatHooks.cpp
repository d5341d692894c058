#include "quant/train/QatHooks.h"

#include "core/Error.h"
#include "core/analog/AnalogModel.h"
#include "core/analog/SpecProgramming.h"
#include "quant/train/QatLayer.h"
#include "quant/train/Ste.h"

#include <map>

namespace tessera::train {

namespace {

class SpecHooks final : public QatHooks {
public:
    SpecHooks(const Graph& prepared, const QuantSpec& spec, const QatOptions& options)
        : m_spec(spec), m_options(options)
    {
        if (!m_options.analogNoise)
            m_options.noise = {};
        for (const LayerQuant& layer : spec.layers) {
            const std::optional<NodeId> id = prepared.findNode(layer.node);
            if (!id)
                fail("quantization spec: layer '", layer.node, "' is not a node of graph '", prepared.name, "'");
            m_layers[layer.node] = std::make_unique<QatLayer>(prepared, prepared.node(*id), spec, layer, m_options);
        }
        if (m_options.learnActivationScales)
            learnInputScales(prepared);
    }

    // Nodes the spec has no layer for run as the quantized executor runs them: digital, in
    // FP32, their outputs rounded by value().
    torch::Tensor analog(const AnalogCall& call) override
    {
        const auto it = m_layers.find(call.node.name);
        if (it == m_layers.end())
            return call.fp32(call.input, call.weight, call.bias);
        return it->second->forward(call, m_options.noise.any(), m_training && m_options.freshChipPerStep);
    }

    torch::Tensor value(const Graph& graph, ValueId id, const torch::Tensor& t) override
    {
        const Value& v = graph.value(id);
        const TensorQuant* q = m_spec.findTensor(v.name);
        if (!q || !q->quantized || v.dtype != DType::Float32 || !t.is_floating_point())
            return t;
        const analog::CodeRange range = analog::centeredRange(analog::codeRange(q->bits, q->isSigned), q->zeroPoint);
        const auto learned = m_inputLogScales.find(v.name);
        if (learned == m_inputLogScales.end())
            return fakeQuantizeSte(t, q->scale, range);
        const torch::Tensor scale = q->scale * learned->second.exp(); // LSQ: d/ds = rhe(v) - v inside
        return (codesSte(t.to(torch::kDouble) / scale, range) * scale).to(t.scalar_type());
    }

    std::vector<torch::Tensor> parameters() override
    {
        std::vector<torch::Tensor> params;
        if (m_options.learnScales)
            for (const auto& [name, layer] : m_layers)
                params.push_back(layer->logScale());
        for (const auto& [name, logScale] : m_inputLogScales)
            params.push_back(logScale);
        return params;
    }

    void setTraining(bool on) override { m_training = on; }

    QuantSpec tunedSpec() const override
    {
        QuantSpec tuned = m_spec;
        for (LayerQuant& layer : tuned.layers) {
            const QatLayer& q = *m_layers.at(layer.node);
            layer.weightScales = q.weightScales();
            layer.adcRange = q.adcRange();
            if (m_inputLogScales.count(layer.input)) { // the layer's DAC scale back to its tensor's (dacCoding)
                TensorQuant& t = tuned.tensors.at(layer.input);
                const int dac = analog::layerDacBits(tuned, layer);
                t.scale = q.inputScale() * static_cast<double>(analog::maxCode(dac, t.isSigned)) /
                          static_cast<double>(analog::maxCode(t.bits, t.isSigned));
            }
        }
        tuned.equalization.clear(); // the tuned model has the rewrites baked in
        tuned.smoothing.clear();
        return tuned;
    }

    const analog::NonIdealities& noise() const override { return m_options.noise; }

private:
    // A requantized tensor (its own scale, set by a Requantize step) whose every consumer is
    // a spec layer reading it as input 0 gets a learnable log-factor. Graph inputs and
    // share-scale tensors keep theirs (other ops' scales follow them).
    void learnInputScales(const Graph& prepared)
    {
        for (const LayerQuant& layer : m_spec.layers) {
            const TensorQuant* t = m_spec.findTensor(layer.input);
            const std::optional<ValueId> id = prepared.findValue(layer.input);
            if (!t || !t->quantized || t->policy != "requantize" || !id || m_inputLogScales.count(layer.input))
                continue;
            bool onlyLayers = true;
            for (NodeId consumer : prepared.value(*id).consumers) {
                const Node& n = prepared.node(consumer);
                onlyLayers = onlyLayers && m_layers.count(n.name) && n.inputs[0] == *id;
            }
            if (!onlyLayers)
                continue;
            const torch::Tensor logScale = torch::zeros({}, torch::kDouble).set_requires_grad(true);
            m_inputLogScales[layer.input] = logScale;
            for (NodeId consumer : prepared.value(*id).consumers)
                m_layers.at(prepared.node(consumer).name)->setInputLogScale(logScale);
        }
    }

    QuantSpec m_spec;
    QatOptions m_options;
    std::map<std::string, std::unique_ptr<QatLayer>> m_layers;
    std::map<std::string, torch::Tensor> m_inputLogScales; // tensor name -> 0-dim log-factor
    bool m_training = true;
};

} // namespace

analog::NonIdealities defaultAnalogNoise(uint64_t seed) { return analog::defaultNonIdealities(seed); }

std::unique_ptr<QatHooks> makeQatHooks(const Graph& prepared, const QuantSpec& spec, const QatOptions& options)
{
    return std::make_unique<SpecHooks>(prepared, spec, options);
}

} // namespace tessera::train
