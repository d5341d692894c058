#include "core/passes/FoldLog.h"

namespace tessera {

void FoldLog::record(FoldRecord record)
{
    if (m_byNode.count(record.node))
        return; // the first removal is the one that happened
    if (record.pass.empty())
        record.pass = m_pass;
    m_byNode[record.node] = m_records.size();
    m_records.push_back(std::move(record));
}

const FoldRecord* FoldLog::find(const std::string& node) const
{
    auto it = m_byNode.find(node);
    return it == m_byNode.end() ? nullptr : &m_records[it->second];
}

std::string FoldLog::survivorOf(const std::string& node) const
{
    const FoldRecord* r = find(node);
    std::string survivor = r ? r->into : node;
    // Each step moves to a record made later, so the walk ends.
    for (size_t steps = 0; steps <= m_records.size(); ++steps) {
        const FoldRecord* next = survivor.empty() ? nullptr : find(survivor);
        if (!next)
            return survivor;
        survivor = next->into;
    }
    return {};
}

} // namespace tessera
