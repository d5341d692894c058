#include "core/onnx/OnnxExporter.h"

#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/ops/OpHelpers.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <set>

namespace tessera {

namespace {

using TP = onnx::TensorProto;

int32_t onnxType(DType type, const std::string& what)
{
    switch (type) {
    case DType::Float32: return TP::FLOAT;
    case DType::Float64: return TP::DOUBLE;
    case DType::Float16: return TP::FLOAT16;
    case DType::Int64: return TP::INT64;
    case DType::Int32: return TP::INT32;
    case DType::Int16: return TP::INT16;
    case DType::Int8: return TP::INT8;
    case DType::UInt8: return TP::UINT8;
    case DType::Bool: return TP::BOOL;
    case DType::Undefined: break;
    }
    fail(what, ": has no element type (were shapes inferred?)");
}

void setTensor(const Tensor& t, const std::string& name, TP& proto)
{
    proto.set_name(name);
    proto.set_data_type(onnxType(t.dtype(), strCat("tensor '", name, "'")));
    for (int64_t d : t.shape())
        proto.add_dims(d);
    // Raw data is little-endian, as Tensor storage is on every platform Tessera builds for.
    proto.set_raw_data(static_cast<const char*>(t.rawData()), t.byteSize());
}

void setAttribute(const std::string& name, const AttrValue& value, onnx::AttributeProto& a)
{
    using AP = onnx::AttributeProto;
    a.set_name(name);
    if (auto* i = std::get_if<int64_t>(&value)) {
        a.set_type(AP::INT);
        a.set_i(*i);
    } else if (auto* f = std::get_if<float>(&value)) {
        a.set_type(AP::FLOAT);
        a.set_f(*f);
    } else if (auto* s = std::get_if<std::string>(&value)) {
        a.set_type(AP::STRING);
        a.set_s(*s);
    } else if (auto* is = std::get_if<std::vector<int64_t>>(&value)) {
        a.set_type(AP::INTS);
        a.mutable_ints()->Add(is->begin(), is->end());
    } else if (auto* fs = std::get_if<std::vector<float>>(&value)) {
        a.set_type(AP::FLOATS);
        a.mutable_floats()->Add(fs->begin(), fs->end());
    } else if (auto* ss = std::get_if<std::vector<std::string>>(&value)) {
        a.set_type(AP::STRINGS);
        for (const std::string& x : *ss)
            a.add_strings(x);
    } else {
        a.set_type(AP::TENSOR);
        setTensor(std::get<Tensor>(value), name, *a.mutable_t());
    }
}

void setValueInfo(const Value& v, onnx::ValueInfoProto& info)
{
    info.set_name(v.name);
    auto* type = info.mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnxType(v.dtype, strCat("value '", v.name, "'")));
    auto* shape = type->mutable_shape();
    for (int64_t d : v.shape)
        shape->add_dim()->set_dim_value(d);
}

bool isInternalAttribute(const std::string& name)
{
    return name == "fused_activation" || name == "fused_min" || name == "fused_max" || name == "onnx_opset";
}

class ModelWriter {
public:
    ModelWriter(const Graph& graph, onnx::GraphProto& proto) : m_graph(graph), m_proto(proto)
    {
        for (ValueId id = 0; id < static_cast<ValueId>(graph.valueCount()); ++id)
            m_names.insert(graph.value(id).name);
        for (NodeId id : graph.liveNodes())
            m_names.insert(graph.node(id).name);
    }

    void write()
    {
        m_proto.set_name(m_graph.name.empty() ? std::string("tessera") : m_graph.name);
        for (ValueId id : m_graph.inputs())
            setValueInfo(m_graph.value(id), *m_proto.add_input());
        for (NodeId id : m_graph.topologicalOrder())
            writeNode(m_graph.node(id));
        for (ValueId id : m_graph.outputs()) {
            useValue(id);
            setValueInfo(m_graph.value(id), *m_proto.add_output());
        }
    }

private:
    // A name no graph value/node has and this writer has not handed out.
    std::string freshName(const std::string& base)
    {
        std::string name = base;
        for (int i = 1; m_names.count(name); ++i)
            name = strCat(base, "_", i);
        m_names.insert(name);
        return name;
    }

    // The ONNX name of an input; constants become initializers on first use.
    std::string useValue(ValueId id)
    {
        if (id == kNoValue)
            return {};
        const Value& v = m_graph.value(id);
        if (v.isConstant() && m_written.insert(id).second)
            setTensor(v.constant, v.name, *m_proto.add_initializer());
        return v.name;
    }

    std::string addInitializer(const std::string& base, const Tensor& t)
    {
        const std::string name = freshName(base);
        setTensor(t, name, *m_proto.add_initializer());
        return name;
    }

