#include "quant/train/QatHooks.h"

#include "core/Error.h"
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
    }

    // Nodes the spec has no layer for run as the quantized executor runs them: digital, in
    // FP32, their outputs rounded by value().
    torch::Tensor analog(const AnalogCall& call) override
    {
        const auto it = m_layers.find(call.node.name);
        if (it == m_layers.end())
            return call.fp32(call.input, call.weight, call.bias);
        return it->second->forward(call, m_options.noise.any());
    }

    torch::Tensor value(const Graph& graph, ValueId id, const torch::Tensor& t) override
    {
        const Value& v = graph.value(id);
        const TensorQuant* q = m_spec.findTensor(v.name);
        if (!q || !q->quantized || v.dtype != DType::Float32 || !t.is_floating_point())
            return t;
        return fakeQuantizeSte(t, q->scale, analog::centeredRange(analog::codeRange(q->bits, q->isSigned), q->zeroPoint));
    }

    std::vector<torch::Tensor> parameters() override
    {
        std::vector<torch::Tensor> params;
        if (m_options.learnScales)
            for (const auto& [name, layer] : m_layers)
                params.push_back(layer->logScale());
        return params;
    }

    void setTraining(bool on) override { m_training = on; }

    QuantSpec tunedSpec() const override
    {
        QuantSpec tuned = m_spec;
        for (LayerQuant& layer : tuned.layers)
            layer.weightScales = m_layers.at(layer.node)->weightScales();
        tuned.equalization.clear(); // the tuned model has the rewrites baked in
        tuned.smoothing.clear();
        return tuned;
    }

    const analog::NonIdealities& noise() const override { return m_options.noise; }

private:
    QuantSpec m_spec;
    QatOptions m_options;
    std::map<std::string, std::unique_ptr<QatLayer>> m_layers;
    bool m_training = true;
};

} // namespace

analog::NonIdealities defaultAnalogNoise(uint64_t seed)
{
    analog::NonIdealities ni;
    ni.weightProgramNoise = 0.02;
    ni.readNoise = 0.06;
    ni.adcOffset = 0.5;
    ni.seed = seed;
    return ni;
}

std::unique_ptr<QatHooks> makeQatHooks(const Graph& prepared, const QuantSpec& spec, const QatOptions& options)
{
    return std::make_unique<SpecHooks>(prepared, spec, options);
}

} // namespace tessera::train
