#include "app/MainWindow.h"

#include "app/panels/ImagePreprocessDialog.h"
#include "app/panels/InputShapeDialog.h"
#include "app/panels/ChipPanel.h"
#include "app/panels/InspectorPanel.h"
#include "app/panels/LogPanel.h"
#include "app/panels/PanelRegistry.h"
#include "app/panels/QuantPanel.h"
#include "app/panels/RetrainPanel.h"
#include "app/panels/SimulationPanel.h"
#include "app/panels/SearchResults.h"
#include "app/panels/SummaryPanel.h"
#include "app/views/GraphExport.h"
#include "app/views/GraphScene.h"
#include "app/views/GraphView.h"
#include "app/views/NodeStyle.h"
#include "app/views/WindowFit.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>

static void initStudioResources()
{
    Q_INIT_RESOURCE(studio); // resources live in a static library
}

namespace tessera::studio {

namespace {
constexpr int kMaxRecent = 10;
constexpr int kStateVersion = 4; // bump when the default dock layout changes
const QSize kDefaultSize(1500, 920);
constexpr double kBottomDockShare = 0.36; // of the window height, the rest for the graph
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    initStudioResources();
    setWindowIcon(QIcon(":/icons/tessera.svg"));
    setAcceptDrops(true);
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);
    m_scene = new GraphScene(&m_model, this);
    m_view = new GraphView(m_scene, m_navigation, this);
    setCentralWidget(m_view);

    connect(m_layout, &LayoutController::layoutReady, this, [this] {
        m_scene->build(m_layout->layoutDocument(), *m_layout->layout(), m_layout->layoutBlocks());
        const int focus = m_layout->blocks()->takeFocusScope();
        if (focus >= 0) // keep the block just expanded or collapsed in view
            m_view->showRegion(m_scene->groupForScope(focus) ? m_scene->groupForScope(focus)->sceneBoundingRect()
                                                             : m_scene->scopeRect(focus));
        statusBar()->showMessage(tr("Laid out %1 boxes with %2 in %3 ms")
                                     .arg(m_layout->layout()->centers.size())
                                     .arg(m_layout->layout()->engine)
                                     .arg(m_layout->layout()->milliseconds, 0, 'f', 0),
                                 8000);
        emit documentShown();
    });
    connect(m_scene, &GraphScene::scopeCollapseRequested, m_layout->blocks(), &BlockController::setCollapsed);
    connect(m_scene, &GraphScene::hiddenNodeRevealRequested, m_layout->blocks(), &BlockController::reveal);
    connect(m_view, &GraphView::firstPainted, this, [this](double ms) {
        if (m_layout->layout())
            m_workspace.report(tr("Graph on screen: layout %1 ms (%2), scene + first paint %3 ms")
                              .arg(m_layout->layout()->milliseconds, 0, 'f', 0)
                              .arg(m_layout->layout()->engine)
                              .arg(ms, 0, 'f', 0));
    });
    connect(&m_workspace, &Workspace::panelRequested, this, [this](const QString& id) {
        if (auto* dock = findChild<QDockWidget*>(id)) {
            dock->show();
            dock->raise();
        }
    });
    connect(&m_workspace, &Workspace::modelOpened, this, &MainWindow::addRecentFile);
    connect(&m_model, &ProjectModel::modifiedChanged, this, [this] { updateTitle(); });
    connect(&m_model, &ProjectModel::projectChanged, this, [this] { updateTitle(); });
    connect(&m_model, &ProjectModel::documentChanged, this, [this] { updateTitle(); });

    createPanels();
    createActions();
    createToolBar();
    createStatusBar();
    restoreSettings();
    updateTitle();
}

MainWindow::~MainWindow()
{
    m_jobs.cancelAll();
    // The panels observe the workspace, a member destroyed after this body: they go first.
    qDeleteAll(findChildren<QDockWidget*>(Qt::FindDirectChildrenOnly));
}

QDockWidget* MainWindow::addPanel(const QString& id, const QString& title, QWidget* panel, Qt::DockWidgetArea area)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(id);
    // A panel whose content needs more room than its dock scrolls instead of growing the
    // window (long node names, tables, plots with minimum heights).
    auto* scroll = new QScrollArea;
    scroll->setWidget(panel);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    dock->setWidget(scroll);
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(area, dock);
    m_panels.insert(id, panel);
    if (m_panelsMenu)
        m_panelsMenu->addAction(dock->toggleViewAction());
    return dock;
}

