#include "core/onnx/OnnxImporter.h"
#include "core/quantspec/ModelHash.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ShapeInference.h"
#include "core/io/FileIO.h"
#include "core/onnx/OnnxNormalize.h"
#include "core/onnx/OnnxTensor.h"
#include "core/onnx/ImportAsWritten.h"
#include "core/passes/EliminateIdentity.h"
#include "core/passes/Pass.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <new>
#include <optional>
#include <map>
#include <set>

namespace tessera {

using namespace onnximport;

namespace {

constexpr int64_t kMinOpset = 6; // 6 only for its legacy broadcast; 7 is the real floor of exporters
constexpr int64_t kMaxOpset = 18;
constexpr int64_t kOldestOpset = 1; // opsets 1..5: only nodes whose op is in unchangedSinceOpset1()

// Operators whose schema at opsets 1-5 equals the one in force at opset 6 apart from the
// consumed_inputs attribute (dropped by normalizeLegacyForm), so their nodes normalize like
// opset-6 ones. Others (Concat-1's default axis, Reshape-1's shape attribute, Split-1,
// Cast-1's string type, Gemm-1) changed and are refused in opset 1-5 models.
bool unchangedSinceOpset1(const std::string& opType)
{
    static const std::set<std::string> ops = {
        // Their version 1 is still the one in force at opset 6.
        "AveragePool", "Conv", "ConvTranspose", "Flatten", "Gather", "GlobalAveragePool", "GlobalMaxPool",
        "Identity", "LogSoftmax", "MatMul", "MaxPool", "Pow", "ReduceMean", "Slice", "Softmax", "Squeeze",
        "Transpose", "Unsqueeze",
        // Version 6 only removed consumed_inputs (and widened types).
        "Add", "BatchNormalization", "Clip", "Div", "Dropout", "Exp", "HardSigmoid", "LeakyRelu", "Mul", "PRelu",
        "Relu", "Sigmoid", "Sqrt", "Sub", "Tanh",
        // Pad-1 spells 'pads' as 'paddings', which the Pad normalizer reads.
        "Pad",
    };
    return ops.count(opType) > 0;
}

std::shared_ptr<onnx::ModelProto> parseModel(const std::string& bytes)
{
    auto model = std::make_shared<onnx::ModelProto>();
    if (bytes.empty())
        fail("file is empty");
    if (!model->ParseFromString(bytes))
        fail("not a valid ONNX model (the protobuf data is truncated or corrupt)");
    if (!model->has_graph() || model->ir_version() <= 0)
        fail("not an ONNX model (no graph or IR version; is this another kind of protobuf file?)");
    return model;
}

int64_t defaultOpset(const onnx::ModelProto& model)
{
    std::optional<int64_t> opset;
    for (const auto& entry : model.opset_import())
        if (entry.domain().empty() || entry.domain() == "ai.onnx")
            opset = entry.version();
    if (!opset)
        fail("model declares no ai.onnx opset");
    if (*opset < kOldestOpset || *opset > kMaxOpset)
        fail("opset ", *opset, " is not supported (Tessera reads opsets ", kMinOpset, "..", kMaxOpset,
             ", and opsets ", kOldestOpset, "..", kMinOpset - 1, " for operators unchanged since then)");
    return *opset;
}

std::optional<AttrValue> convertAttribute(const onnx::AttributeProto& a, const std::shared_ptr<const void>& owner,
                                          const std::string& baseDir)
{
    using AP = onnx::AttributeProto;
    AP::AttributeType type = a.type();
    if (type == AP::UNDEFINED) { // pre-IR-3 files leave the type unset: infer it from the field
        type = a.has_f() ? AP::FLOAT : a.has_i() ? AP::INT : a.has_s() ? AP::STRING : a.has_t() ? AP::TENSOR
             : a.floats_size() ? AP::FLOATS : a.ints_size() ? AP::INTS : a.strings_size() ? AP::STRINGS : AP::UNDEFINED;
    }
    switch (type) {
    case AP::FLOAT: return a.f();
    case AP::INT: return a.i();
    case AP::STRING: return a.s();
    case AP::TENSOR: return tensorFromProto(a.t(), owner, baseDir);
    case AP::FLOATS: return std::vector<float>(a.floats().begin(), a.floats().end());
    case AP::INTS: return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case AP::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
    default: return std::nullopt; // graphs, sparse tensors, type protos: not representable
    }
}

// Why a node cannot be imported, or nullopt when its op is known.
std::optional<std::string> unsupportedReason(const std::string& opType, const std::string& domain, bool hasSubgraph)
{
    static const std::map<std::string, std::string> reasons = {
        {"LSTM", "recurrent layers are not supported by the accelerator"},
        {"GRU", "recurrent layers are not supported by the accelerator"},
        {"RNN", "recurrent layers are not supported by the accelerator"},
        {"If", "control flow (subgraphs) is not supported"},
        {"Loop", "control flow (subgraphs) is not supported"},
        {"Scan", "control flow (subgraphs) is not supported"},
        {"Upsample", "Upsample with scales computed at run time is not supported"},
    };
    if (!domain.empty() && domain != "ai.onnx")
        return strCat("operator from domain '", domain, "' is not supported");
    if (hasSubgraph)
        return std::string("control flow (subgraphs) is not supported");
    if (OpRegistry::global().find(opType))
        return std::nullopt;
    auto it = reasons.find(opType);
    return it != reasons.end() ? it->second : std::string("operator is not implemented in Tessera's op registry");
}

std::optional<std::string> unsupportedReason(const NodeDraft& node)
{
    return unsupportedReason(node.opType, node.domain, node.hasSubgraph);
}

// Unsupported nodes inside a control-flow node's subgraphs (Silero VAD hides its LSTM in
// an If branch): listed too, so the user sees everything that blocks the model.
void collectNestedUnsupported(const onnx::NodeProto& parent, const std::string& parentName,
                              std::vector<UnsupportedNode>& out, int depth = 0)
{
    if (depth > 8) // malformed files can nest deeply; the outer node is reported anyway
        return;
    for (const auto& a : parent.attribute()) {
        std::vector<const onnx::GraphProto*> graphs;
        if (a.has_g())
            graphs.push_back(&a.g());
        for (const auto& g : a.graphs())
            graphs.push_back(&g);
        for (const onnx::GraphProto* g : graphs)
            for (int i = 0; i < g->node_size(); ++i) {
                const onnx::NodeProto& n = g->node(i);
                if (n.op_type() == "Constant")
                    continue;
                bool nested = false;
                for (const auto& na : n.attribute())
                    nested |= na.has_g() || na.graphs_size() > 0;
                std::string name = n.name().empty() ? strCat(n.op_type(), "_", i) : n.name();
                if (auto reason = unsupportedReason(n.op_type(), n.domain(), nested))
                    out.push_back({name, n.op_type(), strCat(*reason, "; inside ", parent.op_type(), " node '", parentName, "'")});
                if (nested)
                    collectNestedUnsupported(n, name, out, depth + 1);
            }
    }
}

class ModelBuilder {
public:
    ModelBuilder(std::shared_ptr<const onnx::ModelProto> model, std::string baseDir, const ImportOptions& options)
        : m_model(std::move(model)), m_owner(m_model), m_baseDir(std::move(baseDir)), m_options(options)
    {
    }

