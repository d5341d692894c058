#pragma once
// The studio's panels and node colourings as lists: one row each. MainWindow iterates them to
// create the docks, the View > Panels menu and the View menu's colouring toggles, so a new
// panel (or colouring) adds a row here, not MainWindow code. Panels get the Workspace (or
// their controller from it) and only observe it; their messages go to Workspace::report.
#include "app/model/GraphDocument.h"

#include <QColor>
#include <QPair>
#include <QString>
#include <QVector>

#include <functional>

class QObject;
class QWidget;

namespace tessera::studio {

class Workspace;

struct PanelContext {
    Workspace* workspace = nullptr;
    std::function<QWidget*(const QString& id)> panel; // a panel made earlier in the list (else null)
};

struct PanelEntry {
    QString id;    // the dock's object name (saved window state) and Workspace::requestPanel's id
    QString title; // dock title and View > Panels entry
    Qt::DockWidgetArea area;
    QString tabWith; // id of an earlier panel whose tab group it joins (that one stays in front)
    QString leftOf;  // id of an earlier panel it sits left of (a horizontal split)
    std::function<QWidget*(const PanelContext&)> create;
};

// In dock creation (and View > Panels) order.
const QVector<PanelEntry>& studioPanels();

using NodeColouring = std::function<QColor(NodeId)>;
using LegendRows = QVector<QPair<QColor, QString>>;

struct NodeColouringEntry {
    QString id;       // the View menu action is "actionColour" + id; panels.view.<stateKey> saves it
    QString title;    // View menu text
    QString stateKey; // bool in the project's "view" panel state
    std::function<NodeColouring(Workspace*)> colouring;
    std::function<LegendRows(Workspace*)> legend;
    // Calls `refresh` (with `context` alive) whenever the colouring's input changes.
    std::function<void(Workspace*, QObject* context, std::function<void()> refresh)> watch;
};

const QVector<NodeColouringEntry>& nodeColourings();

} // namespace tessera::studio
