#include "core/Executor.h"

#include "core/ByteSize.h"
#include "core/Error.h"
#include "core/OpRegistry.h"

#include <algorithm>
#include <new>
#include <unordered_map>

namespace tessera {

Executor::Executor(const Graph& graph, ExecutorOptions options)
    : m_graph(graph), m_options(options), m_order(graph.topologicalOrder()), m_values(graph.valueCount()),
      m_caches(m_order.size())
{
    for (size_t step = 0; step < m_order.size(); ++step) {
        const Node& node = graph.node(m_order[step]);
        if (!node.op || !node.op->kernelFn())
            fail(describeNode(node), ": the reference executor has no kernel for this operator");
        for (ValueId in : node.inputs)
            m_caches[step].constantInputs.push_back(in != kNoValue && graph.value(in).isConstant());
    }
    planBuffers();
}

namespace {

// Bytes of a node's output `v`; a shape whose byte count overflows names the node.
size_t valueBytes(const Node& node, const Value& v)
{
    size_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<size_t>(numElements(v.shape)), dtypeSize(v.dtype), &bytes))
        fail(describeNode(node), ": output '", v.name, "' ", dtypeName(v.dtype), shapeToString(v.shape),
             " has more bytes than fit in 64 bits");
    return bytes;
}

// A buffer for the node's output `v`; when memory runs out the error names the node, the
// tensor and the bytes it needs (a Conv with huge pads, a corrupt shape).
Tensor allocateOutput(const Node& node, const Value& v, size_t bytes)
{
    try {
        return Tensor(DType::UInt8, {static_cast<int64_t>(bytes)});
    } catch (const std::bad_alloc&) {
        fail(describeNode(node), ": out of memory for output '", v.name, "' ", dtypeName(v.dtype),
             shapeToString(v.shape), ", which needs ", bytes, " bytes (", byteSizeText(bytes), ")");
    }
}

} // namespace

void Executor::planBuffers()
{
    // Last step at which each value is read; graph outputs live forever.
    const int forever = static_cast<int>(m_order.size());
    std::vector<int> lastUse(m_graph.valueCount(), -1);
    for (int step = 0; step < static_cast<int>(m_order.size()); ++step)
        for (ValueId in : m_graph.node(m_order[step]).inputs)
            if (in != kNoValue)
                lastUse[in] = step;
    for (ValueId out : m_graph.outputs())
        lastUse[out] = forever;

    std::vector<Tensor> freePool; // byte buffers (UInt8) available for reuse
    std::unordered_map<ValueId, Tensor> storageOf;
    for (ValueId id = 0; id < static_cast<ValueId>(m_graph.valueCount()); ++id)
        if (m_graph.value(id).isConstant())
            m_values[id] = m_graph.value(id).constant;

    for (int step = 0; step < static_cast<int>(m_order.size()); ++step) {
        const Node& node = m_graph.node(m_order[step]);
        std::vector<Tensor> unreadOutputs; // returned to the pool once the node is planned
        for (ValueId out : node.outputs) {
            const Value& v = m_graph.value(out);
            const size_t bytes = std::max<size_t>(1, valueBytes(node, v));
            auto best = freePool.end();
            if (m_options.reuseBuffers)
                for (auto it = freePool.begin(); it != freePool.end(); ++it)
                    if (it->byteSize() >= bytes && (best == freePool.end() || it->byteSize() < best->byteSize()))
                        best = it;
            Tensor storage;
            if (best != freePool.end()) {
                storage = *best;
                freePool.erase(best);
            } else {
                storage = allocateOutput(node, v, bytes);
                m_plannedBytes += bytes;
            }
            m_values[out] = Tensor::viewOf(storage, v.dtype, v.shape);
            if (lastUse[out] < 0 && m_options.reuseBuffers)
                unreadOutputs.push_back(storage);
            else
                storageOf.emplace(out, storage);
        }
        freePool.insert(freePool.end(), unreadOutputs.begin(), unreadOutputs.end());
        if (!m_options.reuseBuffers)
            continue;
        for (ValueId in : node.inputs)
            if (in != kNoValue && lastUse[in] == step && storageOf.count(in)) {
                freePool.push_back(storageOf[in]);
                storageOf.erase(in);
            }
    }
}

void Executor::bindInputs(const std::vector<Tensor>& inputs)
{
    const auto& graphInputs = m_graph.inputs();
    if (inputs.size() != graphInputs.size())
        fail("graph '", m_graph.name, "' takes ", graphInputs.size(), " inputs, got ", inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = m_graph.value(graphInputs[i]);
        if (inputs[i].dtype() != v.dtype || inputs[i].shape() != v.shape)
            fail("input '", v.name, "' expects ", dtypeName(v.dtype), shapeToString(v.shape), ", got ",
                 dtypeName(inputs[i].dtype()), shapeToString(inputs[i].shape()));
        m_values[graphInputs[i]] = inputs[i];
    }
}

std::vector<Tensor> Executor::run(const std::vector<Tensor>& inputs, const NodeObserver& observer,
                                  ProgressSink* progress)
{
    bindInputs(inputs);
    std::vector<const Tensor*> inPtrs;
    std::vector<Tensor*> outPtrs;
    for (size_t step = 0; step < m_order.size(); ++step) {
        if (progress)
            progress->checkpoint(static_cast<double>(step) / m_order.size(), "running");
        const Node& node = m_graph.node(m_order[step]);
        inPtrs.clear();
        outPtrs.clear();
        for (ValueId in : node.inputs)
            inPtrs.push_back(in == kNoValue ? nullptr : &m_values[in]);
        for (ValueId out : node.outputs)
            outPtrs.push_back(&m_values[out]);
        KernelContext ctx(node, inPtrs, outPtrs, m_scratch, &m_caches[step]);
        node.op->kernelFn()(ctx);
        if (observer)
            observer(m_order[step], node, std::vector<const Tensor*>(outPtrs.begin(), outPtrs.end()));
    }
    std::vector<Tensor> outputs;
    for (ValueId out : m_graph.outputs())
        outputs.push_back(m_values[out].clone());
    return outputs;
}

} // namespace tessera
