#pragma once
// Repeated blocks of a graph, from its node names, and the collapsed display graph they
// give. Exporters name nodes by module path: PyTorch writes "/layers.3/self_attn/MatMul"
// or "/layer1/layer1.0/conv1/Conv", TensorFlow "model/block_3/conv/Conv2D". Every prefix
// of such a name (the last part is the op's own name) is a name scope, as Netron,
// TensorBoard and model-explorer group them. A collapsed scope is drawn as one box; the
// edges between boxes are aggregated (one per pair, with a count).
// No widgets, no Qt: the layout worker and the tests use it as is.
#include "app/model/GraphDocument.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera::studio {

struct BlockScope {
    std::string name;          // last part, "layers.3"
    std::string path;          // "layers.3/self_attn"
    int parent = -1;           // scope index, -1 at the top level
    int depth = 0;             // 0 for top-level scopes
    std::vector<int> children; // child scopes, in order of first appearance
    std::vector<int> members;  // display indices of the op nodes in it or below, in display order
    int64_t params = 0;
    int64_t macs = 0;
    int64_t analogMacs = 0;
    int analogNodes = 0;
};

// The scope hierarchy of a document's drawn op nodes.
class ScopeTree {
public:
    explicit ScopeTree(const GraphDocument& doc);

    const std::vector<BlockScope>& scopes() const { return m_scopes; }
    const BlockScope& scope(int index) const { return m_scopes.at(index); }
    // Innermost scope of a display node, -1 when it has none (pills, names without '/').
    int scopeOf(int displayIndex) const;
    int findPath(const std::string& path) const; // -1 when there is no such scope
    // Worth a box of its own: at least two op nodes.
    bool collapsible(int scope) const { return m_scopes.at(scope).members.size() >= 2; }
    bool isEmpty() const { return m_scopes.empty(); }
    // Scope path parts of a node name: "/layers.3/self_attn/MatMul" -> {layers.3, self_attn}.
    static std::vector<std::string> scopePartsOf(const std::string& nodeName);

    // The overview's collapsed set (one flag per scope): every collapsible scope at or
    // below the shallowest depth whose overview has at least `minGroups` blocks or
    // `minItems` boxes (depth 0 when none has), so a transformer opens as one box per
    // layer, a ResNet as its four stages (expanding a stage shows its bottlenecks), and a
    // model inside one top-level scope ("/encoder/...") one level further in.
    std::vector<char> defaultCollapsed(int minGroups = 3, int minItems = 8) const;
    std::vector<char> collapsedFromDepth(int depth) const;

private:
    const GraphDocument& m_doc;
    std::vector<BlockScope> m_scopes;
    std::vector<int> m_scopeOfDisplay; // by display index
    std::unordered_map<std::string, int> m_byPath;
};

// One box of the collapsed display graph: a display node, or a collapsed scope.
struct BlockItem {
    int display = -1; // display node index, or -1 for a scope
    int scope = -1;   // scope index, or -1 for a display node
};

struct BlockEdge {
    int from = -1; // item indices
    int to = -1;
    ValueId value = kNoValue; // the first tensor along it
    int count = 1;            // display edges it stands for
};

// The display graph with each outermost collapsed scope replaced by one item.
// An empty `collapsed` gives the display graph itself, item i = display node i.
class BlockView {
public:
    BlockView(const GraphDocument& doc, const ScopeTree* tree, const std::vector<char>& collapsed);

    const std::vector<BlockItem>& items() const { return m_items; }
    const std::vector<BlockEdge>& edges() const { return m_edges; }
    const std::vector<char>& collapsed() const { return m_collapsed; }
    // The item that draws a display node (itself, or the collapsed scope hiding it).
    int itemOfDisplay(int displayIndex) const { return m_itemOfDisplay.at(displayIndex); }
    int itemOfScope(int scope) const; // -1 when the scope is not drawn as a box
    int groupCount() const { return m_groups; }
    bool isHidden(int displayIndex) const { return m_items[itemOfDisplay(displayIndex)].display != displayIndex; }

private:
    int outermostCollapsed(int displayIndex, const ScopeTree& tree) const;

    std::vector<char> m_collapsed;
    std::vector<BlockItem> m_items;
    std::vector<BlockEdge> m_edges;
    std::vector<int> m_itemOfDisplay;
    std::unordered_map<int, int> m_itemOfScope;
    int m_groups = 0;
};

} // namespace tessera::studio

namespace tessera::studio {

// A collapsed view with the scope tree it was made from (null tree: nothing collapsed).
// The tree refers to its document: keep the document alive as long as this.
struct BlockSnapshot {
    std::shared_ptr<const ScopeTree> tree;
    std::shared_ptr<const BlockView> view;
};

} // namespace tessera::studio