void MainWindow::createPanels()
{
    const PanelContext context{&m_workspace, [this](const QString& id) { return panel(id); }};
    QVector<QDockWidget*> tabFronts; // a tab group shows the panel the others joined
    for (const PanelEntry& entry : studioPanels()) {
        QDockWidget* dock = addPanel(entry.id, entry.title, entry.create(context), entry.area);
        if (auto* right = findChild<QDockWidget*>(entry.leftOf); right && !entry.leftOf.isEmpty())
            splitDockWidget(dock, right, Qt::Horizontal);
        if (auto* front = findChild<QDockWidget*>(entry.tabWith); front && !entry.tabWith.isEmpty()) {
            tabifyDockWidget(front, dock);
            if (!tabFronts.contains(front))
                tabFronts.append(front);
        }
    }
    for (QDockWidget* front : tabFronts)
        front->raise();
}

template <class Panel>
static Panel* panelOf(const MainWindow& w, const QString& id)
{
    return qobject_cast<Panel*>(w.panel(id));
}

InspectorPanel* MainWindow::inspector() const { return panelOf<InspectorPanel>(*this, "inspector"); }
SummaryPanel* MainWindow::summary() const { return panelOf<SummaryPanel>(*this, "summary"); }
LogPanel* MainWindow::log() const { return panelOf<LogPanel>(*this, "log"); }
QuantPanel* MainWindow::quantPanel() const { return panelOf<QuantPanel>(*this, QuantController::kPanelId); }
ChipPanel* MainWindow::chipPanel() const { return panelOf<ChipPanel>(*this, "chip"); }

void MainWindow::createStatusBar()
{
    m_zoomLabel = new QLabel;
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(180);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_cancel = new QToolButton;
    m_cancel->setObjectName("cancelJobButton");
    m_cancel->setIcon(style::icon("cancel"));
    m_cancel->setToolTip(tr("Cancel the running job"));
    m_cancel->setAutoRaise(true);
    m_cancel->hide();
    m_statusText = new QLabel;
    statusBar()->addPermanentWidget(m_statusText);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    statusBar()->addPermanentWidget(m_zoomLabel);
    connect(m_view, &GraphView::zoomChanged, this, [this](double z) { m_zoomLabel->setText(QString("%1%").arg(qRound(z * 100))); });
    connect(m_cancel, &QToolButton::clicked, this, [this] { m_jobs.stopAll(); }); // a retrain keeps its best weights
    connect(&m_jobs, &JobManager::jobStarted, this, [this](int id, const QString& title) {
        m_shownJob = id;
        m_statusText->setText(title);
        m_progress->setValue(0);
    });
    connect(&m_jobs, &JobManager::jobProgress, this, [this](int id, double fraction, const QString& message) {
        if (id != m_shownJob)
            return;
        m_progress->setValue(static_cast<int>(fraction * 1000));
        m_statusText->setText(message);
    });
    connect(&m_jobs, &JobManager::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
        if (!busy)
            m_statusText->clear();
    });
    connect(log(), &LogPanel::errorLogged, this,
            [this](const QString& text) { statusBar()->showMessage(tr("Error: %1  (details in the Log panel)").arg(text.left(160)), 15000); });
}

void MainWindow::applyDefaultLayout()
{
    const auto dock = [this](const char* id) { return findChild<QDockWidget*>(id); };
    for (QDockWidget* d : findChildren<QDockWidget*>())
        d->show();
    const int bottom = static_cast<int>(height() * kBottomDockShare);
    resizeDocks({dock("summary"), dock("inspector")}, {width() * 22 / 100, width() * 24 / 100}, Qt::Horizontal);
    resizeDocks({dock("quant"), dock("log")}, {width() * 70 / 100, width() * 30 / 100}, Qt::Horizontal);
    resizeDocks({dock("quant")}, {bottom}, Qt::Vertical);
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState, kStateVersion);
    applyDefaultLayout();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(QPoint(), kDefaultSize);
    resize(kDefaultSize.boundedTo(screen.size() * 0.92));
    move(screen.center() - rect().center());
    applyDefaultLayout();
    m_defaultState = saveState(kStateVersion);
    if (restoreGeometry(settings.value("window/geometry").toByteArray()))
        keepOnScreen(*this);
    m_stateRestored = restoreState(settings.value("window/state").toByteArray(), kStateVersion);
}

void MainWindow::showEvent(QShowEvent* event)
{
    QMainWindow::showEvent(event);
    if (!m_shownOnce) { // the window manager's frame is known now
        m_shownOnce = true;
        keepOnScreen(*this);
        if (!m_stateRestored)
            applyDefaultLayout();
    }
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState(kStateVersion));
    m_jobs.cancelAll();
    event->accept();
}

void MainWindow::onExportGraphImage()
{
    if (!m_model.hasDocument())
        return;
    const QFileInfo model(m_model.project().modelPath);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export graph image"),
                                                      model.absoluteDir().filePath(model.completeBaseName() + ".png"),
                                                      tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    try {
        exportGraphImage(*m_scene, path);
        m_workspace.report(tr("Graph image written to %1").arg(path));
    } catch (const Error& e) {
        m_workspace.report(QString::fromStdString(e.what()), true);
    }
}

