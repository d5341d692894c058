// MainWindow's menus and tool bar (File, Project, Model, Edit, View, Help), apart from the
// window's other work in MainWindow.cpp.
#include "app/MainWindow.h"
#include "app/model/InputShapes.h"
#include "app/model/ModelLoader.h"
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

namespace tessera::studio {

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(style::icon("open"), tr("&Open…"), this, &MainWindow::onOpen);
    open->setShortcut(QKeySequence::Open);
    open->setObjectName("actionOpen");
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    QAction* save = file->addAction(style::icon("save"), tr("&Save Project"), this, &MainWindow::onSave);
    save->setShortcut(QKeySequence::Save);
    save->setObjectName("actionSave");
    file->addAction(tr("Save Project &As…"), this, &MainWindow::onSaveAs)->setShortcut(QKeySequence::SaveAs);
    QAction* close = file->addAction(tr("&Close"), this, [this] { closeProject(); });
    close->setShortcut(QKeySequence::Close);
    close->setObjectName("actionClose");
    file->addSeparator();
    file->addAction(tr("&Export Deployment Binary…"), this, &MainWindow::onExportPackage)->setObjectName("actionExportPackage");
    file->addAction(tr("Export &Graph Image…"), this, &MainWindow::onExportGraphImage)->setObjectName("actionExportGraphImage");
    file->addAction(tr("Load Mixed-Precision &Report…"), this, [this] {
        // A `tessera mixed-precision --report` file (e.g. an energy search with DAC and ADC axes)
        // as the Pareto plot's points.
        const QString path = QFileDialog::getOpenFileName(this, tr("Mixed-precision report"),
                                                          QFileInfo(m_model.project().modelPath).absolutePath(),
                                                          tr("JSON reports (*.json);;All files (*)"));
        if (path.isEmpty())
            return;
        m_workspace.quant()->loadParetoReport(path);
        m_workspace.requestPanel(QuantController::kPanelId);
    })->setObjectName("actionLoadParetoReport");
    file->addSeparator();
    file->addAction(tr("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

    rebuildRecentMenu();
    createProjectAndEditMenus();
    createViewAndHelpMenus();
}

void MainWindow::createProjectAndEditMenus()
{
    QMenu* project = menuBar()->addMenu(tr("&Project"));
    project->addAction(tr("&Hardware Target…"), this, [this] {
        bool ok = false;
        const QStringList targets = CompileController::targetPresets();
        const int current = std::max<int>(0, static_cast<int>(targets.indexOf(m_workspace.compile()->targetName())));
        const QString target = QInputDialog::getItem(this, tr("Hardware target"), tr("Compile for:"), targets, current, false, &ok);
        if (ok)
            m_workspace.compile()->setTarget(target);
    });
    project->addAction(tr("&Calibration Dataset…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Calibration dataset"),
                                                          m_model.project().datasetPath.isEmpty()
                                                              ? QFileInfo(m_model.project().modelPath).absolutePath()
                                                              : m_model.project().datasetPath,
                                                          tr("NumPy arrays (*.npy);;All files (*)"));
        if (!path.isEmpty())
            m_workspace.chooseCalibrationData(path);
    });
    project->addAction(tr("Calibration &Image Folder…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Calibration images (PNG)"),
                                                              QFileInfo(m_model.project().modelPath).absolutePath());
        if (!dir.isEmpty())
            m_workspace.chooseCalibrationData(dir);
    });
    project->addAction(tr("Image &Preprocessing…"), this, [this] {
        ImagePreprocessDialog(&m_model, this).exec();
    })->setObjectName("actionImagePreprocessing");

    QMenu* modelMenu = menuBar()->addMenu(tr("&Model"));
    modelMenu->addAction(tr("&Input Shapes…"), this, [this] {
        if (m_model.hasDocument())
            InputShapeDialog(&m_model, this).exec();
    })->setObjectName("actionInputShapes");

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_model.undoStack()->createUndoAction(this);
    undo->setShortcut(QKeySequence::Undo);
    undo->setIcon(style::icon("undo"));
    QAction* redo = m_model.undoStack()->createRedoAction(this);
    redo->setShortcut(QKeySequence::Redo);
    redo->setIcon(style::icon("redo"));
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* find = edit->addAction(style::icon("search"), tr("&Find Node…"), this, [this] {
        m_searchField->setFocus();
        m_searchField->selectAll();
    });
    find->setShortcut(QKeySequence::Find);

}

