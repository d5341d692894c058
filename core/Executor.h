#pragma once
// The FP32 reference executor: runs an inferred graph on the CPU with each op's registry
// kernel. It is the oracle that quantization and the simulator are judged against.
// Buffers are planned once (liveness-based reuse) and kept across runs, and so is what
// kernels derive from constant inputs (packed weights): the graph's constants must not
// change during the executor's life.
#include "core/Graph.h"
#include "core/OpRegistry.h"
#include "core/Progress.h"

#include <functional>
#include <vector>

namespace tessera {

struct ExecutorOptions {
    // Reuse activation buffers whose value is dead. Off keeps every value readable after
    // run() (per-layer debugging, calibration of all tensors at once).
    bool reuseBuffers = true;
};

class Executor {
public:
    // Called after each node with its output tensors (valid during the call only when
    // buffers are reused).
    using NodeObserver = std::function<void(NodeId, const Node&, const std::vector<const Tensor*>& outputs)>;

    // `graph` must have inferred shapes and outlive the executor.
    explicit Executor(const Graph& graph, ExecutorOptions options = {});

    // Inputs in graph-input order; dtype and shape must match the graph's inputs.
    // Returns the graph outputs (deep copies).
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const NodeObserver& observer = {},
                            ProgressSink* progress = nullptr);

    // A value's tensor after run() (only reliable for every value with reuseBuffers off).
    const Tensor& valueTensor(ValueId id) const { return m_values[id]; }
    // Bytes of activation memory planned (after reuse).
    size_t plannedBytes() const { return m_plannedBytes; }

private:
    void planBuffers();
    void bindInputs(const std::vector<Tensor>& inputs);

    const Graph& m_graph;
    ExecutorOptions m_options;
    std::vector<NodeId> m_order;
    std::vector<Tensor> m_values;
    std::vector<float> m_scratch;
    std::vector<NodeCache> m_caches; // per step of m_order: packed constant weights and the like
    size_t m_plannedBytes = 0;
};

} // namespace tessera
