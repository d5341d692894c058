#pragma once
// The quantized reference executor: runs a graph exactly as the analog numeric model
// (core/analog) says, with integer, reproducible results.
//  - Analog nodes (registry placement Analog, policy AnalogMatmul, lowerable): input
//    codes -> DACs -> arrays (row blocks, ADC) -> digital epilogue -> output codes
//    (core/analog/AnalogModel.h), bit-exact.
//  - Digital nodes are simulated as FAKE-QUANT: dequantized inputs -> the op's FP32
//    kernel -> outputs rounded to their tensor's codes per QuantPolicy (Requantize: own
//    scale; ShareScale: the input's scale; KeepFloat/ShapeOnly: left in float).
// Every activation is stored as float holding code * scale exactly, so an analog layer
// recovers its input codes without error.
#include "core/Executor.h"
#include "core/Graph.h"
#include "core/Progress.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/SpecProgramming.h"
#include "core/quantspec/QuantSpec.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tessera::quant {

struct QuantizedExecutorOptions {
    // Every ADC transparent (32 bits, step 1): what ADC-range calibration runs with.
    bool transparentAdc = false;
    // Record each analog layer's max |block sum| (ADC range calibration).
    bool recordAdcRanges = false;
    // Apply the result's non-idealities (config.nonIdealities).
    bool nonIdealities = true;
    // Index of the batch's first sample in the data set: read noise is keyed by the global
    // index of each input vector (core/analog/AnalogModel.h), so every sample draws its own
    // noise and a sample draws the same noise in any batch split.
    uint64_t readNoiseStream = 0;
    // Layers (node names) the deployment runs on a tile's SIMD engine instead of arrays
    // (package::simdLayerNames of the compiled package): they carry no non-idealities
    // (analog::nonIdealitiesOn). Empty: every analog layer is on arrays.
    std::set<std::string> simdLayers;
};

// Rounds float data in place to `q`'s grid: saturate(roundHalfEven(x / s)) * s
// (analog::fakeQuantize of core/analog/Numerics.h with q's scale and code range).
void fakeQuantize(float* data, int64_t count, const TensorQuant& q);

// The live values of a run before node step `step` (shallow tensor copies, by value id):
// what a run continued from that step needs. Analog layer L's programming changes nothing
// before L's step, so one base run's snapshot at L serves every trial of L.
struct ExecutionSnapshot {
    size_t step = 0;
    std::vector<Tensor> values;
};

class QuantizedExecutor {
public:
    using NodeObserver = Executor::NodeObserver;

    // `graph` (shapes inferred) and `result` must outlive the executor. Throws
    // tessera::Error naming the layer when the result does not fit the graph.
    QuantizedExecutor(const Graph& graph, const QuantSpec& result, QuantizedExecutorOptions options = {});
    ~QuantizedExecutor();

    // Inputs in graph-input order (float32, graph shapes). Returns the graph outputs
    // (dequantized). The observer sees every node's (dequantized) outputs.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs, const NodeObserver& observer = {},
                            ProgressSink* progress = nullptr);

    // Resumable runs: start binds the inputs (the snapshot before step 0), advance runs
    // steps [s.step, step) in place, runFrom runs from the snapshot to the end (leaving it
    // unchanged). start + runFrom equals run, bit for bit.
    ExecutionSnapshot start(const std::vector<Tensor>& inputs);
    void advance(ExecutionSnapshot& snapshot, size_t step, ProgressSink* progress = nullptr);
    std::vector<Tensor> runFrom(const ExecutionSnapshot& snapshot, ProgressSink* progress = nullptr);
    size_t stepCount() const { return m_order.size(); }
    // Node step of an analog layer (throws naming it when it is not one of this executor's).
    size_t stepOf(const std::string& layer) const;

    // Programs one analog layer from `layer` (same node and geometry, e.g. other weight
    // bits) without rebuilding the others; restoreLayer puts the result's programming back.
    void reprogramLayer(const LayerQuant& layer);
    void restoreLayer(const std::string& layer);
    // The read-noise stream of the next runs (QuantizedExecutorOptions::readNoiseStream).
    void setReadNoiseStream(uint64_t firstSample) { m_options.readNoiseStream = firstSample; }

    // Max |block sum| per analog layer seen so far (recordAdcRanges).
    const std::map<std::string, int64_t>& adcRanges() const { return m_adcRanges; }
    // Node names of analog-placed nodes that could not be lowered (run as digital).
    const std::vector<std::string>& digitalFallbacks() const { return m_fallbacks; }

private:
    struct AnalogNode;
    std::unique_ptr<AnalogNode> prepareAnalog(const Node& node, const LayerQuant& layer,
                                              analog::AnalogMatmulView view) const;
    NodeId analogNodeOf(const std::string& layer) const;
    void runSteps(size_t from, size_t to, const NodeObserver& observer, ProgressSink* progress);
    void runAnalog(AnalogNode& a, const Node& node);
    Tensor permutedOutput(const AnalogNode& a, const Node& node, const std::vector<int32_t>& matrix, int64_t m,
                          int64_t firstVector, Tensor& inputCodes) const;
    Tensor summedOutput(const AnalogNode& a, const Node& node, const std::vector<int32_t>& matrix, int64_t m,
                        int64_t firstVector) const;
    Tensor sampleWiseOutput(AnalogNode& a, const Node& node, const analog::SampleLowering& l, const Tensor& codes,
                            int32_t padCode, int64_t firstVector);
    void runDigital(const Node& node);
    void bindInputs(const std::vector<Tensor>& inputs);

    const Graph& m_graph;
    const QuantSpec& m_result;
    QuantizedExecutorOptions m_options;
    std::vector<NodeId> m_order;
    std::vector<int> m_lastUse;
    std::vector<const TensorQuant*> m_quantOf; // by value id (null: float)
    std::map<NodeId, std::unique_ptr<AnalogNode>> m_analog;
    std::map<NodeId, std::unique_ptr<AnalogNode>> m_replaced; // the result's programming of reprogrammed layers
    std::vector<size_t> m_stepOf;                               // by node id
    std::vector<Tensor> m_values;
    std::vector<float> m_scratch;
    std::vector<int32_t> m_matrix, m_rows; // sampleWiseOutput's input vectors and output codes
    std::map<std::string, int64_t> m_adcRanges;
    std::vector<std::string> m_fallbacks;
};

// The quantized executor of a sequence of batches, rebuilt only when the batch's graph
// changes: ModelGraphs hands out one graph per batch size and sample shape, and
// forEachModelBatch runs a shape's batches one after another, so the layers are programmed
// and lowered once per graph, and one graph's executor is held at a time. Each batch's read
// noise is keyed by its first sample (QuantizedExecutorOptions::readNoiseStream).
class BatchQuantizedExecutor {
public:
    // `result` must outlive this object, and so must every graph handed to forGraph while
    // its executor is held.
    explicit BatchQuantizedExecutor(const QuantSpec& result, QuantizedExecutorOptions options = {})
        : m_result(result), m_options(std::move(options)) {}

    QuantizedExecutor& forGraph(const Graph& graph, uint64_t firstSample = 0)
    {
        if (!m_executor || m_graph != &graph) {
            m_executor.reset(); // one at a time
            m_executor = std::make_unique<QuantizedExecutor>(graph, m_result, m_options);
            m_graph = &graph;
        }
        m_executor->setReadNoiseStream(firstSample);
        return *m_executor;
    }

private:
    const QuantSpec& m_result;
    QuantizedExecutorOptions m_options;
    const Graph* m_graph = nullptr;
    std::unique_ptr<QuantizedExecutor> m_executor;
};

} // namespace tessera::quant
