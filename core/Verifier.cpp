#include "core/Verifier.h"

#include "core/Error.h"
#include "core/OpRegistry.h"
#include "core/ShapeInference.h"

#include <unordered_set>

namespace tessera {

namespace {

void checkCount(const std::string& who, const char* what, size_t count, int min, int max,
                std::vector<std::string>& problems)
{
    const int n = static_cast<int>(count);
    if (n < min || n > max)
        problems.push_back(strCat(who, ": ", n, " ", what, ", op allows ", min, "..", max));
}

std::string typeText(const Value& v) { return dtypeName(v.dtype) + shapeToString(v.shape); }

// Re-infers shapes on a copy (constants are shared, not copied) and names every node
// whose stored output dtype or shape differs from what its op's row derives.
void checkShapes(const Graph& graph, std::vector<std::string>& problems)
{
    Graph fresh = graph;
    try {
        inferShapes(fresh);
    } catch (const Error& e) {
        problems.push_back(strCat("shape inference fails: ", e.what()));
        return;
    }
    for (NodeId id : graph.liveNodes())
        for (ValueId out : graph.node(id).outputs) {
            if (out < 0 || static_cast<size_t>(out) >= graph.valueCount())
                continue; // reported by checkNode
            const Value &stored = graph.value(out), &inferred = fresh.value(out);
            if (stored.dtype != inferred.dtype || stored.shape != inferred.shape)
                problems.push_back(strCat(describeNode(graph.node(id)), ": output '", stored.name, "' is stored as ",
                                          typeText(stored), " but its op infers ", typeText(inferred),
                                          " (stale shape)"));
        }
}

void checkNode(const Graph& graph, NodeId id, std::vector<int>& definitions, std::vector<std::string>& problems)
{
    const Node& node = graph.node(id);
    const std::string who = describeNode(node);
    if (!node.op) {
        problems.push_back(who + ": operator is not registered");
        return;
    }
    checkCount(who, "inputs", node.inputs.size(), node.op->minInputs(), node.op->maxInputs(), problems);
    checkCount(who, "outputs", node.outputs.size(), node.op->minOutputs(), node.op->maxOutputs(), problems);
    std::unordered_set<ValueId> checked;
    for (ValueId in : node.inputs) {
        if (in == kNoValue || !checked.insert(in).second)
            continue;
        if (in < 0 || static_cast<size_t>(in) >= graph.valueCount()) {
            problems.push_back(strCat(who, ": input id ", in, " is out of range"));
            continue;
        }
        const Value& v = graph.value(in);
        bool isGraphInput = false;
        for (ValueId g : graph.inputs())
            isGraphInput |= g == in;
        bool produced = v.producer != kNoNode && !graph.node(v.producer).removed;
        if (!v.isConstant() && !isGraphInput && !produced)
            problems.push_back(strCat(who, ": input '", v.name, "' is never defined"));
    }
    for (ValueId out : node.outputs) {
        if (out < 0 || static_cast<size_t>(out) >= graph.valueCount()) {
            problems.push_back(strCat(who, ": output id ", out, " is out of range"));
            continue;
        }
        if (graph.value(out).isConstant())
            problems.push_back(strCat(who, ": output '", graph.value(out).name, "' is also a constant"));
        if (++definitions[out] == 2)
            problems.push_back(strCat(who, ": output '", graph.value(out).name, "' is defined by more than one node"));
    }
}

} // namespace

std::vector<std::string> verifyGraph(const Graph& graph, const VerifyOptions& options)
{
    std::vector<std::string> problems;
    std::vector<int> definitions(graph.valueCount(), 0);
    for (ValueId in : graph.inputs())
        ++definitions[in];
    for (NodeId id : graph.liveNodes())
        checkNode(graph, id, definitions, problems);
    for (ValueId out : graph.outputs()) {
        const Value& v = graph.value(out);
        bool produced = v.producer != kNoNode && !graph.node(v.producer).removed;
        bool isInput = false;
        for (ValueId g : graph.inputs())
            isInput |= g == out;
        if (!produced && !v.isConstant() && !isInput)
            problems.push_back(strCat("graph output '", v.name, "' is never defined"));
    }
    try {
        graph.topologicalOrder();
    } catch (const Error& e) {
        problems.push_back(e.what());
        return problems; // shape inference needs an order
    }
    if (options.shapes && problems.empty())
        checkShapes(graph, problems);
    return problems;
}

void verifyOrThrow(const Graph& graph, const std::string& context, const VerifyOptions& options)
{
    std::vector<std::string> problems = verifyGraph(graph, options);
    if (problems.empty())
        return;
    std::string message = strCat("graph '", graph.name, "' ", context.empty() ? "" : "after " + context + " ",
                                 "has ", problems.size(), " problem(s):");
    for (const std::string& p : problems)
        message += "\n  " + p;
    throw Error(message);
}

} // namespace tessera
