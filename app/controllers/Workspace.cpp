#include "app/controllers/Workspace.h"

#include "app/model/ModelLoader.h"
#include "app/model/ShapesFromData.h"

#include <QFileInfo>

namespace tessera::studio {

Workspace::Workspace(RetrainRunner retrainRunner, QObject* parent)
    : QObject(parent), m_quant(std::make_unique<QuantController>(&m_model, &m_jobs)),
      m_compile(std::make_unique<CompileController>(&m_model, &m_jobs, m_quant.get())),
      m_simulation(std::make_unique<SimulationController>(&m_model, &m_jobs, m_quant.get(), m_compile.get())),
      m_retrain(std::make_unique<RetrainController>(&m_model, &m_jobs, m_quant.get(), std::move(retrainRunner))),
      m_layout(std::make_unique<LayoutController>(&m_model, &m_jobs)),
      m_search(std::make_unique<SearchController>(&m_model)),
      m_navigation(std::make_unique<NavigationController>(&m_model))
{
    connect(&m_model, &ProjectModel::documentChanged, this, &Workspace::documentChanged);
    connect(m_quant.get(), &QuantController::calibrationChanged, this, &Workspace::quantSpecChanged);
    connect(m_quant.get(), &QuantController::bitsChanged, this, &Workspace::quantSpecChanged);
    connect(m_compile.get(), &CompileController::resultChanged, this, &Workspace::compiledChanged);
    connect(m_simulation.get(), &SimulationController::resultChanged, this, &Workspace::simulationResultChanged);
    connect(&m_model, &ProjectModel::inputShapesChanged, this, [this] {
        if (!m_undoingShapes)
            reloadModel();
    });
    connect(&m_jobs, &JobManager::jobFailed, this, [this](int id, const QString&, const QString& error) {
        QUndoStack* undo = m_model.undoStack();
        const QUndoCommand* last = undo->index() > 0 ? undo->command(undo->index() - 1) : nullptr;
        if (id != m_reloadJob || !dynamic_cast<const SetInputShapes*>(last))
            return;
        m_undoingShapes = true; // the document still has the shapes before the edit
        undo->undo();
        m_undoingShapes = false;
        report(tr("Input shapes not applied (undone): %1").arg(error), true);
    });
    connect(&m_model, &ProjectModel::modelPathChanged, this, &Workspace::reloadModel);
}

Workspace::~Workspace()
{
    m_jobs.cancelAll();
    m_navigation.reset();
    m_search.reset();
    m_layout.reset();
    m_retrain.reset();
    m_simulation.reset();
    m_compile.reset();
    m_quant.reset();
}

int Workspace::openModel(const QString& modelPath, std::optional<ProjectFile> project, const QString& projectPath)
{
    const std::string path = modelPath.toStdString();
    const InputShapeMap shapes = project ? inputShapesOf(*project) : InputShapeMap{};
    const QString opened = projectPath.isEmpty() ? modelPath : projectPath;
    return m_jobs.start(tr("Open %1").arg(QFileInfo(modelPath).fileName()), "load",
                        [this, path, shapes, project, projectPath, modelPath, opened](ProgressSink& progress) -> JobApply {
                            DocumentPtr doc = loadModelDocument(path, progress, shapes);
                            return [this, doc, project, projectPath, modelPath, opened] {
                                if (project)
                                    m_model.adoptProject(*project, projectPath);
                                else
                                    m_model.newProject(modelPath);
                                m_model.setDocument(doc);
                                emit modelOpened(opened);
                                if (doc->isLenient())
                                    report(tr("%1 has unsupported parts; shown for inspection: %2")
                                               .arg(QFileInfo(modelPath).fileName(),
                                                    QString::fromStdString(doc->strictImportError())),
                                           true);
                            };
                        });
}

int Workspace::reloadModel()
{
    const QString modelPath = m_model.project().modelPath;
    if (modelPath.isEmpty())
        return 0;
    const InputShapeMap shapes = inputShapesOf(m_model.project());
    return m_reloadJob = m_jobs.start(tr("Re-import %1").arg(QFileInfo(modelPath).fileName()), "load",
                        [this, path = modelPath.toStdString(), shapes](ProgressSink& progress) -> JobApply {
                            DocumentPtr doc = loadModelDocument(path, progress, shapes);
                            return [this, doc] { m_model.setDocument(doc); };
                        });
}

QString Workspace::chooseCalibrationData(const QString& path)
{
    return chooseData(path, tr("calibration dataset"), [this, path] { m_model.setDatasetPath(path); });
}

QString Workspace::chooseEvaluationData(const QString& inputs, const QString& labels)
{
    return chooseData(inputs, tr("evaluation data"), [this, inputs, labels] { m_quant->setEvalData(inputs, labels); });
}

QString Workspace::chooseData(const QString& path, const QString& role, const std::function<void()>& take)
{
    if (!m_model.hasDocument()) {
        take();
        return {};
    }
    const DataShapeFit fit = fitShapesToData(*m_model.document(), m_model.project(), path);
    if (fit.kind == DataShapeFit::Kind::Misfit) {
        const QString text = tr("%1. Not set as the %2: it stays as it was, nothing changed.").arg(fit.text, role);
        report(text, true);
        return text;
    }
    take();
    if (fit.kind == DataShapeFit::Kind::Reshape)
        m_model.undoStack()->push(new SetInputShapes(&m_model, fit.shapes));
    report(fit.text);
    return fit.text;
}

} // namespace tessera::studio
