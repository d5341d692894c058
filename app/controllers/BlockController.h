#pragma once
// Which name scopes of the current document are drawn collapsed (View > Collapse Blocks).
// Collapsing is on by default for graphs above kCollapseAboveNodes op nodes; expanding or
// collapsing one scope, or revealing a node hidden in one, asks for a new layout
// (changed()). The scope logic itself is in app/model/BlockScopes.h.
#include "app/model/BlockScopes.h"

#include <QObject>

namespace tessera::studio {

constexpr int kCollapseAboveNodes = 500;

class BlockController : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // A new document: a new scope tree, collapsing on or off by its size, the default set.
    void setDocument(const DocumentPtr& doc);
    bool isEnabled() const { return m_enabled; }
    void setEnabled(bool on); // on: back to the default collapsed set
    // Expand or collapse one scope. Collapsing while disabled enables collapsing with
    // only that scope collapsed.
    void setCollapsed(int scope, bool collapsed);
    // Expands every collapsed scope that hides `node`; false when it is visible already.
    bool reveal(NodeId node);
    // The view to lay out now (nothing collapsed while disabled or without scopes).
    BlockSnapshot snapshot() const;
    const ScopeTree* tree() const { return m_tree.get(); }
    // Where the next layout should keep the view: the scope last expanded or collapsed
    // (-1 for none), cleared by reading.
    int takeFocusScope();

signals:
    void changed();
    void enabledChanged(bool on);

private:
    DocumentPtr m_doc;
    std::shared_ptr<const ScopeTree> m_tree;
    std::vector<char> m_collapsed;
    bool m_enabled = false;
    int m_focusScope = -1;
};

} // namespace tessera::studio
