#include "quant/train/TorchGraph.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/analog/AnalogLowering.h"

#include <map>
#include <set>

namespace tessera::train {

namespace {

// "the trainer cannot build 3 nodes: ConvTranspose ('up1', 'up2'), Resize ('r')".
std::string unsupportedListing(const Graph& graph, const std::map<std::string, std::vector<std::string>>& byOp)
{
    size_t nodes = 0;
    std::string list;
    for (const auto& [op, names] : byOp) {
        nodes += names.size();
        list += strCat(list.empty() ? "" : ", ", op, " (");
        for (size_t i = 0; i < names.size(); ++i)
            list += strCat(i ? ", " : "", "'", names[i], "'");
        list += ")";
    }
    return strCat("model '", graph.name, "': the trainer cannot build ", nodes, nodes == 1 ? " node" : " nodes", " of ",
                  byOp.size(), byOp.size() == 1 ? " op type: " : " op types: ", list,
                  " (retraining supports the ops listed in docs/retraining.md)");
}

bool isFloat(const Value& v) { return v.dtype == DType::Float32; }

} // namespace

TorchGraph::TorchGraph(const Graph& graph) : m_graph(graph)
{
    std::map<std::string, std::vector<std::string>> unsupported;
    for (NodeId id : m_graph.topologicalOrder()) {
        const Node& node = m_graph.node(id);
        const TorchForward* forward = torchForwardOf(node);
        if (!forward || !forward->forward) {
            unsupported[node.opType].push_back(node.name);
            continue;
        }
        m_steps.push_back({id, forward, analog::isAnalogPlaced(m_graph, node)});
    }
    if (!unsupported.empty())
        fail(unsupportedListing(m_graph, unsupported));
    if (m_graph.outputs().empty())
        fail("model '", m_graph.name, "' has no outputs to train");
    buildConstants();
    m_logits = m_graph.outputs()[0];
    const NodeId last = m_graph.value(m_logits).producer;
    if (last != kNoNode) {
        const Node& node = m_graph.node(last);
        const TorchForward* forward = torchForwardOf(node);
        if (forward && forward->normalizesInput && node.hasInput(0))
            m_logits = node.inputs[0];
    }
}

// Constants become tensors once: trainable inputs of analog layers (and of ops without a
// weight-matrix column, BatchNorm) are parameters, the rest buffers.
void TorchGraph::buildConstants()
{
    m_constants.assign(m_graph.valueCount(), torch::Tensor());
    std::set<ValueId> trainable;
    for (const Step& s : m_steps) {
        const Node& node = m_graph.node(s.node);
        const bool layerTrains = s.analog || !weightMatrixDef(node);
        for (size_t i : s.forward->trainableInputs)
            if (layerTrains && node.hasInput(i) && m_graph.value(node.inputs[i]).isConstant() &&
                isFloat(m_graph.value(node.inputs[i])))
                trainable.insert(node.inputs[i]);
        for (ValueId in : node.inputs)
            if (in != kNoValue && m_graph.value(in).isConstant() && !m_constants[in].defined())
                m_constants[in] = toTorch(m_graph.value(in).constant);
    }
    for (ValueId id = 0; id < static_cast<ValueId>(m_graph.valueCount()); ++id)
        if (trainable.count(id)) {
            m_constants[id].set_requires_grad(true);
            m_paramIds.push_back(id);
            m_named.emplace_back(m_graph.value(id).name, m_constants[id]);
        }
}

void TorchGraph::runStep(const Step& step, std::vector<torch::Tensor>& values, ForwardHooks* hooks) const
{
    const Node& node = m_graph.node(step.node);
    std::vector<torch::Tensor> inputs;
    for (ValueId in : node.inputs)
        inputs.push_back(in == kNoValue ? torch::Tensor() : values[in]);
    for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i] != kNoValue && !inputs[i].defined())
            fail(describeNode(node), ": input ", i, " ('", m_graph.value(node.inputs[i]).name, "') was not computed");
    std::vector<torch::Tensor> outputs;
    if (step.analog) {
        const TorchForward& f = *step.forward;
        auto fp32 = [&](const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
            std::vector<torch::Tensor> args = inputs;
            args.at(0) = x;
            args.at(1) = w;
            if (args.size() < 3 && b.defined())
                args.resize(3);
            if (args.size() > 2)
                args[2] = b;
            return f.forward(TorchOpCall{m_graph, node, args})[0];
        };
        AnalogCall call{m_graph, node, inputs[0], inputs[1], inputs.size() > 2 ? inputs[2] : torch::Tensor(), fp32};
        outputs.push_back(hooks ? hooks->analog(call) : fp32(call.input, call.weight, call.bias));
    } else {
        outputs = step.forward->forward(TorchOpCall{m_graph, node, inputs});
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
        const ValueId out = node.outputs[i];
        const bool used = !m_graph.value(out).consumers.empty() || m_graph.isGraphOutput(out);
        if (i >= outputs.size()) {
            if (used)
                fail(describeNode(node), ": the trainer computes only ", outputs.size(), " of its outputs, output ", i,
                     " ('", m_graph.value(out).name, "') is used");
            continue;
        }
        values[out] = hooks && isFloat(m_graph.value(out)) ? hooks->value(m_graph, out, outputs[i]) : outputs[i];
    }
}

