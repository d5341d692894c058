#include "core/Verifier.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

#include <unordered_set>

namespace tessera {

namespace {

void checkNode(const Graph& graph, NodeId id, std::vector<int>& definitions, std::vector<std::string>& problems)
{
    const Node& node = graph.node(id);
    const std::string who = describeNode(node);
    if (!node.op) {
        problems.push_back(who + ": operator is not registered");
        return;
    }
    int inputs = static_cast<int>(node.inputs.size());
    if (inputs < node.op->minInputs() || inputs > node.op->maxInputs())
        problems.push_back(strCat(who, ": ", inputs, " inputs, op allows ", node.op->minInputs(), "..",
                                  node.op->maxInputs()));
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

std::vector<std::string> verifyGraph(const Graph& graph)
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
    }
    return problems;
}

void verifyOrThrow(const Graph& graph, const std::string& context)
{
    std::vector<std::string> problems = verifyGraph(graph);
    if (problems.empty())
        return;
    std::string message = strCat("graph '", graph.name, "' ", context.empty() ? "" : "after " + context + " ",
                                 "has ", problems.size(), " problem(s):");
    for (const std::string& p : problems)
        message += "\n  " + p;
    throw Error(message);
}

} // namespace tessera
