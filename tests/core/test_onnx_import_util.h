#pragma once
// Hand-built ONNX models for the importer tests (tiny ModelProtos, one concern each).
#include "core/Error.h"

#include <QtTest>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tessera::testing {

constexpr int64_t kSymbolic = -1;      // a dim written as dim_param "N"
constexpr int64_t kSymbolicWidth = -2; // a second symbolic dim, dim_param "W"

class OnnxModel {
public:
    explicit OnnxModel(int64_t opset, const std::string& graphName = "tiny")
    {
        m_model.set_ir_version(7);
        m_model.set_producer_name("tessera-tests");
        auto* op = m_model.add_opset_import();
        op->set_domain("");
        op->set_version(opset);
        m_model.mutable_graph()->set_name(graphName);
    }

    onnx::GraphProto& graph() { return *m_model.mutable_graph(); }
    onnx::ModelProto& proto() { return m_model; }

    onnx::ValueInfoProto& input(const std::string& name, const std::vector<int64_t>& dims,
                                int elemType = onnx::TensorProto::FLOAT)
    {
        return valueInfo(graph().add_input(), name, dims, elemType);
    }
    onnx::ValueInfoProto& output(const std::string& name) { auto* v = graph().add_output(); v->set_name(name); return *v; }
    onnx::ValueInfoProto& output(const std::string& name, const std::vector<int64_t>& dims)
    {
        return valueInfo(graph().add_output(), name, dims, onnx::TensorProto::FLOAT);
    }

    onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = {})
    {
        auto* n = graph().add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? op + "_" + std::to_string(graph().node_size()) : name);
        for (const auto& i : inputs)
            n->add_input(i);
        for (const auto& o : outputs)
            n->add_output(o);
        return *n;
    }

    // float32 initializer stored as raw_data.
    onnx::TensorProto& initializer(const std::string& name, const std::vector<int64_t>& dims,
                                   const std::vector<float>& values)
    {
        auto* t = graph().add_initializer();
        fillFloat(*t, name, dims, values);
        return *t;
    }
    onnx::TensorProto& initializerInt64(const std::string& name, const std::vector<int64_t>& values)
    {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values)
            t->add_int64_data(v);
        return *t;
    }

    static void fillFloat(onnx::TensorProto& t, const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& values)
    {
        t.set_name(name);
        t.set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims)
            t.add_dims(d);
        std::string raw(values.size() * sizeof(float), '\0');
        if (!values.empty())
            std::memcpy(raw.data(), values.data(), raw.size());
        t.set_raw_data(raw);
    }

    // float32 initializer whose data is in an external file; `fields` are its external_data
    // key/value pairs (location, offset, length).
    onnx::TensorProto& externalInitializer(const std::string& name, const std::vector<int64_t>& dims,
                                           const std::vector<std::pair<std::string, std::string>>& fields)
    {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims)
            t->add_dims(d);
        t->set_data_location(onnx::TensorProto::EXTERNAL);
        for (const auto& [key, value] : fields) {
            auto* e = t->add_external_data();
            e->set_key(key);
            e->set_value(value);
        }
        return *t;
    }

    std::string bytes() const { return m_model.SerializeAsString(); }

private:
    static onnx::ValueInfoProto& valueInfo(onnx::ValueInfoProto* v, const std::string& name,
                                           const std::vector<int64_t>& dims, int elemType)
    {
        v->set_name(name);
        auto* tt = v->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(elemType);
        auto* shape = tt->mutable_shape();
        for (int64_t d : dims) {
            auto* dim = shape->add_dim();
            if (d == kSymbolic)
                dim->set_dim_param("N");
            else if (d == kSymbolicWidth)
                dim->set_dim_param("W");
            else
                dim->set_dim_value(d);
        }
        return *v;
    }

    onnx::ModelProto m_model;
};

// A new attribute `name` of `type` on node n.
inline onnx::AttributeProto* newAttribute(onnx::NodeProto& n, const std::string& name,
                                          onnx::AttributeProto::AttributeType type)
{
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
}
inline void addInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values)
{
    auto* a = newAttribute(n, name, onnx::AttributeProto::INTS);
    for (int64_t v : values)
        a->add_ints(v);
}
inline void addInt(onnx::NodeProto& n, const std::string& name, int64_t value)
{
    newAttribute(n, name, onnx::AttributeProto::INT)->set_i(value);
}
inline void addFloat(onnx::NodeProto& n, const std::string& name, float value)
{
    newAttribute(n, name, onnx::AttributeProto::FLOAT)->set_f(value);
}
inline void addFloats(onnx::NodeProto& n, const std::string& name, const std::vector<float>& values)
{
    auto* a = newAttribute(n, name, onnx::AttributeProto::FLOATS);
    for (float v : values)
        a->add_floats(v);
}
inline void addString(onnx::NodeProto& n, const std::string& name, const std::string& value)
{
    newAttribute(n, name, onnx::AttributeProto::STRING)->set_s(value);
}

// Runs `fn`, expects a tessera::Error whose message contains every string in `parts`.
template <class Fn> void expectError(Fn&& fn, const QStringList& parts)
{
    try {
        fn();
    } catch (const Error& e) {
        const QString message = QString::fromStdString(e.what());
        for (const QString& part : parts)
            QVERIFY2(message.contains(part), qPrintable("'" + part + "' missing from: " + message));
        return;
    }
    QFAIL(qPrintable("no error; expected one mentioning " + parts.join(", ")));
}

} // namespace tessera::testing