    onnx::NodeProto& addNode(const std::string& name, const std::string& opType, const std::vector<std::string>& inputs,
                             const std::vector<std::string>& outputs)
    {
        onnx::NodeProto& n = *m_proto.add_node();
        n.set_name(name);
        n.set_op_type(opType);
        for (const std::string& in : inputs)
            n.add_input(in);
        for (const std::string& out : outputs)
            n.add_output(out);
        return n;
    }

    static void copyAttributes(const Node& node, onnx::NodeProto& n)
    {
        for (const auto& [name, value] : node.attrs.all())
            if (!isInternalAttribute(name))
                setAttribute(name, value, *n.add_attribute());
    }

    void writeNode(const Node& node)
    {
        if (!node.op)
            fail(describeNode(node), ": operator is not in the registry; cannot export");
        std::vector<std::string> inputs, outputs;
        for (ValueId in : node.inputs)
            inputs.push_back(useValue(in));
        for (ValueId out : node.outputs)
            outputs.push_back(m_graph.value(out).name);
        const ops::FusedActivation act = ops::FusedActivation::fromAttrs(node.attrs);
        const std::string finalOut = outputs.empty() ? std::string() : outputs[0];
        if (act.kind != ops::FusedActivation::Kind::None)
            outputs[0] = freshName(strCat(finalOut, "_prefused"));
        if ((node.opType == "Softmax" || node.opType == "LogSoftmax") && node.attrs.getInt("onnx_opset", 13) < 13)
            writeLegacySoftmax(node, inputs[0], outputs[0]);
        else
            copyAttributes(node, addNode(node.name, node.opType, inputs, outputs));
        if (act.kind != ops::FusedActivation::Kind::None)
            writeActivation(node, act, outputs[0], finalOut);
    }

    void writeActivation(const Node& node, const ops::FusedActivation& act, const std::string& in, const std::string& out)
    {
        if (act.kind == ops::FusedActivation::Kind::Relu) {
            addNode(freshName(strCat(node.name, "_relu")), "Relu", {in}, {out});
            return;
        }
        // Infinite bounds: the input is omitted (Clip's "no bound").
        auto bound = [&](float v, const char* what) {
            return std::isinf(v) ? std::string() : addInitializer(strCat(node.name, "_clip_", what), Tensor::scalar<float>(v));
        };
        std::vector<std::string> ins = {in, bound(act.lo, "min"), bound(act.hi, "max")};
        while (ins.back().empty())
            ins.pop_back();
        addNode(freshName(strCat(node.name, "_clip")), "Clip", ins, {out});
    }

    // Opset < 13 Softmax flattens the input to 2-D at `axis` (default 1) and normalizes
    // each row; opset 13 normalizes along one axis only.
    void writeLegacySoftmax(const Node& node, const std::string& in, const std::string& out)
    {
        const Shape& shape = m_graph.value(node.inputs[0]).shape;
        const auto rank = static_cast<int64_t>(shape.size());
        const int64_t axis = ops::normalizeAxis(node.attrs.getInt("axis", 1), rank);
        if (axis < 0 || axis > rank)
            fail(describeNode(node), ": axis ", node.attrs.getInt("axis", 1), " is out of range for rank ", rank);
        if (axis == rank - 1) {
            setAttribute("axis", int64_t(-1), *addNode(node.name, node.opType, {in}, {out}).add_attribute());
            return;
        }
        const std::string flat = freshName(strCat(node.name, "_flat")), soft = freshName(strCat(node.name, "_rows"));
        setAttribute("axis", axis, *addNode(freshName(strCat(node.name, "_flatten")), "Flatten", {in}, {flat}).add_attribute());
        setAttribute("axis", int64_t(1), *addNode(node.name, node.opType, {flat}, {soft}).add_attribute());
        const std::string target = addInitializer(strCat(node.name, "_shape"), Tensor::fromVector<int64_t>(shape, {rank}));
        addNode(freshName(strCat(node.name, "_reshape")), "Reshape", {soft, target}, {out});
    }

    const Graph& m_graph;
    onnx::GraphProto& m_proto;
    std::set<std::string> m_names;
    std::set<ValueId> m_written;
};

} // namespace

std::string exportOnnxBytes(const Graph& graph, const OnnxExportOptions& options)
{
    onnx::ModelProto model;
    model.set_ir_version(7); // the IR of ONNX 1.8, the first release with opset 13
    model.set_producer_name(options.producerName);
    if (!options.docString.empty())
        model.set_doc_string(options.docString);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxExportOpset);
    try {
        ModelWriter(graph, *model.mutable_graph()).write();
    } catch (const Error& e) {
        fail("exporting graph '", graph.name, "' to ONNX: ", e.what());
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        fail("exporting graph '", graph.name, "' to ONNX: the model is too large for one protobuf (2 GB)");
    return bytes;
}

void exportOnnxFile(const Graph& graph, const std::string& path, const OnnxExportOptions& options)
{
    writeFileAtomic(path, exportOnnxBytes(graph, options));
}

} // namespace tessera
