#pragma once
// The loaded project: the model document, the project settings and per-layer choices,
// the shared selection and the undo stack. Every view observes this one object.
#include "app/model/GraphDocument.h"
#include "app/model/ProjectFile.h"
#include "app/model/SelectionModel.h"

#include <QObject>
#include <QUndoCommand>
#include <QUndoStack>

namespace tessera::studio {

class ProjectModel : public QObject {
    Q_OBJECT
public:
    explicit ProjectModel(QObject* parent = nullptr);

    const DocumentPtr& document() const { return m_document; }
    bool hasDocument() const { return m_document != nullptr; }
    // Replaces the model (keeps the project settings and layer choices).
    void setDocument(DocumentPtr document);

    SelectionModel* selection() { return &m_selection; }
    QUndoStack* undoStack() { return &m_undo; }

    const ProjectFile& project() const { return m_project; }
    const QString& projectPath() const { return m_projectPath; } // empty until saved/opened
    // Starts a fresh project around a model file (no document yet: the load job sets it).
    void newProject(const QString& modelPath);
    // Adopts a project read from `path` (the model document is set separately).
    void adoptProject(ProjectFile project, const QString& path);
    void saveProject(const QString& path); // throws tessera::Error
    bool isModified() const { return m_dirty || !m_undo.isClean(); }

    // Another model file for the project (an undo command's setter: AdoptTunedModel); the
    // window imports it again (modelPathChanged).
    void setModelPath(const QString& path);
    void setHardwareTarget(const QString& target);
    void setDatasetPath(const QString& path);
    // Free-form panel state stored in the project file.
    QJsonObject panelState(const QString& panelId) const { return m_project.panels.value(panelId).toObject(); }
    void setPanelState(const QString& panelId, const QJsonObject& state);
    // View state (view modes, expanded blocks, the as-imported toggle): stored in the panel
    // state and saved with the project, but not an edit: it leaves the project unmodified and
    // the undo stack clean, so looking at a model never asks to save it.
    void setViewState(const QString& panelId, const QJsonObject& state);

    // Per-layer choices. Direct setters are for undo commands; UI goes through commands.
    QJsonValue layerChoice(const QString& layer, const QString& key) const;
    void setLayerChoice(const QString& layer, const QString& key, const QJsonValue& value);
    int layerBits(const QString& layer, int fallback) const;

signals:
    void documentChanged();
    void projectChanged(); // path, settings or choices replaced wholesale
    void layerChoiceChanged(const QString& layer, const QString& key);
    void modifiedChanged(bool modified);
    // Before the project is written to `path` (absolute): owners of project files move them
    // next to it and update their paths in the panel state, which is then saved.
    void aboutToSave(const QString& path);
    // The chosen input shapes changed (SetInputShapes): the model is imported again with them.
    void inputShapesChanged();
    // The project's model file changed (setModelPath): the model is imported from it.
    void modelPathChanged();

private:
    void markDirty();

    DocumentPtr m_document;
    ProjectFile m_project;
    QString m_projectPath;
    SelectionModel m_selection;
    QUndoStack m_undo;
    bool m_dirty = false;
};

// Undoable change of one per-layer choice (an undefined value removes the key).
class SetLayerChoice : public QUndoCommand {
public:
    SetLayerChoice(ProjectModel* model, QString layer, QString key, QJsonValue value);
    void undo() override;
    void redo() override;

private:
    ProjectModel* m_model;
    QString m_layer;
    QString m_key;
    QJsonValue m_old;
    QJsonValue m_new;
};

// The quantization panel's edit: bits of one layer's weights.
class SetLayerBits : public SetLayerChoice {
public:
    SetLayerBits(ProjectModel* model, const QString& layer, int bits);
};

} // namespace tessera::studio
