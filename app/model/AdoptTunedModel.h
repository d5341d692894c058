#pragma once
// Undoable: the project continues with a tuned model (retraining's ONNX file and its
// quantization spec) instead of the one it had. The model is imported again from the new
// file (ProjectModel::modelPathChanged); the quantization dock loads the tuned spec as its
// calibrated result. Its other results (sensitivity, mixed-precision search, evaluation)
// measured the previous model and are set aside until undo brings that model back.
#include "app/model/ProjectModel.h"

namespace tessera::studio {

class AdoptTunedModel : public QUndoCommand {
public:
    AdoptTunedModel(ProjectModel* model, const QString& tunedModel, const QString& tunedQuant);
    void undo() override;
    void redo() override;

private:
    void apply(const QString& modelPath, const QJsonObject& quantState);

    ProjectModel* m_model;
    QString m_oldModel, m_newModel;
    QJsonObject m_oldQuant, m_newQuant;
};

} // namespace tessera::studio
