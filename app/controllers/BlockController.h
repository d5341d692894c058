#pragma once
// Which name scopes of the current document are drawn collapsed (View > Collapse Blocks).
// Collapsing is on by default for graphs above kCollapseAboveNodes op nodes; expanding or
// collapsing one scope, or revealing a node hidden in one, asks for a new layout
// (changed()). The scope logic itself is in app/model/BlockScopes.h.
// With a project model the choice is part of the project (panels.view.collapseBlocks, and
// panels.view.blockOverrides: the scopes whose state differs from the default overview).
#include "app/model/BlockScopes.h"
#include "app/model/ProjectModel.h"

#include <QObject>

namespace tessera::studio {

constexpr int kCollapseAboveNodes = 500;

class BlockController : public QObject {
    Q_OBJECT
public:
    explicit BlockController(ProjectModel* project = nullptr, QObject* parent = nullptr)
        : QObject(parent), m_project(project)
    {
    }

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
    // The project's saved choice for this model, if any (sets m_collapsed); returns whether
    // collapsing is on.
    bool restoreFromProject(bool enabledByDefault);
    void saveToProject() const;

    ProjectModel* m_project;
    DocumentPtr m_doc;
    std::shared_ptr<const ScopeTree> m_tree;
    std::vector<char> m_collapsed;
    std::vector<char> m_default; // the default overview's flags
    bool m_enabled = false;
    int m_focusScope = -1;
};

} // namespace tessera::studio
