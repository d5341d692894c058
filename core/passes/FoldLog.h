#pragma once
// What the cleanup passes did to each node they removed (a data side channel of the pass
// run, PassContext::foldLog): the node's name, the node that now does its work, and why.
// The studio's View > Show As Imported maps the file's nodes through it, and
// `tessera inspect --optimize --provenance` prints it.
#include <map>
#include <string>
#include <vector>

namespace tessera {

struct FoldRecord {
    std::string node;   // the removed node's name
    std::string op;     // its op type
    std::string into;   // the surviving node that now does its work; empty when none (a constant, an edge)
    std::string value;  // the value that stands for its output afterwards (readers of it now read the result)
    std::string reason; // "fused into /conv1/Conv as its activation", "constant-folded", ...
    std::string pass;   // the pass that removed it
};

class FoldLog {
public:
    // The pass whose removals follow (runPasses sets it before each pass).
    void setPass(std::string pass) { m_pass = std::move(pass); }
    // Keeps the first record of a name; an empty `pass` is filled with the current one.
    void record(FoldRecord record);
    const std::vector<FoldRecord>& records() const { return m_records; }
    // The record of a removed node, null when the passes kept it.
    const FoldRecord* find(const std::string& node) const;
    // The node that carries `node`'s work at the end: `into` followed while that node was
    // itself removed later (a Relu fused into a Conv that ...); empty when none.
    std::string survivorOf(const std::string& node) const;

private:
    std::string m_pass;
    std::vector<FoldRecord> m_records;
    std::map<std::string, size_t> m_byNode;
};

} // namespace tessera
