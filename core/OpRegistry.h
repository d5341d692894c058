#pragma once
// The op registry: one row per operator, one column per concern. Every stage (import,
// shape inference, reference execution, quantization, placement, cost) asks this table
// about an op instead of switching on op type. A new stage adds a column here.
//
//   reg.add("Relu")
//       .doc("max(x, 0)")
//       .numInputs(1).numOutputs(1)
//       .inferShape(sameAsInput0)
//       .kernel(reluKernel)
//       .quantPolicy(QuantPolicy::Requantize);
//
// Columns beyond shape and kernel: placement, quantPolicy, cost, weightMatrix (ops that
// lower onto analog arrays, core/WeightMatrix.h), scalePassing (equalization), fusesAs
// (activation fusion), channelAffine (BatchNorm folding), forwardsInput (aliases such as
// Identity), and attr (declared attributes with their defaults, read through attrOf: the
// only place a default is written).
//
// Extension columns (TVM's set_attr): a library outside core adds a column of its own type
// to existing rows without core knowing the type (quant/train registers its torch forward
// per op this way, so core never sees torch):
//   OpRegistry::setColumn<TorchForward>("Conv", TorchForward{...});
//   if (const TorchForward* f = opDefOf(node)->column<TorchForward>()) ...
// Values are stored type-erased, one per (row, type). Register before the first lookup
// (e.g. once behind std::call_once): setColumn and column may not race.
#include "core/Graph.h"
#include "core/WeightMatrix.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

namespace tessera {

// Where a node runs on the accelerator.
enum class Placement { Analog, Digital, Unsupported };
const char* placementName(Placement placement);

struct PlacementDecision {
    Placement placement = Placement::Digital;
    std::string reason; // why (always set for Unsupported)
};

// How the quantizer treats an op's output.
enum class QuantPolicy {
    AnalogMatmul,  // weights to levels, inputs to DAC codes, output through the ADC
    Requantize,    // digital op on codes: output gets its own calibrated scale
    ShareScale,    // output reuses the input's scale (MaxPool, Reshape, Concat...)
    KeepFloat,     // computed in higher precision on the processor (Softmax, Sigmoid...)
    ShapeOnly,     // produces shapes/indices, not activations
};
const char* quantPolicyName(QuantPolicy policy);

// How an op carries a positive per-channel scale s of its input 0 (f(x / s) = f(x) / s),
// which cross-layer equalization needs between two analog layers.
enum class ScalePassing {
    None,          // does not commute with a per-channel scale
    Elementwise,   // per element, any layout (Relu)
    ChannelsFirst, // per channel of an NC... tensor (max/average pools)
    Reshape,       // moves elements only (Flatten, Reshape): channels may become blocks of the last axis
};

// y = scale[c] * x + shift[c] per channel of axis 1 (BatchNormalization, inference form):
// what BatchNorm folding (core/passes/FoldBatchNorm.h) writes into the layer before it.
struct ChannelAffine {
    std::vector<float> scale;
    std::vector<float> shift;
};

struct OpCost {
    int64_t macs = 0;        // multiply-accumulates (or elementwise ops for digital work)
    int64_t params = 0;      // constant weight elements
    int64_t outputBytes = 0; // FP32 activation bytes produced
};

// Read-only view of a node's inputs during shape inference.
class InferContext {
public:
    InferContext(const Graph& graph, Node& node, const std::vector<const Tensor*>& knownInputs)
        : m_graph(graph), m_node(node), m_known(knownInputs)
    {
    }
    const Node& node() const { return m_node; }
    const Attributes& attrs() const { return m_node.attrs; }
    size_t numInputs() const { return m_node.inputs.size(); }
    bool hasInput(size_t i) const { return m_node.hasInput(i); }
    const Shape& inShape(size_t i) const { return m_graph.value(m_node.inputs.at(i)).shape; }
    DType inType(size_t i) const { return m_graph.value(m_node.inputs.at(i)).dtype; }
    int64_t inRank(size_t i) const { return static_cast<int64_t>(inShape(i).size()); }
    // The input's value when it is known before running (constant or foldable), else null.
    const Tensor* inConst(size_t i) const { return i < m_known.size() ? m_known[i] : nullptr; }
    // Like inConst, but fails with a message naming the node when the value is not known.
    const Tensor& requireConst(size_t i, const char* what) const;
    size_t numOutputs() const { return m_node.outputs.size(); }
    void setOutput(size_t i, DType type, Shape shape);
    // For ops whose output is known without running (Shape, Constant): record the value
    // so later nodes (Reshape targets, Slice bounds) can use it during inference.
    void setOutputValue(size_t i, Tensor value);
    [[noreturn]] void fail(const std::string& message) const;

