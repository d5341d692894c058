#pragma once
// The studio's one model of the project, without widgets (Qt Test drives it directly): the
// ProjectModel (document, project file, selection, undo stack), the JobManager and the
// controllers that make the project's artifacts: quantization (QuantController), compile
// (CompileController), simulation (SimulationController) and retraining (RetrainController).
// Panels receive the workspace (or their controller from it) and only observe; edits go
// through the controllers, which push QUndoCommands on the model's undo stack. Each artifact
// has an accessor and a signal here, so a new view need not know which controller makes it.
// The graph view's controllers live here too: layout (with the collapsed blocks), search and
// keyboard navigation; the window only wires widgets to them.
#include "app/controllers/CompileController.h"
#include "app/controllers/LayoutController.h"
#include "app/controllers/NavigationController.h"
#include "app/controllers/SearchController.h"
#include "app/controllers/QuantController.h"
#include "app/controllers/RetrainController.h"
#include "app/controllers/SimulationController.h"
#include "app/jobs/JobManager.h"
#include "app/model/ProjectModel.h"

#include <QObject>

#include <functional>

#include <memory>
#include <optional>

namespace tessera::studio {

class Workspace : public QObject {
    Q_OBJECT
public:
    // `retrainRunner` empty: the training engine when the studio was built with it (tests pass
    // a fake, see RetrainController).
    explicit Workspace(RetrainRunner retrainRunner = {}, QObject* parent = nullptr);
    ~Workspace() override; // cancels running jobs first, then the controllers go

    ProjectModel* model() { return &m_model; }
    JobManager* jobs() { return &m_jobs; }
    QuantController* quant() const { return m_quant.get(); }
    CompileController* compile() const { return m_compile.get(); }
    SimulationController* simulation() const { return m_simulation.get(); }
    RetrainController* retrain() const { return m_retrain.get(); }
    LayoutController* layout() const { return m_layout.get(); }
    SearchController* search() const { return m_search.get(); }
    NavigationController* navigation() const { return m_navigation.get(); }

    // The project's artifacts (null while there is none).
    const DocumentPtr& document() const { return m_model.document(); }
    std::shared_ptr<const QuantSpec> quantSpec() const { return m_quant->baseResult(); } // calibrated, before chosen bits
    std::shared_ptr<const CompiledModel> compiled() const { return m_compile->compiled(); }
    const SimulationResult* simulationResult() const { return m_simulation->result(); }

    // Opens a model file in the background (a "load" job: a newer one cancels it), in a new
    // project or in `project` read from `projectPath`; emits modelOpened when it is the
    // document. Import errors go to the log.
    int openModel(const QString& modelPath, std::optional<ProjectFile> project = std::nullopt,
                  const QString& projectPath = {});
    // The project's model imported again with the project's input shapes: run on
    // SetInputShapes and on a new model path (AdoptTunedModel). The project stays. When the
    // import refuses shapes just set (a dim the model declares otherwise), that edit is
    // undone and the log says why, so the project never holds shapes its model cannot take.
    int reloadModel();

    // Project > Calibration Dataset / Image Folder: makes `path` (an .npy file or a folder of
    // PNG images) the project's calibration data. When its samples fix symbolic input dims
    // (a detector's H and W) the input shapes are set from them as an undoable edit
    // (SetInputShapes: the model is imported again); when they cannot feed the model the
    // log says why, naming the file and the input, and neither the dataset nor the shapes
    // change. Returns the log line.
    QString chooseCalibrationData(const QString& path);
    // The dock's Eval Data… / Eval Images…: the same for the evaluation data (and its labels).
    QString chooseEvaluationData(const QString& inputs, const QString& labels = {});

    // Asks the window to show and raise a panel by its registry id (PanelRegistry.h).
    void requestPanel(const QString& id) { emit panelRequested(id); }
    // A line for the log (panels and controllers report here; the log panel observes it).
    void report(const QString& text, bool isError = false) { emit message(text, isError); }

signals:
    void documentChanged();
    void quantSpecChanged();      // calibration or the chosen bits changed
    void compiledChanged();       // a compile finished or was dropped
    void simulationResultChanged();
    void panelRequested(const QString& id);
    void modelOpened(const QString& path); // openModel's: the project's path, else the model's
    void message(const QString& text, bool isError);

private:
    // Fits `path` to the model (ShapesFromData.h); unless it is a misfit, `take` makes it the
    // project's `role` data and a reshape is pushed. Logs and returns the line.
    QString chooseData(const QString& path, const QString& role, const std::function<void()>& take);

    ProjectModel m_model;
    JobManager m_jobs;
    std::unique_ptr<QuantController> m_quant;
    std::unique_ptr<CompileController> m_compile;
    std::unique_ptr<SimulationController> m_simulation;
    std::unique_ptr<RetrainController> m_retrain;
    std::unique_ptr<LayoutController> m_layout;
    std::unique_ptr<SearchController> m_search;
    std::unique_ptr<NavigationController> m_navigation;
    int m_reloadJob = 0;
    bool m_undoingShapes = false; // the refused edit's undo needs no re-import
};

} // namespace tessera::studio
