#include "app/model/AsImported.h"

#include "core/Error.h"

namespace tessera::studio {

namespace {

// "a constant input of A, B" / "read by A": the cleaned nodes reading the value called `name`.
std::string readersOf(const Graph& cleaned, const std::string& name)
{
    std::string text;
    const std::optional<ValueId> v = name.empty() ? std::nullopt : cleaned.findValue(name);
    if (!v)
        return text;
    for (NodeId c : cleaned.value(*v).consumers)
        if (!cleaned.node(c).removed)
            text += (text.empty() ? "" : ", ") + cleaned.node(c).name;
    if (text.empty())
        return text;
    return (cleaned.value(*v).isConstant() ? "a constant input of " : "read by ") + text;
}

ImportedFate fateOf(const Graph& cleaned, const FoldLog& foldLog, const Node& node)
{
    ImportedFate fate;
    const FoldRecord* record = foldLog.find(node.name);
    const std::optional<NodeId> survivor = cleaned.findNode(record ? foldLog.survivorOf(node.name) : node.name);
    if (!record) {
        fate.kind = survivor ? ImportedFate::Kind::Unchanged : ImportedFate::Kind::Removed;
        fate.cleaned = survivor.value_or(kNoNode);
        return fate;
    }
    fate.reason = record->reason;
    if (survivor && !record->into.empty()) {
        fate.kind = ImportedFate::Kind::MergedInto;
        fate.cleaned = *survivor;
        fate.cleanedName = cleaned.node(*survivor).name;
        return fate;
    }
    fate.readers = readersOf(cleaned, record->value);
    return fate;
}

} // namespace

std::string ImportedFate::text() const
{
    switch (kind) {
    case Kind::Unchanged:
        return "unchanged";
    case Kind::MergedInto:
        return reason;
    case Kind::Removed:
        break;
    }
    if (reason.empty())
        return "removed by the import cleanup";
    return readers.empty() ? reason : strCat(reason, " (now ", readers, ")");
}

std::vector<ImportedFate> mapImportedNodes(const Graph& raw, const Graph& cleaned, const FoldLog& foldLog)
{
    std::vector<ImportedFate> fates(raw.nodeSlotCount());
    for (NodeId id : raw.liveNodes())
        fates[id] = fateOf(cleaned, foldLog, raw.node(id));
    return fates;
}

} // namespace tessera::studio
