// `tessera inspect`: what is in a model and where each layer would run.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/onnx/SupportCheck.h"
#include "core/passes/FoldLog.h"
#include "core/passes/PassRegistry.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

namespace tessera::cli {

namespace {

struct InspectOptions {
    std::string model;
    bool json = false;
    bool supported = false;
    bool optimize = false;
    std::vector<std::string> passes; // --passes: exactly these, by name (empty: the default cleanup)
    bool listPasses = false;
    bool passLog = false;
    bool provenance = false; // --provenance: what became of each removed node
    int64_t batch = 0; // 0: as the file declares (symbolic dims become 1)
    std::vector<std::string> shapes;
};

struct LayerRow {
    std::string name, op;
    std::vector<Shape> inputs, outputs; // activation inputs (not weights)
    OpCost cost;
    PlacementDecision placement;
};

std::vector<LayerRow> layerRows(const Graph& graph)
{
    std::vector<LayerRow> rows;
    for (NodeId id : graph.topologicalOrder()) {
        const Node& node = graph.node(id);
        LayerRow row{node.name, node.opType, {}, {}, node.op->costOf(node, graph), node.op->placeNode(node, graph)};
        if (node.attrs.has("fused_activation")) // set by the FuseActivation pass (--optimize)
            row.op += "+" + node.attrs.getString("fused_activation", "");
        for (ValueId in : node.inputs)
            if (in != kNoValue && !graph.value(in).isConstant())
                row.inputs.push_back(graph.value(in).shape);
        for (ValueId out : node.outputs)
            row.outputs.push_back(graph.value(out).shape);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string shapesText(const std::vector<Shape>& shapes)
{
    std::string text;
    for (const Shape& s : shapes)
        text += (text.empty() ? "" : " ") + shapeToString(s);
    return text.empty() ? "-" : text;
}

std::string ioText(const Graph& graph, const std::vector<ValueId>& ids)
{
    std::string text;
    for (ValueId id : ids)
        text += strCat(text.empty() ? "" : ", ", graph.value(id).name, " ", dtypeName(graph.value(id).dtype),
                       shapeToString(graph.value(id).shape));
    return text;
}

std::string fit(const std::string& text, size_t width)
{
    if (text.size() > width)
        return "..." + text.substr(text.size() - (width - 3)); // the end of a path-like name says most
    return text + std::string(width - text.size(), ' ');
}

std::string rightAligned(const std::string& text, size_t width)
{
    return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
}

std::string batchNote(const Graph& g)
{
    if (g.inputs().empty() || g.value(g.inputs()[0]).shape.empty())
        return "";
    return strCat(" (batch ", g.value(g.inputs()[0]).shape[0], ")");
}

std::string optimizedNote(const InspectOptions& o)
{
    if (!o.optimize)
        return "";
    if (o.passes.empty())
        return ", after the cleanup passes";
    std::string names;
    for (const std::string& p : o.passes)
        names += (names.empty() ? "" : ",") + p;
    return ", after passes " + names;
}

void printTable(const ImportedModel& model, const std::vector<LayerRow>& rows, const InspectOptions& o)
{
    const Graph& g = model.graph;
    std::cout << model.report.sourcePath << " (opset " << model.report.opsetVersion
              << (model.report.producer.empty() ? "" : ", " + model.report.producer) << ")"
              << optimizedNote(o) << "\n"
              << "inputs:  " << ioText(g, g.inputs()) << "\noutputs: " << ioText(g, g.outputs()) << "\n\n";
    size_t nameW = 4, opW = 2, inW = 5, outW = 6;
    for (const LayerRow& r : rows) {
        nameW = std::max(nameW, std::min<size_t>(r.name.size(), 32));
        opW = std::max(opW, r.op.size());
        inW = std::max(inW, shapesText(r.inputs).size());
        outW = std::max(outW, shapesText(r.outputs).size());
    }
    std::cout << rightAligned("#", 3) << "  " << fit("name", nameW) << "  " << fit("op", opW) << "  " << fit("input", inW)
              << "  " << fit("output", outW) << "  " << rightAligned("params", 10) << "  " << rightAligned("MACs", 13)
              << "  placement\n";
    int index = 0;
    int64_t params = 0, macs = 0;
    std::map<std::string, int> byPlacement, byOp;
    for (const LayerRow& r : rows) {
        std::cout << rightAligned(std::to_string(index++), 3) << "  " << fit(r.name, nameW) << "  " << fit(r.op, opW)
                  << "  " << fit(shapesText(r.inputs), inW) << "  " << fit(shapesText(r.outputs), outW) << "  "
                  << rightAligned(withThousands(r.cost.params), 10) << "  " << rightAligned(withThousands(r.cost.macs), 13)
                  << "  " << placementName(r.placement.placement) << "\n";
        params += r.cost.params;
        macs += r.cost.macs;
        ++byPlacement[placementName(r.placement.placement)];
        ++byOp[r.op];
    }
    std::cout << "\ntotal: " << rows.size() << " layers, " << withThousands(params) << " parameters, "
              << withThousands(macs) << " MACs per run" << batchNote(g) << "\n"
              << "placement: " << byPlacement["analog"] << " analog, " << byPlacement["digital"] << " digital, "
              << byPlacement["unsupported"] << " unsupported\nops:";
    for (const auto& [op, count] : byOp)
        std::cout << " " << op << " " << count;
    std::cout << "\n";
}

nlohmann::json shapesJson(const std::vector<Shape>& shapes)
{
    nlohmann::json list = nlohmann::json::array();
    for (const Shape& s : shapes)
        list.push_back(s);
    return list;
}

nlohmann::json ioJson(const Graph& g, const std::vector<ValueId>& ids)
{
    nlohmann::json list = nlohmann::json::array();
    for (ValueId id : ids)
        list.push_back({{"name", g.value(id).name}, {"dtype", dtypeName(g.value(id).dtype)}, {"shape", g.value(id).shape}});
    return list;
}

nlohmann::json passLogJson(const PassContext& context)
{
    nlohmann::json list = nlohmann::json::array();
    for (const PassLogEntry& e : context.log)
        list.push_back({{"pass", e.pass}, {"round", e.iteration + 1}, {"changed", e.changed},
                        {"nodes_before", e.nodesBefore}, {"nodes_after", e.nodesAfter}, {"ms", e.milliseconds}});
    for (size_t i = 0; i < context.log.size(); ++i)
        if (context.log[i].verifyMilliseconds >= 0)
            list[i]["verify_ms"] = context.log[i].verifyMilliseconds;
    return list;
}

nlohmann::json foldLogJson(const FoldLog& log)
{
    nlohmann::json list = nlohmann::json::array();
    for (const FoldRecord& r : log.records())
        list.push_back({{"node", r.node}, {"op", r.op}, {"became", log.survivorOf(r.node)}, {"reason", r.reason},
                        {"pass", r.pass}});
    return list;
}

// "  relu1 (Relu) -> conv1: fused into conv1 as its activation", one line per removed node.
std::string foldLogText(const FoldLog& log)
{
    std::string text;
    for (const FoldRecord& r : log.records()) {
        const std::string survivor = log.survivorOf(r.node);
        text += strCat("  ", r.node, " (", r.op, ")", survivor.empty() ? "" : " -> " + survivor, ": ", r.reason, "\n");
    }
    return text;
}

void printJson(const ImportedModel& model, const std::vector<LayerRow>& rows, const PassContext* passLog,
               const FoldLog* foldLog)
{
    const Graph& g = model.graph;
    nlohmann::json layers = nlohmann::json::array();
    int64_t params = 0, macs = 0;
    std::map<std::string, int> byPlacement{{"analog", 0}, {"digital", 0}, {"unsupported", 0}}, byOp;
    for (const LayerRow& r : rows) {
        layers.push_back({{"name", r.name}, {"op", r.op}, {"inputs", shapesJson(r.inputs)},
                          {"outputs", shapesJson(r.outputs)}, {"params", r.cost.params}, {"macs", r.cost.macs},
                          {"placement", placementName(r.placement.placement)}, {"reason", r.placement.reason}});
        params += r.cost.params;
        macs += r.cost.macs;
        ++byPlacement[placementName(r.placement.placement)];
        ++byOp[r.op];
    }
    nlohmann::json doc = {{"model", model.report.sourcePath},
                          {"opset", model.report.opsetVersion},
                          {"producer", model.report.producer},
                          {"inputs", ioJson(g, g.inputs())},
                          {"outputs", ioJson(g, g.outputs())},
                          {"layers", layers},
                          {"totals",
                           {{"layers", rows.size()}, {"params", params}, {"macs", macs}, {"placement", byPlacement},
                            {"ops", byOp}}}};
    if (passLog)
        doc["pass_log"] = passLogJson(*passLog);
    if (foldLog)
        doc["provenance"] = foldLogJson(*foldLog);
    std::cout << doc.dump(2) << "\n";
}

int reportSupport(const InspectOptions& o)
{
    SupportReport report = checkSupport(o.model);
    if (!o.json) {
        std::cout << formatSupportReport(report)
                  << (report.fullySupported() ? "verdict: every node can be placed\n"
                                              : "verdict: NOT supported: the nodes marked unsupported above block it\n");
        return kExitOk;
    }
    nlohmann::json nodes = nlohmann::json::array();
    for (const NodeSupport& n : report.nodes)
        nodes.push_back({{"name", n.nodeName}, {"op", n.opType}, {"placement", placementName(n.placement)},
                         {"reason", n.reason}});
    nlohmann::json doc = {{"model", report.path},
                          {"opset", report.opsetVersion},
                          {"producer", report.producer},
                          {"supported", report.fullySupported()},
                          {"nodes", nodes},
                          {"counts",
                           {{"analog", report.count(Placement::Analog)},
                            {"digital", report.count(Placement::Digital)},
                            {"unsupported", report.count(Placement::Unsupported)}}},
                          {"warnings", report.warnings}};
    std::cout << doc.dump(2) << "\n";
    return kExitOk;
}

// When the import failed because of unsupported nodes (not an unreadable file), point
// at the per-node report.
std::string withSupportHint(const std::string& path, const Error& importError)
{
    try {
        if (checkSupport(path).fullySupported())
            return importError.what();
    } catch (const Error&) {
        return importError.what();
    }
    return strCat(importError.what(), "\n(run 'tessera inspect --supported ", path, "' for a per-node support report)");
}

int listPasses()
{
    const std::vector<std::string> defaults = defaultPipeline();
    std::vector<PassInfo> passes = registeredPasses();
    size_t width = 0;
    for (const PassInfo& p : passes)
        width = std::max(width, p.name.size());
    for (const PassInfo& p : passes) {
        bool isDefault = std::find(defaults.begin(), defaults.end(), p.name) != defaults.end();
        std::cout << fit(p.name, width) << "  " << p.doc << (isDefault ? " [default]" : "") << "\n";
    }
    return kExitOk;
}

int runInspect(const InspectOptions& o)
{
    if (o.listPasses)
        return listPasses();
    if (o.model.empty())
        fail("inspect needs a model file (or --list-passes)");
    if (o.supported)
        return reportSupport(o);
    createPasses(o.passes); // an unknown name fails before the import
    PassContext passContext;
    FoldLog foldLog;
    if (o.provenance)
        passContext.foldLog = &foldLog;
    LoadRequest request;
    request.path = o.model;
    request.optimize = o.optimize;
    request.passes = o.passes;
    request.passContext = &passContext;
    if (o.batch > 0)
        request.batch = o.batch;
    for (const std::string& spec : o.shapes)
        request.shapes.insert(parseShapeSpec(spec));
    ImportedModel model;
    try {
        model = loadModel(request);
    } catch (const Cancelled&) {
        throw;
    } catch (const Error& e) {
        throw Error(withSupportHint(o.model, e));
    }
    std::vector<LayerRow> rows = layerRows(model.graph);
    if (o.json) {
        printJson(model, rows, o.passLog ? &passContext : nullptr, o.provenance ? &foldLog : nullptr);
        return kExitOk;
    }
    printTable(model, rows, o);
    if (o.passLog)
        std::cout << "\npass log:\n" << passContext.formatLog();
    if (o.provenance)
        std::cout << "\nprovenance (" << foldLog.records().size() << " nodes removed):\n" << foldLogText(foldLog);
    return kExitOk;
}

} // namespace

CommandRun declareInspect(CLI::App& sub)
{
    auto o = std::make_shared<InspectOptions>();
    sub.add_option("model", o->model, "ONNX model file (required unless --list-passes)");
    sub.add_flag("--json", o->json, "Print JSON instead of a table");
    sub.add_flag("--supported", o->supported,
                 "Only check support: every node as analog, digital or unsupported, and why "
                 "(works on models Tessera cannot import)");
    sub.add_option("--batch", o->batch, "Batch size used for shapes and MACs (default: as declared, symbolic = 1)")
        ->check(numberIn(1));
    sub.add_option("--shape", o->shapes, "Fix an input's shape, e.g. --shape x=1,3,640,640 (repeatable)");
    CLI::Option* optimize = sub.add_flag("--optimize", o->optimize,
                                         "Show the graph after the cleanup passes (folding, BN folding, fusion)");
    sub.add_option("--passes", o->passes, "With --optimize: run exactly these passes, e.g. --passes FoldBatchNorm,"
                                          "DeadCodeElimination (see --list-passes)")
        ->delimiter(',')
        ->needs(optimize);
    sub.add_flag("--pass-log", o->passLog, "With --optimize: print what each pass did (changed, nodes, ms)")
        ->needs(optimize);
    sub.add_flag("--provenance", o->provenance,
                 "With --optimize: say what became of each node of the file the passes removed (fused into, "
                 "folded into, constant-folded)")
        ->needs(optimize);
    sub.add_flag("--list-passes", o->listPasses, "List the graph passes --passes accepts, one line each, and exit");
    return [o] { return runInspect(*o); };
}

} // namespace tessera::cli
