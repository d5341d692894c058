#include "app/model/AsImported.h"

#include "core/Error.h"
#include "core/OpRegistry.h"

namespace tessera::studio {

namespace {

bool forwards(const Node& node)
{
    return node.op && node.op->forwardsInputValue() && !node.inputs.empty() && node.inputs[0] != kNoValue;
}

// The value a chain of forwarding nodes starts from (W for Identity(Identity(W))).
ValueId forwardedSource(const Graph& raw, const Node& node)
{
    ValueId v = node.inputs[0];
    for (NodeId p = raw.value(v).producer; p != kNoNode && forwards(raw.node(p)); p = raw.value(v).producer)
        v = raw.node(p).inputs[0];
    return v;
}

// Names of the cleaned nodes reading the value called `name`, comma-separated.
std::string readersOf(const Graph& cleaned, const std::string& name)
{
    std::string text;
    const std::optional<ValueId> v = cleaned.findValue(name);
    if (!v)
        return text;
    for (NodeId c : cleaned.value(*v).consumers)
        if (!cleaned.node(c).removed)
            text += (text.empty() ? "" : ", ") + cleaned.node(c).name;
    return text;
}

ImportedFate fateOf(const Graph& raw, const Graph& cleaned, const Node& node)
{
    ImportedFate fate;
    if (const std::optional<NodeId> same = cleaned.findNode(node.name)) {
        fate.kind = ImportedFate::Kind::Unchanged;
        fate.cleaned = *same;
        return fate;
    }
    if (forwards(node)) {
        const Value& source = raw.value(forwardedSource(raw, node));
        if (source.isConstant()) {
            fate.kind = ImportedFate::Kind::ForwardedWeight;
            fate.weight = source.name;
            fate.readers = readersOf(cleaned, raw.value(node.outputs[0]).name);
        }
    }
    return fate;
}

} // namespace

std::string ImportedFate::text() const
{
    switch (kind) {
    case Kind::Unchanged:
        return "unchanged";
    case Kind::ForwardedWeight:
        return strCat("removed as Identity of weight ", weight,
                      readers.empty() ? std::string() : strCat(" (now a constant input of ", readers, ")"));
    case Kind::Removed:
        break;
    }
    return "removed by the import cleanup";
}

std::vector<ImportedFate> mapImportedNodes(const Graph& raw, const Graph& cleaned)
{
    std::vector<ImportedFate> fates(raw.nodeSlotCount());
    for (NodeId id : raw.liveNodes())
        fates[id] = fateOf(raw, cleaned, raw.node(id));
    return fates;
}

} // namespace tessera::studio