    const std::vector<std::pair<DType, Shape>>& outputs() const { return m_outputs; }
    const std::vector<Tensor>& outputValues() const { return m_outputValues; }

private:
    const Graph& m_graph;
    Node& m_node;
    const std::vector<const Tensor*>& m_known;
    std::vector<std::pair<DType, Shape>> m_outputs;
    std::vector<Tensor> m_outputValues; // invalid Tensor where unknown
};

// What an executor keeps for one node across its runs: which inputs are graph constants,
// and state a kernel derived from those constants only (packed weights).
struct NodeCache {
    std::vector<bool> constantInputs;
    std::shared_ptr<const void> state;
};

// Inputs and preallocated outputs (shapes from inference) of one kernel call.
class KernelContext {
public:
    KernelContext(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
                  std::vector<float>& scratch, NodeCache* cache = nullptr)
        : m_node(node), m_inputs(std::move(inputs)), m_outputs(std::move(outputs)), m_scratch(scratch),
          m_cache(cache)
    {
    }
    const Node& node() const { return m_node; }
    const Attributes& attrs() const { return m_node.attrs; }
    size_t numInputs() const { return m_inputs.size(); }
    bool hasInput(size_t i) const { return i < m_inputs.size() && m_inputs[i] != nullptr; }
    const Tensor& in(size_t i) const { return *m_inputs.at(i); }
    size_t numOutputs() const { return m_outputs.size(); }
    Tensor& out(size_t i) const { return *m_outputs.at(i); }
    // Reusable float workspace owned by the executor (im2col and friends).
    float* scratch(size_t count) const
    {
        if (m_scratch.size() < count)
            m_scratch.resize(count);
        return m_scratch.data();
    }

    // True when input i is a graph constant and the caller keeps a NodeCache: state made
    // from it with cached() may then be reused by later runs.
    bool constantInput(size_t i) const
    {
        return m_cache && i < m_cache->constantInputs.size() && m_cache->constantInputs[i];
    }
    // The node's cached state, made by make() on first use; without a cache (or when
    // `cacheable` is false) a fresh one per call. make() must depend on constant inputs only.
    template <class T, class Make> std::shared_ptr<const T> cached(bool cacheable, Make&& make) const
    {
        if (cacheable && m_cache && m_cache->state)
            return std::static_pointer_cast<const T>(m_cache->state);
        auto state = std::make_shared<const T>(make());
        if (cacheable && m_cache)
            m_cache->state = state;
        return state;
    }

private:
    const Node& m_node;
    std::vector<const Tensor*> m_inputs;
    std::vector<Tensor*> m_outputs;
    std::vector<float>& m_scratch;
    NodeCache* m_cache;
};

using ShapeFn = std::function<void(InferContext&)>;
using KernelFn = std::function<void(KernelContext&)>;
using PlacementFn = std::function<PlacementDecision(const Node&, const Graph&)>;
using CostFn = std::function<OpCost(const Node&, const Graph&)>;
// The node's constant per-channel affine map, or false when it is not one (inputs computed
// at run time, training mode).
// For activations a layer can apply in its epilogue (Relu, Clip): writes the layer's
// fused_* attributes describing the node; false when it cannot be fused (bounds computed
// at run time).
using FusedActivationFn = std::function<bool(const Graph&, const Node&, Attributes& layerAttrs)>;
using ChannelAffineFn = std::function<bool(const Graph&, const Node&, ChannelAffine&)>;

struct AttrSpec {
    std::string name;
    AttrValue defaultValue;
    std::string doc;
};

class OpDef {
public:
    explicit OpDef(std::string name) : m_name(std::move(name)) {}

    OpDef& doc(std::string text) { m_doc = std::move(text); return *this; }
    OpDef& numInputs(int minCount, int maxCount = -1)
    {
        m_minInputs = minCount;
        m_maxInputs = maxCount < 0 ? minCount : maxCount;
        return *this;
    }
    OpDef& numOutputs(int minCount, int maxCount = -1)
    {
        m_minOutputs = minCount;
        m_maxOutputs = maxCount < 0 ? minCount : maxCount;
        return *this;
    }
    OpDef& attr(std::string name, AttrValue defaultValue, std::string doc = {})
    {
        m_attrs.push_back({std::move(name), std::move(defaultValue), std::move(doc)});
        return *this;
    }
    OpDef& inferShape(ShapeFn fn) { m_inferShape = std::move(fn); return *this; }
    OpDef& kernel(KernelFn fn) { m_kernel = std::move(fn); return *this; }
    OpDef& placement(PlacementFn fn) { m_placement = std::move(fn); return *this; }
    OpDef& quantPolicy(QuantPolicy policy) { m_quantPolicy = policy; return *this; }
    OpDef& cost(CostFn fn) { m_cost = std::move(fn); return *this; }
    OpDef& fusesAs(FusedActivationFn fn) { m_fusesAs = std::move(fn); return *this; }
    OpDef& channelAffine(ChannelAffineFn fn) { m_channelAffine = std::move(fn); return *this; }
    OpDef& scalePassing(ScalePassing passing) { m_scalePassing = passing; return *this; }
    // Output 0 is input 0 unchanged (Identity, inference Dropout): when its other outputs are
    // unread the node is an alias, bypassed by passes and folded into a constant input.
    OpDef& forwardsInput() { m_forwards = true; return *this; }
    // Ops that lower onto analog arrays: their weights as an [N, K] matrix (WeightMatrix.h).
    OpDef& weightMatrix(WeightMatrixDef def)
    {
        m_weightMatrix = std::make_shared<const WeightMatrixDef>(std::move(def));
        return *this;
    }

