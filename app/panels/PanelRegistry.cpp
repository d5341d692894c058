#include "app/panels/PanelRegistry.h"

#include "app/controllers/Workspace.h"
#include "app/panels/ChipPanel.h"
#include "app/panels/InspectorPanel.h"
#include "app/panels/LogPanel.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/RetrainPanel.h"
#include "app/panels/SimulationPanel.h"
#include "app/panels/SummaryPanel.h"

#include <QCoreApplication>

namespace tessera::studio {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("StudioPanels", text); }

// A panel whose message(text, isError) signal reports to the workspace's log.
template <class Panel>
Panel* reporting(Panel* panel, Workspace* ws)
{
    QObject::connect(panel, &Panel::message, ws, &Workspace::report);
    return panel;
}

} // namespace

const QVector<PanelEntry>& studioPanels()
{
    static const QVector<PanelEntry> panels = {
        {"summary", tr("Model Summary"), Qt::LeftDockWidgetArea, {}, {},
         [](const PanelContext& c) { return new SummaryPanel(c.workspace->model()); }},
        {"inspector", tr("Inspector"), Qt::RightDockWidgetArea, {}, {},
         [](const PanelContext& c) { return reporting(new InspectorPanel(c.workspace->model()), c.workspace); }},
        {"log", tr("Log"), Qt::BottomDockWidgetArea, {}, {},
         [](const PanelContext& c) {
             auto* log = new LogPanel(c.workspace->jobs());
             QObject::connect(c.workspace, &Workspace::message, log, &LogPanel::append);
             return log;
         }},
        {QuantController::kPanelId, tr("Quantization"), Qt::BottomDockWidgetArea, {}, "log",
         [](const PanelContext& c) { return reporting(new QuantPanel(c.workspace), c.workspace); }},
        {"chip", tr("Chip View"), Qt::BottomDockWidgetArea, QuantController::kPanelId, {},
         [](const PanelContext& c) { return reporting(new ChipPanel(c.workspace->model(), c.workspace->compile()), c.workspace); }},
        {SimulationController::kPanelId, tr("Simulation"), Qt::BottomDockWidgetArea, QuantController::kPanelId, {},
         [](const PanelContext& c) {
             auto* chip = qobject_cast<ChipPanel*>(c.panel("chip"));
             return reporting(new SimulationPanel(c.workspace->model(), c.workspace->simulation(), chip), c.workspace);
         }},
        {RetrainController::kPanelId, tr("Retrain"), Qt::BottomDockWidgetArea, QuantController::kPanelId, {},
         [](const PanelContext& c) { return reporting(new RetrainPanel(c.workspace->model(), c.workspace->retrain()), c.workspace); }},
    };
    return panels;
}

const QVector<NodeColouringEntry>& nodeColourings()
{
    static const QVector<NodeColouringEntry> colourings = {
        {"ByBits", tr("Colour Nodes by &Bits"), "colourByBits",
         [](Workspace* ws) { return bitsColouring(ws->quant()); },
         [](Workspace* ws) { return bitsLegend(ws->quant()); },
         [](Workspace* ws, QObject* context, std::function<void()> refresh) {
             QObject::connect(ws->quant(), &QuantController::bitsChanged, context, refresh);
         }},
    };
    return colourings;
}

} // namespace tessera::studio
