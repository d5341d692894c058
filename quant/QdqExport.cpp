#include "quant/QdqExport.h"

#include "core/Error.h"
#include "core/ShapeInference.h"
#include "core/analog/AnalogLowering.h"
#include "core/analog/Numerics.h"
#include "core/onnx/OnnxExporter.h"
#include "quant/QuantizedExecutor.h"

#include <limits>
#include <map>

namespace tessera::quant {

namespace {

using namespace tessera::analog;

// Builds the QDQ graph node by node in the source's topological order. Every source value
// maps to the value its consumers read in the new graph (the dequantized one when the
// value is quantized), which keeps the source's name.
class QdqBuilder {
public:
    QdqBuilder(const Graph& src, const QuantSpec& result, QdqExportSummary& summary)
        : m_src(src), m_result(result), m_summary(summary), m_map(src.valueCount(), kNoValue)
    {
        m_out.name = src.name;
        for (const LayerQuant& l : result.layers) {
            if (!src.findNode(l.node))
                fail(specWhere(result), "quantization result: layer '", l.node, "' is not a node of graph '", src.name, "'");
            m_layers[l.node] = &l;
        }
        if (result.config.nonIdealities.any())
            summary.warnings.push_back("the result's non-idealities (weight/read noise, ADC offsets) are not exported");
    }

    Graph build()
    {
        for (ValueId in : m_src.inputs())
            addGraphInput(in);
        for (NodeId id : m_src.topologicalOrder()) {
            const Node& node = m_src.node(id);
            auto it = m_layers.find(node.name);
            if (it != m_layers.end())
                emitAnalog(node, *it->second);
            else
                emitDigital(node);
        }
        for (ValueId out : m_src.outputs())
            m_out.markGraphOutput(mapped(out));
        inferShapes(m_out);
        return std::move(m_out);
    }

private:
    // Mirrors QuantizedExecutor: float, non-constant values the result quantizes.
    const TensorQuant* quantOf(ValueId id) const
    {
        const Value& v = m_src.value(id);
        const TensorQuant* q = m_result.findTensor(v.name);
        return !v.isConstant() && q && q->quantized && v.dtype == DType::Float32 ? q : nullptr;
    }

    bool nameTaken(const std::string& name) const
    {
        return m_src.findValue(name) || m_out.findValue(name) || m_src.findNode(name) || m_out.findNode(name);
    }

    std::string fresh(const std::string& base) const
    {
        std::string name = base;
        for (int i = 1; nameTaken(name); ++i)
            name = strCat(base, "_", i);
        return name;
    }

    ValueId constant(const std::string& base, Tensor t) { return m_out.addConstant(fresh(base), std::move(t)); }

    ValueId mapped(ValueId id)
    {
        if (id == kNoValue)
            return kNoValue;
        if (m_map[id] == kNoValue) {
            const Value& v = m_src.value(id);
            if (!v.isConstant())
                fail("graph '", m_src.name, "': value '", v.name, "' is used before it is produced");
            m_map[id] = m_out.addConstant(v.name, v.constant);
        }
        return m_map[id];
    }

    ValueId addNode(const std::string& baseName, const std::string& opType, std::vector<ValueId> inputs,
                    const std::string& outName, Attributes attrs = {})
    {
        const ValueId out = m_out.addValue(outName);
        m_out.addNode(fresh(baseName), opType, std::move(inputs), {out}, std::move(attrs));
        return out;
    }

    void addGraphInput(ValueId in)
    {
        const Value& v = m_src.value(in);
        const ValueId id = m_out.addValue(v.name, v.dtype, v.shape);
        m_out.markGraphInput(id);
        const TensorQuant* q = quantOf(in);
        m_map[in] = q ? emitQuantize(*q, id, v.name, fresh(strCat(v.name, "_dq"))) : id;
    }