void MainWindow::createViewAndHelpMenus()
{
    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_viewMenu->addAction(style::icon("zoom-in"), tr("Zoom &In"), this, [this] { m_view->zoomBy(1.25); })
        ->setShortcut(QKeySequence::ZoomIn);
    m_viewMenu->addAction(style::icon("zoom-out"), tr("Zoom &Out"), this, [this] { m_view->zoomBy(0.8); })
        ->setShortcut(QKeySequence::ZoomOut);
    m_viewMenu->addAction(style::icon("fit"), tr("&Fit to Window"), this, [this] { m_view->fitToWindow(); })
        ->setShortcut(Qt::CTRL | Qt::Key_0);
    QAction* minimap = m_viewMenu->addAction(tr("&Minimap"));
    minimap->setCheckable(true);
    minimap->setChecked(true);
    connect(minimap, &QAction::toggled, m_view, &GraphView::setMinimapVisible);
    QAction* shapes = m_viewMenu->addAction(tr("Tensor &Shapes on Edges"));
    shapes->setObjectName("actionEdgeShapes");
    shapes->setCheckable(true);
    connect(shapes, &QAction::toggled, m_scene, &GraphScene::setEdgeShapesShown);
    QAction* collapse = m_viewMenu->addAction(tr("&Collapse Blocks"));
    collapse->setObjectName("actionCollapseBlocks");
    collapse->setCheckable(true);
    collapse->setToolTip(tr("Draw each repeated block (name scope, e.g. one transformer layer) as one box; "
                            "on by default above %1 nodes")
                             .arg(kCollapseAboveNodes));
    connect(collapse, &QAction::triggered, m_layout->blocks(), &BlockController::setEnabled);
    connect(m_layout->blocks(), &BlockController::enabledChanged, collapse, &QAction::setChecked);
    QAction* asImported = m_viewMenu->addAction(tr("Show As &Imported"));
    asImported->setObjectName("actionShowAsImported");
    asImported->setCheckable(true);
    asImported->setToolTip(tr("Draw the graph as the file has it (weights through Identity nodes); the Inspector "
                              "says what each node became. Counts and placement stay those of the cleaned graph"));
    connect(asImported, &QAction::triggered, m_layout, &LayoutController::setShowAsImported);
    connect(m_layout, &LayoutController::showAsImportedChanged, asImported, &QAction::setChecked);
    m_viewMenu->addAction(style::icon("relayout"), tr("&Re-run Layout"), this, [this] { m_layout->relayout(); });
    m_viewMenu->addAction(tr("Reset &Window Layout"), this, &MainWindow::resetLayout)->setObjectName("actionResetLayout");
    m_viewMenu->addSeparator();
    createColouringActions();
    m_panelsMenu = m_viewMenu->addMenu(tr("&Panels"));
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        m_panelsMenu->addAction(dock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), this, [this] {
        QMessageBox::information(this, tr("Keyboard shortcuts"),
                                 tr("Ctrl+F  find node by name or op (Enter: next match)\n"
                                    "Up / Down  go to producer / consumer\n"
                                    "Left / Right  previous / next sibling\n"
                                    "+ / -  zoom,  0  fit to window,  drag to pan\n"
                                    "Double-click a block (or its +)  expand it; − on its frame collapses it\n"
                                    "Ctrl+Z / Ctrl+Shift+Z  undo / redo"));
    });
    help->addAction(tr("&About Tessera Studio"), this, [this] {
        QMessageBox::about(this, tr("About Tessera Studio"),
                           tr("Tessera Studio %1\nImport, inspect, quantize and compile ONNX models for analog "
                              "matrix processors.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::createColouringActions()
{
    for (const NodeColouringEntry& entry : nodeColourings()) {
        QAction* toggle = m_viewMenu->addAction(entry.title);
        toggle->setObjectName("actionColour" + entry.id);
        toggle->setCheckable(true);
        auto recolour = [this, toggle, entry] {
            m_scene->setNodeColouring(toggle->isChecked() ? entry.colouring(&m_workspace) : nullptr);
            m_view->setLegendRows(toggle->isChecked() ? entry.legend(&m_workspace) : LegendRows{});
        };
        connect(toggle, &QAction::toggled, this, recolour);
        // The view mode is part of the project: saved with it, restored when it is opened.
        connect(toggle, &QAction::toggled, this, [this, key = entry.stateKey](bool on) {
            QJsonObject view = m_model.panelState("view");
            view[key] = on;
            m_model.setViewState("view", view);
        });
        connect(&m_model, &ProjectModel::projectChanged, this, [this, toggle, key = entry.stateKey] {
            toggle->setChecked(m_model.panelState("view").value(key).toBool());
        });
        entry.watch(&m_workspace, toggle, [toggle, recolour] {
            if (toggle->isChecked())
                recolour();
        });
    }
}

void MainWindow::createToolBar()
{
    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName("mainToolBar");
    bar->setIconSize(QSize(20, 20));
    bar->setMovable(false);
    for (QAction* a : findChildren<QAction*>())
        if (a->objectName() == "actionOpen" || a->objectName() == "actionSave")
            bar->addAction(a);
    bar->addSeparator();
    bar->addActions({m_viewMenu->actions().at(0), m_viewMenu->actions().at(1), m_viewMenu->actions().at(2)});
    bar->addSeparator();
    m_searchField = new QLineEdit;
    m_searchField->setPlaceholderText(tr("Find node by name or op  (Ctrl+F)"));
    m_searchField->setClearButtonEnabled(true);
    m_searchField->setMaximumWidth(320);
    m_searchField->addAction(style::icon("search"), QLineEdit::LeadingPosition);
    bar->addWidget(m_searchField);
    m_searchStatus = new QLabel;
    m_searchStatus->setContentsMargins(8, 0, 8, 0);
    bar->addWidget(m_searchStatus);
    connect(m_searchField, &QLineEdit::returnPressed, this, [this] { m_search->findNext(m_searchField->text()); });
    m_searchResults = new SearchResults(m_searchField, m_search, &m_model);
    connect(m_search, &SearchController::statusChanged, m_searchStatus, &QLabel::setText);
}

} // namespace tessera::studio
