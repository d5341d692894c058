#pragma once
// The studio frame: graph view in the centre, docks around it, one Workspace (project model,
// jobs, the controllers and their artifacts). The docks come from the panel registry
// (app/panels/PanelRegistry.h: add a row there for a new panel), the View menu's node
// colourings from its colouring list. Menus and tool bar are defined in MainWindowMenus.cpp.
#include "app/controllers/Workspace.h"

#include <QHash>
#include <QMainWindow>

class QLabel;
class QLineEdit;
class QProgressBar;
class QToolButton;
class QMenu;

namespace tessera::studio {

class GraphScene;
class GraphView;
class InspectorPanel;
class SummaryPanel;
class LogPanel;
class QuantPanel;
class ChipPanel;
class SearchResults;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a model (.onnx) or a project (.tessera) in the background.
    void openPath(const QString& path);
    // Shows an in-memory document (synthetic graphs, tests).
    void showDocument(DocumentPtr doc);
    // File > Close: asks to save changes, cancels running jobs and leaves the empty studio.
    // Returns false when the user cancelled.
    bool closeProject();
    bool saveProjectTo(const QString& path); // false (and a log entry) on failure

    // Adds a dock with a View menu toggle; `id` names it in the saved window state.
    QDockWidget* addPanel(const QString& id, const QString& title, QWidget* panel, Qt::DockWidgetArea area);

    Workspace* workspace() { return &m_workspace; }
    ProjectModel* projectModel() { return &m_model; }
    JobManager* jobs() { return &m_jobs; }
    // A registered panel by its id (PanelEntry::id), null if there is none.
    QWidget* panel(const QString& id) const { return m_panels.value(id); }
    LayoutController* layoutController() { return m_layout; }
    SearchController* searchController() { return m_search; }
    GraphScene* graphScene() const { return m_scene; }
    GraphView* graphView() const { return m_view; }
    InspectorPanel* inspector() const;
    SummaryPanel* summary() const;
    LogPanel* log() const;
    QuantPanel* quantPanel() const;
    ChipPanel* chipPanel() const;
    QLineEdit* searchField() const { return m_searchField; }
    SearchResults* searchResults() const { return m_searchResults; }
    QStringList recentFiles() const;

signals:
    void documentShown(); // graph built in the scene after a load/layout

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions(); // File menu, then the two below
    void createProjectAndEditMenus();
    void createViewAndHelpMenus();
    void createToolBar();
    void createStatusBar();
    void createPanels(); // studioPanels(), in order
    void createColouringActions(); // nodeColourings(), in the View menu
    void restoreSettings();    // saved geometry kept on screen, else the default size and docks
    void applyDefaultLayout(); // dock sizes as shares of the window: the graph keeps most of it
    void resetLayout();        // View > Reset Window Layout
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void updateTitle();
    void onOpen();
    void onExportGraphImage(); // File > Export Graph Image… (app/views/GraphExport.h)
    bool onSave();
    bool onSaveAs();
    bool maybeSave();
    void onExportPackage();

    Workspace m_workspace;
    ProjectModel& m_model = *m_workspace.model();
    JobManager& m_jobs = *m_workspace.jobs();
    QHash<QString, QWidget*> m_panels; // registry id -> panel
    LayoutController* m_layout = m_workspace.layout();
    SearchController* m_search = m_workspace.search();
    NavigationController* m_navigation = m_workspace.navigation();
    GraphScene* m_scene;
    GraphView* m_view;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_panelsMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLineEdit* m_searchField = nullptr;
    SearchResults* m_searchResults = nullptr;
    QLabel* m_searchStatus = nullptr;
    QLabel* m_statusText = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QToolButton* m_cancel = nullptr;
    int m_shownJob = 0;
    QByteArray m_defaultState;
    bool m_stateRestored = false;
    bool m_shownOnce = false;
};

} // namespace tessera::studio