    // The dequantized copy of `x` (named `outName`) on q's code grid.
    ValueId emitQuantize(const TensorQuant& q, ValueId x, const std::string& tensor, const std::string& outName)
    {
        // Centered codes (code - zero point, Numerics.h): the float emulation rounds onto them;
        // QuantizeLinear takes the zero point itself.
        const CodeRange codes = centeredRange(codeRange(q.bits, q.isSigned), q.zeroPoint);
        const auto scale = static_cast<float>(q.scale);
        // Bounds as float(code) * scale in float, which is what DequantizeLinear computes.
        const float lo = static_cast<float>(codes.lo) * scale, hi = static_cast<float>(codes.hi) * scale;
        if (q.bits > 8) { // no 16-bit QDQ type in opset 13: the same rounding with float ops
            ++m_summary.emulatedTensors;
            const ValueId s = constant(strCat(tensor, "_scale"), Tensor::scalar<float>(scale));
            ValueId v = addNode(strCat(tensor, "_div"), "Div", {x, s}, fresh(strCat(tensor, "_codes_real")));
            v = addNode(strCat(tensor, "_round"), "Round", {v}, fresh(strCat(tensor, "_codes")));
            v = addNode(strCat(tensor, "_saturate"), "Clip",
                        {v, constant(strCat(tensor, "_code_min"), Tensor::scalar<float>(static_cast<float>(codes.lo))),
                         constant(strCat(tensor, "_code_max"), Tensor::scalar<float>(static_cast<float>(codes.hi)))},
                        fresh(strCat(tensor, "_codes_saturated")));
            return addNode(strCat(tensor, "_scale_back"), "Mul", {v, s}, outName);
        }
        ++m_summary.qdqTensors;
        const int64_t typeLo = q.isSigned ? std::numeric_limits<int8_t>::min() : 0;
        const int64_t typeHi = q.isSigned ? std::numeric_limits<int8_t>::max() : std::numeric_limits<uint8_t>::max();
        if (codes.lo + q.zeroPoint != typeLo || codes.hi + q.zeroPoint != typeHi) { // saturate to our range before rounding
            ++m_summary.clippedTensors;
            x = addNode(strCat(tensor, "_code_range"), "Clip",
                        {x, constant(strCat(tensor, "_min"), Tensor::scalar<float>(lo)),
                         constant(strCat(tensor, "_max"), Tensor::scalar<float>(hi))},
                        fresh(strCat(tensor, "_clipped")));
        }
        const ValueId s = constant(strCat(tensor, "_scale"), Tensor::scalar<float>(scale));
        const ValueId zp = constant(strCat(tensor, "_zero_point"),
                                    q.isSigned ? Tensor::scalar<int8_t>(0)
                                               : Tensor::scalar<uint8_t>(static_cast<uint8_t>(q.zeroPoint)));
        const ValueId codesValue = addNode(strCat(tensor, "_quantize"), "QuantizeLinear", {x, s, zp},
                                           fresh(strCat(tensor, "_quantized")));
        return addNode(strCat(tensor, "_dequantize"), "DequantizeLinear", {codesValue, s, zp}, outName);
    }

    // Output `i` of a source node: a plain value, or a float value followed by QDQ that
    // keeps the source name.
    ValueId outputFor(ValueId srcOut, std::vector<std::pair<ValueId, ValueId>>& pending)
    {
        const Value& v = m_src.value(srcOut);
        if (!quantOf(srcOut))
            return m_map[srcOut] = m_out.addValue(v.name, v.dtype, v.shape);
        const ValueId f = m_out.addValue(fresh(strCat(v.name, "_float")), v.dtype, v.shape);
        pending.emplace_back(srcOut, f);
        return f;
    }

    void finishOutputs(const std::vector<std::pair<ValueId, ValueId>>& pending)
    {
        for (const auto& [srcOut, f] : pending) {
            const std::string& name = m_src.value(srcOut).name;
            m_map[srcOut] = emitQuantize(*quantOf(srcOut), f, name, name);
        }
    }

    void emitDigital(const Node& node)
    {
        std::vector<ValueId> inputs, outputs;
        for (ValueId in : node.inputs)
            inputs.push_back(mapped(in));
        std::vector<std::pair<ValueId, ValueId>> pending;
        for (ValueId out : node.outputs)
            outputs.push_back(outputFor(out, pending));
        m_out.addNode(node.name, node.opType, inputs, outputs, node.attrs);
        finishOutputs(pending);
    }

    // Per-channel int8 weights in the node's own weight layout (the registry's
    // weight-matrix column: storedIndex, storedOutAxis) -> DequantizeLinear.
    ValueId dequantizedWeights(const Node& node, const AnalogLayer& layer, const AnalogMatmulView& view)
    {
        const WeightMatrixDef& column = *weightMatrixDef(node);
        const int64_t n = view.cols, axis = column.storedOutAxis(node);
        if (view.scatter != OutputScatter::Permute || axis < 0)
            fail("layer '", node.name, "': QDQ export of ", node.opType,
                 " layers (array columns summed before the epilogue) is not supported yet");
        Tensor levels(DType::Int8, m_src.value(node.inputs[1]).shape);
        int8_t* w = levels.mutableData<int8_t>();
        const std::vector<int64_t> stored = column.storedIndex(m_src, node, view);
        for (size_t i = 0; i < stored.size(); ++i)
            w[stored[i]] = layer.weightLevels()[i];
        std::vector<float> scales, zeros(static_cast<size_t>(n), 0.0f);
        for (double s : layer.params().weightScales)
            scales.push_back(static_cast<float>(s));
        Attributes attrs;
        attrs.set("axis", axis);
        const std::string base = strCat(node.name, "_weight");
        const ValueId q = constant(strCat(base, "_levels"), levels);
        const ValueId s = constant(strCat(base, "_scale"), Tensor::fromVector<float>(scales, {n}));
        const ValueId zp = constant(strCat(base, "_zero_point"), Tensor(DType::Int8, {n}));
        return addNode(strCat(base, "_dequantize"), "DequantizeLinear", {q, s, zp}, fresh(base), attrs);
    }