    ImportedModel build(const std::string& sourceName);
    void keepForwardingNodes() { m_keepForwardingNodes = true; } // core/onnx/ImportAsWritten.h

private:
    void addInitializers();
    void addGraphInputs();
    Shape resolveInputShape(const onnx::ValueInfoProto& info) const;
    void addConstantNode(const onnx::NodeProto& node, const std::string& name);
    void readAttributes(const onnx::NodeProto& n, NodeDraft& d) const;
    std::vector<NodeDraft> readNodes();
    ValueId lookupInput(const std::string& name, const NodeDraft& node) const;
    void addNodes(std::vector<NodeDraft>& drafts, ImportReport& report);
    void markOutputs();
    void checkDeclaredOutputShapes() const;

    std::shared_ptr<const onnx::ModelProto> m_model;
    std::shared_ptr<const void> m_owner;
    std::string m_baseDir;
    const ImportOptions& m_options;
    int64_t m_opset = 0;
    mutable std::vector<DefaultedDim> m_guessedDims; // symbolic input dims set to dynamicDimValue (filled while reading input shapes)
    Graph m_graph;
    std::set<std::string> m_initializerNames;
    bool m_keepForwardingNodes = false;
};

void ModelBuilder::addInitializers()
{
    for (const auto& init : m_model->graph().initializer()) {
        if (init.name().empty())
            fail("an initializer has no name");
        m_graph.addConstant(init.name(), tensorFromProto(init, m_owner, m_baseDir));
        m_initializerNames.insert(init.name());
    }
    if (m_model->graph().sparse_initializer_size())
        fail("sparse initializers are not supported");
}

Shape ModelBuilder::resolveInputShape(const onnx::ValueInfoProto& info) const
{
    const std::string what = strCat("input '", info.name(), "'");
    auto given = m_options.inputShapes.find(info.name());
    const auto& type = info.type().tensor_type();
    if (!type.has_shape()) {
        if (given == m_options.inputShapes.end())
            fail(what, " has no declared shape; give one with ImportOptions::inputShapes");
        checkedElementCount(given->second, what);
        return given->second;
    }
    const auto& dims = type.shape().dim();
    if (given != m_options.inputShapes.end() && static_cast<int>(given->second.size()) != dims.size())
        fail(what, " has rank ", dims.size(), " but the given shape ", shapeToString(given->second), " has rank ",
             given->second.size());
    Shape shape;
    for (int i = 0; i < dims.size(); ++i) {
        const auto& d = dims[i];
        if (d.has_dim_value() && d.dim_value() < 0)
            fail(what, " has a negative dimension ", d.dim_value(), " at axis ", i);
        std::optional<int64_t> declared;
        if (d.has_dim_value())
            declared = d.dim_value();
        if (given != m_options.inputShapes.end()) {
            int64_t g = given->second[i];
            if (g < 0)
                fail(what, ": given shape ", shapeToString(given->second), " has a negative dimension");
            if (declared && *declared != g && !(i == 0 && m_options.freeBatchDim))
                fail(what, " is declared with dimension ", *declared, " at axis ", i, " but the given shape is ",
                     shapeToString(given->second));
            shape.push_back(g);
        } else if (declared) {
            shape.push_back(*declared);
        } else if (m_options.dynamicDimValue > 0) {
            shape.push_back(m_options.dynamicDimValue);
            if (i > 0) // a free batch dim is harmless; free spatial dims usually are not
                m_guessedDims.push_back({info.name(), i, d.dim_param()});
        } else {
            fail(what, " has a symbolic dimension '", d.dim_param(), "' at axis ", i,
                 " and no value for it; give the shape with ImportOptions::inputShapes");
        }
    }
    checkedElementCount(shape, what);
    return shape;
}

void ModelBuilder::addGraphInputs()
{
    std::set<std::string> known;
    for (const auto& input : m_model->graph().input()) {
        if (m_initializerNames.count(input.name())) // old exports list weights as inputs too
            continue;
        if (input.name().empty())
            fail("a graph input has no name");
        if (!input.type().has_tensor_type())
            fail("input '", input.name(), "' is not a tensor (sequences and maps are not supported)");
        DType type = dtypeFromOnnx(input.type().tensor_type().elem_type(), strCat("input '", input.name(), "'"));
        if (type == DType::Float16)
            fail("input '", input.name(), "' is float16; convert the model to float32");
        m_graph.markGraphInput(m_graph.addValue(input.name(), type, resolveInputShape(input)));
        known.insert(input.name());
    }
    for (const auto& [name, shape] : m_options.inputShapes)
        if (!known.count(name))
            fail("a shape was given for input '", name, "', but the model has no such input");
}

void ModelBuilder::addConstantNode(const onnx::NodeProto& node, const std::string& name)
{
    try {
        if (node.output_size() != 1 || node.output(0).empty())
            fail("must have exactly one output");
        std::optional<Tensor> value;
        for (const auto& a : node.attribute()) {
            const std::string& key = a.name();
            if (key == "value")
                value = tensorFromProto(a.t(), m_owner, m_baseDir);
            else if (key == "value_float")
                value = Tensor::scalar<float>(a.f());
            else if (key == "value_int")
                value = Tensor::scalar<int64_t>(a.i());
            else if (key == "value_floats")
                value = Tensor::fromVector<float>({a.floats().begin(), a.floats().end()}, {a.floats_size()});
            else if (key == "value_ints")
                value = Tensor::fromVector<int64_t>({a.ints().begin(), a.ints().end()}, {a.ints_size()});
            else
                fail("attribute '", key, "' is not supported");
        }
        if (!value)
            fail("has no value");
        m_graph.addConstant(node.output(0), std::move(*value));
    } catch (const Error& e) {
        fail("Constant node '", name, "': ", e.what());
    }
}

void ModelBuilder::readAttributes(const onnx::NodeProto& n, NodeDraft& d) const
{
    for (const auto& a : n.attribute()) {
        if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS) {
            d.hasSubgraph = true;
            continue;
        }
        try {
            if (auto value = convertAttribute(a, m_owner, m_baseDir))
                d.attrs.set(a.name(), std::move(*value));
        } catch (const Error& e) {
            fail(d.opType, " node '", d.name, "': attribute '", a.name(), "': ", e.what());
        }
    }
}

std::vector<NodeDraft> ModelBuilder::readNodes()
{
    std::vector<NodeDraft> drafts;
    const auto& nodes = m_model->graph().node();
    for (int i = 0; i < nodes.size(); ++i) {
        const onnx::NodeProto& n = nodes[i];
        std::string name = n.name().empty() ? strCat(n.op_type(), "_", i) : n.name();
        std::string domain = n.domain() == "ai.onnx" ? std::string() : n.domain();
        if (n.op_type() == "Constant" && domain.empty()) {
            addConstantNode(n, name);
            continue;
        }
        NodeDraft d;
        d.name = std::move(name);
        d.opType = n.op_type();
        d.domain = std::move(domain);
        readAttributes(n, d);
        for (int o = 0; o < n.output_size(); ++o) {
            const std::string& out = n.output(o);
            std::string valueName = out.empty() ? m_graph.uniqueValueName(strCat(d.name, "_unused_", o)) : out;
            if (m_graph.findValue(valueName))
                fail(d.opType, " node '", d.name, "': output '", valueName,
                     "' is already defined (by another node, an initializer or a graph input)");
            d.outputs.push_back(m_graph.addValue(valueName));
        }
        drafts.push_back(std::move(d));
    }
    return drafts;
}

ValueId ModelBuilder::lookupInput(const std::string& name, const NodeDraft& node) const
{
    if (name.empty())
        return kNoValue;
    if (auto id = m_graph.findValue(name))
        return *id;
    fail(node.opType, " node '", node.name, "': input '", name,
         "' is not produced by any node and is not an initializer or graph input");
}

// Strict mode lists every unsupported node in one message, grouped by operator.
[[noreturn]] void failUnsupported(const std::vector<UnsupportedNode>& nodes)
{
    std::map<std::string, std::vector<const UnsupportedNode*>> byOp;
    std::vector<std::string> order;
    for (const auto& n : nodes) {
        if (!byOp.count(n.opType))
            order.push_back(n.opType);
        byOp[n.opType].push_back(&n);
    }
    std::string message;
    if (nodes.size() == 1) {
        message = strCat("node '", nodes[0].nodeName, "' uses operator '", nodes[0].opType,
                         "', which Tessera does not support (", nodes[0].reason, ")");
    } else {
        message = strCat(nodes.size(), " nodes use operators Tessera does not support:");
        for (const std::string& op : order) {
            const auto& list = byOp[op];
            message += strCat(" operator '", op, "' (", list[0]->reason, ") in ", list.size(), list.size() == 1 ? " node " : " nodes ");
            for (size_t i = 0; i < list.size() && i < 4; ++i)
                message += strCat(i ? ", " : "", "'", list[i]->nodeName, "'");
            message += list.size() > 4 ? ", ...;" : ";";
        }
        message.pop_back();
    }
    fail(message);
}

void ModelBuilder::addNodes(std::vector<NodeDraft>& drafts, ImportReport& report)
{
    const auto& nodes = m_model->graph().node();
    size_t draftIndex = 0;
    std::vector<UnsupportedNode> unsupported;
    for (int i = 0; i < nodes.size(); ++i) {
        const onnx::NodeProto& n = nodes[i];
        if (n.op_type() == "Constant" && (n.domain().empty() || n.domain() == "ai.onnx"))
            continue;
        NodeDraft& d = drafts[draftIndex++];
        for (const std::string& in : n.input())
            d.inputs.push_back(lookupInput(in, d));
        if (m_opset < kMinOpset && d.domain.empty() && !unsupportedReason(d) && !unchangedSinceOpset1(d.opType))
            fail(d.opType, " node '", d.name, "': the opset ", m_opset, " form of ", d.opType,
                 " differs from the opset ", kMinOpset, " one Tessera reads; re-export the model with opset ",
                 kMinOpset + 1, " or newer");
        normalizeLegacyForm(d, m_opset, m_graph);
        if (auto reason = unsupportedReason(d))
            unsupported.push_back({d.name, d.opType, *reason});
        if (d.hasSubgraph)
            collectNestedUnsupported(n, d.name, unsupported);
    }
    if (!unsupported.empty() && !m_options.lenient)
        failUnsupported(unsupported);
    for (NodeDraft& d : drafts) {
        bool known = !unsupportedReason(d);
        NodeId id = m_graph.addNode(d.name, d.opType, d.inputs, d.outputs, std::move(d.attrs), !known);
        if (!known)
            m_graph.node(id).op = nullptr; // e.g. a custom-domain op that shares a name with ours
    }
    report.unsupported = std::move(unsupported);
}

void ModelBuilder::markOutputs()
{
    if (m_model->graph().output_size() == 0)
        fail("graph has no outputs");
    for (const auto& out : m_model->graph().output()) {
        auto id = m_graph.findValue(out.name());
        if (!id)
            fail("graph output '", out.name(), "' is not produced by any node");
        m_graph.markGraphOutput(*id);
    }
}

// A declared static output dimension that disagrees with inference means the file and
// our reading of it differ: better to stop here than to produce wrong results later.
void ModelBuilder::checkDeclaredOutputShapes() const
{
    for (const auto& out : m_model->graph().output()) {
        const auto& type = out.type().tensor_type();
        if (!type.has_shape())
            continue;
        const Value& v = m_graph.value(*m_graph.findValue(out.name()));
        const auto& dims = type.shape().dim();
        if (dims.size() != static_cast<int>(v.shape.size()))
            fail("graph output '", out.name(), "' is declared with rank ", dims.size(), " but inferred as ",
                 shapeToString(v.shape));
        for (int i = m_options.freeBatchDim ? 1 : 0; i < dims.size(); ++i)
            if (dims[i].has_dim_value() && dims[i].dim_value() > 0 && dims[i].dim_value() != v.shape[i])
                fail("graph output '", out.name(), "' is declared with dimension ", dims[i].dim_value(), " at axis ",
                     i, " but inferred as ", shapeToString(v.shape));
    }
}

ImportedModel ModelBuilder::build(const std::string& sourceName)
{
    ImportedModel result;
    ImportReport& report = result.report;
    report.sourcePath = sourceName;
    m_opset = defaultOpset(*m_model);
    report.opsetVersion = m_opset;
    report.producer = m_model->producer_name() +
                      (m_model->producer_version().empty() ? "" : " " + m_model->producer_version());
    report.irVersion = m_model->ir_version();
    report.docString = m_model->doc_string();
    for (const onnx::StringStringEntryProto& p : m_model->metadata_props())
        report.metadata.emplace_back(p.key(), p.value());
    const onnx::GraphProto& g = m_model->graph();
    if (g.node_size() == 0)
        fail("graph has no nodes");
    m_graph.name = g.name();
    addInitializers();
    addGraphInputs();
    report.defaultedDims = m_guessedDims;
    std::vector<NodeDraft> drafts = readNodes();
    addNodes(drafts, report);
    markOutputs();
    m_graph.topologicalOrder(); // throws naming the nodes on a cycle
    if (report.unsupported.empty())
        report.contentHash = graphContentHash(m_graph); // of the file's nodes, aliases included
    if (!m_keepForwardingNodes)
        foldForwardedConstants(m_graph); // tombstones until compact() below
    if (report.unsupported.empty()) {
        try {
            inferShapes(m_graph);
            checkDeclaredOutputShapes();
        } catch (const Error& e) {
            std::string message = e.what();
            if (!m_guessedDims.empty())
                message += strCat(" (symbolic dims were set to ", m_options.dynamicDimValue, ": ", m_guessedDims[0].text(),
                                  m_guessedDims.size() > 1 ? strCat(" and ", m_guessedDims.size() - 1, " more") : "",
                                  "; give the input's real shape, e.g. `tessera inspect --shape NAME=D0,D1,...`)");
            if (!m_options.lenient)
                throw Error(message);
            report.warnings.push_back(strCat("shape inference failed: ", message));
        }
        if (m_options.runCleanupPasses && report.warnings.empty())
            runPipeline(m_graph, defaultPipeline());
    }
    m_graph.compact();
    result.graph = std::move(m_graph);
    return result;
}

} // namespace

