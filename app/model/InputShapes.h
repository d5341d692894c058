#pragma once
// Input shapes chosen for a model's symbolic dims, stored in the project (panels.model.
// inputShapes: {"x": [1, 3, 640, 640]}) and changed through an undo command; the studio
// re-imports the model with them (ImportOptions::inputShapes).
#include "app/model/ProjectModel.h"
#include "core/Tensor.h"

#include <QUndoCommand>

#include <map>
#include <string>

namespace tessera::studio {

using InputShapeMap = std::map<std::string, Shape>;

InputShapeMap inputShapesOf(const ProjectFile& project);
QJsonObject inputShapesToJson(const InputShapeMap& shapes);
// "1, 3, 640x640" style text: dims separated by commas, spaces or 'x'. Throws
// tessera::Error naming `input` for anything but positive whole numbers.
Shape parseDims(const QString& text, const std::string& input);

class SetInputShapes : public QUndoCommand {
public:
    SetInputShapes(ProjectModel* model, const InputShapeMap& shapes);
    void undo() override;
    void redo() override;

private:
    void apply(const QJsonObject& shapes);
    ProjectModel* m_model;
    QJsonObject m_old;
    QJsonObject m_new;
};

} // namespace tessera::studio