    // int32 bias codes at scale sx * sw[n] -> DequantizeLinear.
    ValueId dequantizedBias(const Node& node, const AnalogLayer& layer)
    {
        const AnalogLayerParams& p = layer.params();
        const int64_t n = p.cols;
        std::vector<int32_t> codes;
        std::vector<float> scales;
        for (int64_t c = 0; c < n; ++c) {
            codes.push_back(static_cast<int32_t>(layer.biasCodes()[c])); // saturated to int32 by AnalogLayer
            scales.push_back(static_cast<float>(p.inputScale * p.weightScales[c]));
        }
        Attributes attrs;
        attrs.set("axis", int64_t(0));
        const std::string base = strCat(node.name, "_bias");
        const ValueId q = constant(strCat(base, "_codes"), Tensor::fromVector<int32_t>(codes, {n}));
        const ValueId s = constant(strCat(base, "_scale"), Tensor::fromVector<float>(scales, {n}));
        const ValueId zp = constant(strCat(base, "_zero_point"), Tensor(DType::Int32, {n}));
        return addNode(strCat(base, "_dequantize"), "DequantizeLinear", {q, s, zp}, fresh(base), attrs);
    }

    void noteAdc(const LayerQuant& lq, const AnalogLayer& layer)
    {
        const bool transparent =
            layer.adcShift() == 0 && maxCode(layer.params().numerics.adcBits, true) >= layer.worstCaseBlockSum();
        if (!transparent)
            m_summary.warnings.push_back(strCat("layer '", lq.node, "': its ", lq.adcBits, "-bit ADC (step 2^",
                                                layer.adcShift(), ", ", lq.rowBlocks,
                                                " row block(s)) rounds or clips; QDQ computes exact sums"));
    }

    void emitAnalog(const Node& node, const LayerQuant& lq)
    {
        const AnalogMatmulView view = lowerAnalogNode(m_src, node);
        if (m_src.value(node.inputs[0]).name != lq.input)
            fail(specWhere(m_result), "layer '", lq.node, "': result says input '", lq.input, "', graph has '",
                 m_src.value(node.inputs[0]).name, "'");
        const std::vector<float> bias = layerBias(lq, view); // with the result's bias correction
        // The QDQ node reads real (dequantized) inputs: programmed without the input's zero
        // point, its bias codes hold no offset to cancel (docs/analog-model.md, step 5).
        AnalogLayerParams params = layerParams(m_result, lq, view);
        params.numerics.inputZeroPoint = 0;
        const AnalogLayer layer(params, view.weights.data(), bias);
        noteAdc(lq, layer);
        ++m_summary.analogLayers;
        std::vector<ValueId> inputs = {mapped(node.inputs[0]),
                                       dequantizedWeights(node, layer, view)};
        if (!bias.empty())
            inputs.push_back(dequantizedBias(node, layer));
        // The node keeps its attributes (window, transB, fused activation) except those the
        // lowering folded into the levels and the bias (Gemm's alpha, beta): made neutral.
        Attributes attrs = node.attrs;
        for (const auto& [name, neutral] : weightMatrixDef(node)->foldedAttrs.all())
            attrs.set(name, neutral);
        std::vector<std::pair<ValueId, ValueId>> pending;
        const ValueId out = outputFor(node.outputs[0], pending);
        m_out.addNode(node.name, node.opType, inputs, {out}, attrs);
        finishOutputs(pending);
    }

    const Graph& m_src;
    const QuantSpec& m_result;
    QdqExportSummary& m_summary;
    std::vector<ValueId> m_map; // source value -> value its consumers read
    std::map<std::string, const LayerQuant*> m_layers;
    Graph m_out;
};

} // namespace

Graph buildQdqGraph(const Graph& graph, const QuantSpec& result, QdqExportSummary* summary)
{
    QdqExportSummary local;
    return QdqBuilder(graph, result, summary ? *summary : local).build();
}

void exportQdqOnnx(const Graph& graph, const QuantSpec& result, const std::string& path, QdqExportSummary* summary)
{
    OnnxExportOptions options;
    options.docString = strCat("QDQ export of quantization result for '", result.model,
                               "' (tessera; docs/quantization.md, QDQ export)");
    exportOnnxFile(buildQdqGraph(graph, result, summary), path, options);
}

} // namespace tessera::quant