bool MainWindow::closeProject()
{
    if (!maybeSave())
        return false;
    m_jobs.cancelAll();
    m_model.setDocument(nullptr);
    m_model.newProject(QString());
    updateTitle();
    return true;
}

bool MainWindow::maybeSave()
{
    if (!m_model.isModified() || !isVisible())
        return true;
    const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save changes to the project?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save)
        return onSave();
    return answer == QMessageBox::Discard;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    for (const QUrl& url : event->mimeData()->urls()) {
        const QString suffix = QFileInfo(url.toLocalFile()).suffix().toLower();
        if (suffix == "onnx" || suffix == "tessera") {
            event->acceptProposedAction();
            return;
        }
    }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty())
        openPath(urls.first().toLocalFile());
}

void MainWindow::onOpen()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model or project"), settings.value("lastDir").toString(),
                                                      tr("Models and projects (*.onnx *.tessera);;ONNX models (*.onnx);;"
                                                         "Tessera projects (*.tessera);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue("lastDir", QFileInfo(path).absolutePath());
    openPath(path);
}

void MainWindow::openPath(const QString& path)
{
    if (!maybeSave())
        return;
    if (QFileInfo(path).suffix().toLower() == "tessera") {
        try {
            ProjectFile project = readProjectFile(path);
            const QString modelPath = project.modelPath;
            m_workspace.openModel(modelPath, std::move(project), path);
        } catch (const std::exception& e) {
            m_workspace.report(QString::fromUtf8(e.what()), true);
        }
        return;
    }
    m_workspace.openModel(path);
}

void MainWindow::showDocument(DocumentPtr doc)
{
    m_model.newProject(QString::fromStdString(doc->sourcePath()));
    m_model.setDocument(std::move(doc));
}

bool MainWindow::saveProjectTo(const QString& path)
{
    try {
        m_model.saveProject(path);
        addRecentFile(path);
        m_workspace.report(tr("Saved project %1").arg(path));
        return true;
    } catch (const std::exception& e) {
        m_workspace.report(QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool MainWindow::onSave()
{
    if (m_model.projectPath().isEmpty())
        return onSaveAs();
    return saveProjectTo(m_model.projectPath());
}

bool MainWindow::onSaveAs()
{
    if (m_model.project().modelPath.isEmpty())
        return false;
    const QFileInfo model(m_model.project().modelPath);
    const QString suggested = m_model.projectPath().isEmpty() ? model.absolutePath() + "/" + model.completeBaseName() + ".tessera"
                                                              : m_model.projectPath();
    QString path = QFileDialog::getSaveFileName(this, tr("Save project"), suggested, tr("Tessera projects (*.tessera)"));
    if (path.isEmpty())
        return false;
    if (!path.endsWith(".tessera"))
        path += ".tessera";
    return saveProjectTo(path);
}

void MainWindow::onExportPackage()
{
    if (!m_model.hasDocument())
        return;
    const QFileInfo model(m_model.project().modelPath);
    QString path = QFileDialog::getSaveFileName(this, tr("Export deployment binary"),
                                                model.absolutePath() + "/" + model.completeBaseName() + ".tpkg",
                                                tr("Tessera packages (*.tpkg)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(".tpkg"))
        path += ".tpkg";
    m_workspace.compile()->exportPackage(path);
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value("recentFiles").toStringList();
}

void MainWindow::addRecentFile(const QString& path)
{
    QStringList files = recentFiles();
    const QString abs = QFileInfo(path).absoluteFilePath();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > kMaxRecent)
        files.removeLast();
    QSettings().setValue("recentFiles", files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (const QString& f : files)
        m_recentMenu->addAction(QFileInfo(f).fileName(), this, [this, f] { openPath(f); })->setToolTip(f);
    if (!files.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("&Clear Recent Files"), this, [this] {
            QSettings().remove("recentFiles");
            rebuildRecentMenu();
        })->setObjectName("actionClearRecent");
    }
    m_recentMenu->setEnabled(!files.isEmpty());
    m_recentMenu->setToolTipsVisible(true);
}

void MainWindow::updateTitle()
{
    QString name = tr("untitled");
    if (!m_model.projectPath().isEmpty())
        name = QFileInfo(m_model.projectPath()).fileName();
    else if (!m_model.project().modelPath.isEmpty())
        name = QFileInfo(m_model.project().modelPath).fileName();
    setWindowTitle(QString("%1[*] — Tessera Studio").arg(name));
    setWindowModified(m_model.isModified());
}

} // namespace tessera::studio
