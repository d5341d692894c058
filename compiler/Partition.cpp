// Partition (registry placement column), lowering and programming of analog layers,
// and the cost decision for depthwise layers (block-diagonal arrays vs SIMD).
#include "compiler/Stages.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/SpecProgramming.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tessera::compiler {

const char* unitName(Unit unit)
{
    switch (unit) {
    case Unit::Analog: return "analog";
    case Unit::Simd: return "simd";
    case Unit::Processor: return "processor";
    }
    return "?";
}

int64_t cellsPerWeight(const Target& target, int weightBits)
{
    const int64_t perCell = std::max<int64_t>(1, target.analog.array.bitsPerCell);
    return (weightBits + perCell - 1) / perCell;
}

namespace {

int64_t frameBatch(const Graph& graph)
{
    if (graph.inputs().empty())
        return 1;
    const Shape& shape = graph.value(graph.inputs()[0]).shape;
    return shape.empty() || shape[0] <= 0 ? 1 : shape[0];
}

int64_t valueBytes(const Graph& graph, const QuantSpec* spec, ValueId id, int64_t batch)
{
    const Value& v = graph.value(id);
    int64_t bytesPerElement = 1; // 8-bit codes without a spec
    if (spec) {
        const TensorQuant* tq = spec->findTensor(v.name);
        bytesPerElement = !tq ? 1 : tq->quantized ? (tq->bits + 7) / 8 : 4;
    }
    return numElements(v.shape) / std::max<int64_t>(1, batch) * bytesPerElement;
}

// Without a spec: 8-bit (options.defaultWeightBits) per-channel weights, unsigned 8-bit
// inputs, worst-case ADC ranges at the target's ADC resolution.
analog::AnalogLayerParams weightsOnlyParams(const Target& target, const analog::AnalogMatmulView& view, int bits)
{
    analog::AnalogLayerParams p;
    p.name = view.nodeName;
    p.rows = view.rows;
    p.cols = view.cols;
    p.groups = view.groups;
    p.numerics.weightBits = bits;
    p.numerics.inputBits = static_cast<int>(std::min<int64_t>(8, target.analog.dac.bits));
    p.numerics.adcBits = static_cast<int>(target.analog.adc.maxBits);
    p.numerics.rowsPerBlock = target.analog.array.rows;
    p.weightScales = analog::maxAbsWeightScales(view.weights.data(), view.cols, view.rows, bits);
    p.output.clampLo = view.clampLo;
    p.output.clampHi = view.clampHi;
    return p;
}

void programLayer(const Graph& graph, const Node& node, const QuantSpec* spec, const CompileOptions& options,
                  CompileResult& result, LayerPlan& plan)
{
    const analog::AnalogMatmulView view = analog::lowerAnalogNode(graph, node);
    analog::AnalogLayerParams params;
    std::vector<float> bias = view.bias;
    if (spec) {
        const LayerQuant* lq = spec->findLayer(node.name);
        if (!lq)
            fail(specWhere(*spec), "layer '", node.name, "': the quantization spec has no entry for it (made for another model?)");
        params = analog::layerParams(*spec, *lq, view);
        bias = analog::layerBias(*lq, view);
        if (params.numerics.rowsPerBlock != result.target.analog.array.rows)
            fail(specWhere(*spec), "layer '", node.name, "': the quantization spec splits rows in blocks of ", params.numerics.rowsPerBlock,
                 " but target ", result.target.name, " has arrays of ", result.target.analog.array.rows,
                 " rows; quantize for this target (--target ", result.target.name, ")");
    } else {
        params = weightsOnlyParams(result.target, view, options.defaultWeightBits);
    }
    plan.rows = view.rows;
    plan.cols = view.cols;
    plan.groups = view.groups;
    plan.inputBits = params.numerics.inputBits;
    plan.weightBits = params.numerics.weightBits;
    plan.vectors = analog::vectorsPerRun(graph, node, view) / frameBatch(graph);
    plan.programmed = static_cast<int>(result.programmed.size());
    // Views that sum columns before the epilogue take their bias per channel after col2im.
    if (view.scatter != OutputScatter::Permute)
        bias.clear();
    result.programmed.push_back(analog::program(std::move(params), view.weights.data(), bias));
}

std::string digitalReason(const Node& node, const Graph& graph, Unit unit)
{
    const PlacementDecision d = node.op->placeNode(node, graph);
    if (d.placement == Placement::Analog)
        return "placed analog by the registry but not lowerable onto arrays; runs on the tile's SIMD engine";
    if (unit == Unit::Processor)
        return "kept in higher precision (" + std::string(quantPolicyName(node.op->quantPolicyValue())) +
               "): runs on the tile's processor";
    return d.reason;
}

// Digital work per frame: the op's cost (ops), or for analog layers the epilogue
// (bias, requantize, clamp: 3 ops per output) plus the digital sum of row blocks.
void setDigitalWork(const Node& node, const Graph& graph, int64_t batch, LayerPlan& plan)
{
    if (plan.unit == Unit::Analog) {
        const double outputs = static_cast<double>(plan.vectors) * plan.cols;
        plan.simdOps = outputs * (3.0 + static_cast<double>(plan.rowBlocks - 1));
        return;
    }
    plan.simdOps = static_cast<double>(node.op->costOf(node, graph).macs) / static_cast<double>(batch);
}

bool isDepthwise(const LayerPlan& plan)
{
    return plan.unit == Unit::Analog && plan.groups > 1 && plan.cols == plan.groups;
}

std::string number(double v)
{
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
}

// Depthwise: block-diagonal blocks waste (footprint - weights) cells; the SIMD engine
// needs vectors x groups x K MACs. Analog when the waste fits in the chip's spare cells
// and the arrays are faster than the SIMD engine. Returns the cells the layer takes.
int64_t decideDepthwise(CompileResult& result, LayerPlan& plan, int64_t spareCells)
{
    const Target& t = result.target;
    const int64_t cpw = cellsPerWeight(t, plan.weightBits);
    const int64_t chunk = std::max<int64_t>(
        1, std::min({plan.groups, t.analog.array.rows / std::max<int64_t>(1, plan.rows), t.analog.array.cols / cpw}));
    const int64_t chunks = (plan.groups + chunk - 1) / chunk;
    const int64_t footprint = chunks * (chunk * plan.rows) * (chunk * cpw);
    const int64_t wasted = footprint - plan.groups * plan.rows * cpw;
    const double analogNs = static_cast<double>(plan.vectors) * phaseTimeNs(t, plan.inputBits, chunk * cpw);
    const double macs = static_cast<double>(plan.vectors) * plan.groups * plan.rows;
    const double simdNs = macs / static_cast<double>(t.simd.lanes) * 1000.0 / t.simd.clockMhz;
    const bool analog = wasted <= spareCells && analogNs < simdNs;
    plan.reason = strCat("depthwise: block-diagonal on arrays wastes ", wasted, " cells (", number(wasted * 1.0 / t.weightCellsPerArray()),
                         " arrays), ", number(analogNs / 1000.0), " us/frame; SIMD needs ", number(macs), " MACs, ",
                         number(simdNs / 1000.0), " us/frame; ",
                         analog ? "chose analog (faster and the waste fits in spare cells)"
                                : wasted > spareCells ? "chose SIMD (the waste does not fit in spare cells)"
                                                      : "chose SIMD (faster)");
    if (!analog) {
        plan.unit = Unit::Simd;
        plan.simdOps = macs;
        plan.weightCells = 0;
        return 0;
    }
    return footprint;
}

void lowerNode(const Graph& graph, NodeId id, const QuantSpec* spec, const CompileOptions& options,
               CompileResult& result, int64_t batch)
{
    const Node& node = graph.node(id);
    LayerPlan plan;
    plan.node = node.name;
    plan.opType = node.opType;
    plan.nodeId = id;
    if (node.op && analog::isLowerableAnalogNode(graph, node)) {
        plan.unit = Unit::Analog;
        programLayer(graph, node, spec, options, result, plan);
        const int64_t perGroupCols = plan.cols / plan.groups;
        plan.rowBlocks = (plan.rows + result.target.analog.array.rows - 1) / result.target.analog.array.rows;
        const int64_t colsPerBlock = std::max<int64_t>(1, result.target.analog.array.cols / cellsPerWeight(result.target, plan.weightBits));
        plan.colBlocks = (perGroupCols + colsPerBlock - 1) / colsPerBlock;
        plan.weightCells = plan.rows * plan.cols * cellsPerWeight(result.target, plan.weightBits);
        plan.reason = strCat("weight matrix ", plan.rows, " x ", plan.cols, plan.groups > 1 ? strCat(" in ", plan.groups, " groups") : "",
                             " programmed into arrays; bias, activation and requantization in the digital epilogue");
    } else {
        const bool keepFloat = node.op && node.op->quantPolicyValue() == QuantPolicy::KeepFloat;
        plan.unit = keepFloat ? Unit::Processor : Unit::Simd;
        plan.reason = node.op ? digitalReason(node, graph, plan.unit) : "unknown op";
    }
    if (node.op)
        setDigitalWork(node, graph, batch, plan);
    for (ValueId out : node.outputs)
        plan.outputBytes += valueBytes(graph, spec, out, batch);
    result.layers.push_back(std::move(plan));
}

// A digital layer runs on the tiles of the analog layer feeding it (through other digital
// layers), else of the first analog layer after it.
void setAnchors(const Graph& graph, CompileResult& result)
{
    std::vector<int> layerOf(graph.nodeSlotCount(), -1);
    for (size_t i = 0; i < result.layers.size(); ++i)
        layerOf[result.layers[i].nodeId] = static_cast<int>(i);
    for (size_t i = 0; i < result.layers.size(); ++i) {
        LayerPlan& l = result.layers[i];
        if (l.unit == Unit::Analog)
            continue;
        for (ValueId in : graph.node(l.nodeId).inputs) {
            if (in == kNoValue || graph.value(in).producer == kNoNode || l.anchor >= 0)
                continue;
            const int p = layerOf[graph.value(in).producer];
            l.anchor = p < 0 ? -1 : result.layers[p].unit == Unit::Analog ? p : result.layers[p].anchor;
        }
        for (size_t j = i + 1; j < result.layers.size() && l.anchor < 0; ++j)
            if (result.layers[j].unit == Unit::Analog)
                l.anchor = static_cast<int>(j);
    }
}

} // namespace

void partitionGraph(const Graph& graph, const QuantSpec* spec, const CompileOptions& options, CompileResult& result)
{
    const int64_t batch = frameBatch(graph);
    for (NodeId id : graph.topologicalOrder())
        lowerNode(graph, id, spec, options, result, batch);
    int64_t denseCells = 0;
    for (const LayerPlan& plan : result.layers)
        if (plan.unit == Unit::Analog && !isDepthwise(plan))
            denseCells += plan.weightCells;
    int64_t spareCells = result.target.totalArrays() * result.target.weightCellsPerArray() - denseCells;
    for (LayerPlan& plan : result.layers)
        if (isDepthwise(plan))
            spareCells -= decideDepthwise(result, plan, spareCells);
    for (LayerPlan& plan : result.layers)
        result.weightCells += plan.unit == Unit::Analog ? plan.weightCells : 0;
    setAnchors(graph, result);
}

} // namespace tessera::compiler