std::vector<torch::Tensor> TorchGraph::run(const std::vector<torch::Tensor>& inputs, ForwardHooks* hooks) const
{
    if (inputs.size() != m_graph.inputs().size())
        fail("model '", m_graph.name, "' takes ", m_graph.inputs().size(), " inputs, got ", inputs.size());
    std::vector<torch::Tensor> values = m_constants;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const ValueId id = m_graph.inputs()[i];
        values[id] = hooks && isFloat(m_graph.value(id)) ? hooks->value(m_graph, id, inputs[i]) : inputs[i];
    }
    for (const Step& step : m_steps)
        runStep(step, values, hooks);
    return values;
}

std::vector<torch::Tensor> TorchGraph::forward(const std::vector<torch::Tensor>& inputs, ForwardHooks* hooks)
{
    const std::vector<torch::Tensor> values = run(inputs, hooks);
    std::vector<torch::Tensor> outputs;
    for (ValueId out : m_graph.outputs())
        outputs.push_back(values[out]);
    return outputs;
}

torch::Tensor TorchGraph::logits(const torch::Tensor& input, ForwardHooks* hooks)
{
    return run({input}, hooks)[m_logits];
}

std::vector<torch::Tensor> TorchGraph::parameters() const
{
    std::vector<torch::Tensor> params;
    for (const auto& [name, p] : m_named)
        params.push_back(p);
    return params;
}

int64_t TorchGraph::parameterCount() const
{
    int64_t count = 0;
    for (const auto& [name, p] : m_named)
        count += p.numel();
    return count;
}

std::vector<torch::Tensor> TorchGraph::snapshot() const
{
    std::vector<torch::Tensor> copies;
    for (const auto& [name, p] : m_named)
        copies.push_back(p.detach().clone());
    return copies;
}

void TorchGraph::restore(const std::vector<torch::Tensor>& values)
{
    if (values.size() != m_named.size())
        fail("model '", m_graph.name, "': ", values.size(), " saved parameters for ", m_named.size(), " parameters");
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < values.size(); ++i) {
        if (!values[i].sizes().equals(m_named[i].second.sizes()))
            fail("model '", m_graph.name, "': saved parameter '", m_named[i].first, "' has another shape");
        m_named[i].second.copy_(values[i]);
    }
}

Graph TorchGraph::exportGraph() const
{
    Graph out = m_graph;
    for (size_t i = 0; i < m_paramIds.size(); ++i)
        out.value(m_paramIds[i]).constant = fromTorch(m_named[i].second);
    return out;
}

} // namespace tessera::train