    const std::string& name() const { return m_name; }
    const std::string& docText() const { return m_doc; }
    int minInputs() const { return m_minInputs; }
    int maxInputs() const { return m_maxInputs; }
    int minOutputs() const { return m_minOutputs; }
    int maxOutputs() const { return m_maxOutputs; }
    const std::vector<AttrSpec>& attrs() const { return m_attrs; }
    const ShapeFn& shapeFn() const { return m_inferShape; }
    const KernelFn& kernelFn() const { return m_kernel; }
    QuantPolicy quantPolicyValue() const { return m_quantPolicy; }
    const WeightMatrixDef* weightMatrixDef() const { return m_weightMatrix.get(); }
    ScalePassing scalePassingValue() const { return m_scalePassing; }
    bool forwardsInputValue() const { return m_forwards; }
    const ChannelAffineFn& channelAffineFn() const { return m_channelAffine; }
    const FusedActivationFn& fusesAsFn() const { return m_fusesAs; }
    // The declared attribute `name`, or null.
    const AttrSpec* findAttr(const std::string& name) const;

    PlacementDecision placeNode(const Node& node, const Graph& graph) const;
    OpCost costOf(const Node& node, const Graph& graph) const;

    // The extension column of type T on this row (OpRegistry::setColumn), or null.
    template <class T> const T* column() const { return static_cast<const T*>(findColumn(typeid(T))); }

private:
    friend class OpRegistry;
    const void* findColumn(std::type_index type) const;
    // Extension columns by type; mutable so the process-wide (const) table takes them.
    mutable std::map<std::type_index, std::shared_ptr<const void>> m_columns;

    std::string m_name;
    std::string m_doc;
    int m_minInputs = 1, m_maxInputs = 1, m_minOutputs = 1, m_maxOutputs = 1;
    std::vector<AttrSpec> m_attrs;
    ShapeFn m_inferShape;
    KernelFn m_kernel;
    PlacementFn m_placement;
    CostFn m_cost;
    std::shared_ptr<const WeightMatrixDef> m_weightMatrix;
    ScalePassing m_scalePassing = ScalePassing::None;
    bool m_forwards = false;
    ChannelAffineFn m_channelAffine;
    FusedActivationFn m_fusesAs;
    QuantPolicy m_quantPolicy = QuantPolicy::Requantize;
};

class OpRegistry {
public:
    // The process-wide table, filled on first use by the register*Ops functions.
    static const OpRegistry& global();

    OpDef& add(const std::string& name);
    const OpDef* find(const std::string& name) const;
    std::vector<const OpDef*> all() const;

    // Sets the extension column T of the global table's row `op` (replacing an earlier
    // value). An op the table does not have is a programming error (std::logic_error).
    template <class T> static void setColumn(const std::string& op, T value)
    {
        setColumnErased(op, typeid(T), std::make_shared<const T>(std::move(value)));
    }

private:
    static void setColumnErased(const std::string& op, std::type_index type, std::shared_ptr<const void> value);

    std::map<std::string, std::unique_ptr<OpDef>> m_ops;
};

// The registry row of `node` (node.op, or looked up by op type for detached nodes); null
// when the op is not registered.
const OpDef* opDefOf(const Node& node);

// An attribute with the registry's declared default when the node does not set it: the
// registry is the only place defaults are written. Asking for a name the op does not
// declare (or with the wrong type) is a programming error (std::logic_error); a file
// giving the attribute another type is a tessera::Error naming the attribute.
//   const bool transB = attrOf<int64_t>(node, "transB") != 0;
template <class T> T attrOf(const Node& node, const std::string& name);
template <> int64_t attrOf<int64_t>(const Node& node, const std::string& name);
template <> float attrOf<float>(const Node& node, const std::string& name);
template <> std::string attrOf<std::string>(const Node& node, const std::string& name);
template <> std::vector<int64_t> attrOf<std::vector<int64_t>>(const Node& node, const std::string& name);
template <> std::vector<float> attrOf<std::vector<float>>(const Node& node, const std::string& name);

// Placement of the ops with a weight-matrix column: analog exactly when the column lowers
// the node (whyNotLowerable empty), digital with the column's reason otherwise. So a node
// shown as analog is always one the quantizer, compiler and simulator run on an array.
PlacementDecision analogWhenLowerable(const Node& node, const Graph& graph);

} // namespace tessera