std::string DefaultedDim::text() const
{
    return strCat("input '", input, "' axis ", axis, " ('", symbol, "')");
}

namespace {

ImportedModel importBytes(const std::string& bytes, const std::string& sourceName, const ImportOptions& options,
                          const std::string& baseDir, bool asWritten)
{
    try {
        ModelBuilder builder(parseModel(bytes), baseDir, options);
        if (asWritten)
            builder.keepForwardingNodes();
        return builder.build(sourceName);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        throw Error(strCat(sourceName, ": ", e.what()));
    } catch (const std::bad_alloc&) {
        throw Error(strCat(sourceName, ": out of memory while importing"));
    } catch (const std::exception& e) { // filesystem or library errors on malformed input
        throw Error(strCat(sourceName, ": ", e.what()));
    }
}

ImportedModel importFile(const std::string& path, const ImportOptions& options, bool asWritten)
{
    std::string bytes = readFileBytes(path);
    std::string dir = std::filesystem::path(path).parent_path().string();
    return importBytes(bytes, path, options, dir.empty() ? "." : dir, asWritten);
}

} // namespace

ImportedModel importOnnxBytes(const std::string& bytes, const std::string& sourceName, const ImportOptions& options,
                              const std::string& baseDir)
{
    return importBytes(bytes, sourceName, options, baseDir, false);
}

ImportedModel importOnnxBytesAsWritten(const std::string& bytes, const std::string& sourceName,
                                       const ImportOptions& options, const std::string& baseDir)
{
    return importBytes(bytes, sourceName, options, baseDir, true);
}

ImportedModel importOnnxFile(const std::string& path, const ImportOptions& options)
{
    return importFile(path, options, false);
}

ImportedModel importOnnxFileAsWritten(const std::string& path, const ImportOptions& options)
{
    return importFile(path, options, true);
}

Tensor readTensorProtoFile(const std::string& path)
{
    std::string bytes = readFileBytes(path);
    try {
        auto proto = std::make_shared<onnx::TensorProto>();
        if (!proto->ParseFromString(bytes) || proto->data_type() == onnx::TensorProto::UNDEFINED)
            fail("not a valid serialized ONNX TensorProto");
        std::string dir = std::filesystem::path(path).parent_path().string();
        return tensorFromProto(*proto, proto, dir.empty() ? "." : dir);
    } catch (const Error& e) {
        throw Error(strCat(path, ": ", e.what()));
    } catch (const std::exception& e) {
        throw Error(strCat(path, ": ", e.what()));
    }
}

} // namespace tessera
