// The studio's panel registry (app/panels/PanelRegistry.h) driven offscreen: every row becomes a
// dock and a View > Panels entry, the panels observe the window's one Workspace (the same
// controller objects, not copies), and a panel request raises that dock.
#include "app/MainWindow.h"
#include "app/panels/ChipPanel.h"
#include "app/panels/PanelRegistry.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/RetrainPanel.h"
#include "app/panels/SimulationPanel.h"

#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QStandardPaths>
#include <QtTest>

using namespace tessera::studio;

namespace {

QMenu* subMenu(QWidget* parent, const QString& title)
{
    for (QMenu* m : parent->findChildren<QMenu*>())
        if (m->title().remove('&') == title)
            return m;
    return nullptr;
}

} // namespace

class TestPanelRegistry : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void everyPanelIsADockAndInViewPanels()
    {
        MainWindow w;
        QMenu* panels = subMenu(w.menuBar(), "Panels");
        QVERIFY(panels);
        QStringList menuTexts;
        for (QAction* a : panels->actions())
            menuTexts << a->text();
        QVERIFY(!studioPanels().isEmpty());
        for (const PanelEntry& entry : studioPanels()) {
            auto* dock = w.findChild<QDockWidget*>(entry.id);
            QVERIFY2(dock, qPrintable(entry.id));
            QCOMPARE(dock->windowTitle(), entry.title);
            QCOMPARE(w.dockWidgetArea(dock), entry.area);
            QVERIFY(w.panel(entry.id));
            QVERIFY(dock->isAncestorOf(w.panel(entry.id)));
            QVERIFY2(menuTexts.contains(entry.title), qPrintable(entry.title));
        }
        QCOMPARE(w.findChildren<QDockWidget*>().size(), studioPanels().size());
        QCOMPARE(menuTexts.size(), studioPanels().size());
    }

    void panelsObserveTheWorkspacesControllers()
    {
        MainWindow w;
        Workspace* ws = w.workspace();
        QCOMPARE(w.quantPanel()->controller(), ws->quant());
        QCOMPARE(w.chipPanel()->controller(), ws->compile());
        QCOMPARE(w.findChild<SimulationPanel*>()->controller(), ws->simulation());
        QCOMPARE(w.findChild<RetrainPanel*>()->controller(), ws->retrain());
        QCOMPARE(w.projectModel(), ws->model());
        QCOMPARE(w.jobs(), ws->jobs());
        QCOMPARE(w.findChildren<QuantController*>().size(), 0); // owned by the workspace, not by widgets
    }

    void panelRequestShowsItsDock()
    {
        MainWindow w;
        auto* retrain = w.findChild<QDockWidget*>(RetrainController::kPanelId);
        retrain->hide();
        w.workspace()->requestPanel(RetrainController::kPanelId);
        QVERIFY(!retrain->isHidden());
    }

    void colouringsAreViewActions()
    {
        MainWindow w;
        for (const NodeColouringEntry& entry : nodeColourings()) {
            QAction* toggle = w.findChild<QAction*>("actionColour" + entry.id);
            QVERIFY2(toggle, qPrintable(entry.id));
            QVERIFY(toggle->isCheckable());
        }
    }
};

QTEST_MAIN(TestPanelRegistry)
#include "test_panel_registry.moc"
