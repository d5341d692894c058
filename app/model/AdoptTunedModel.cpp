#include "app/model/AdoptTunedModel.h"

#include <QFileInfo>

namespace tessera::studio {

namespace {
constexpr const char* kQuantPanel = "quant"; // QuantController::kPanelId (app/controllers)
}

AdoptTunedModel::AdoptTunedModel(ProjectModel* model, const QString& tunedModel, const QString& tunedQuant)
    : m_model(model), m_oldModel(model->project().modelPath), m_newModel(QFileInfo(tunedModel).absoluteFilePath()),
      m_oldQuant(model->panelState(kQuantPanel)), m_newQuant(m_oldQuant)
{
    m_newQuant["quantResultPath"] = QFileInfo(tunedQuant).absoluteFilePath();
    for (const char* stale : {"sensitivityCachePath", "paretoCachePath", "evaluationPath"})
        m_newQuant.remove(stale);
    setText(QObject::tr("Adopt tuned model %1").arg(QFileInfo(tunedModel).fileName()));
}

void AdoptTunedModel::apply(const QString& modelPath, const QJsonObject& quantState)
{
    m_model->setPanelState(kQuantPanel, quantState);
    m_model->setModelPath(modelPath);
}

void AdoptTunedModel::undo() { apply(m_oldModel, m_oldQuant); }
void AdoptTunedModel::redo() { apply(m_newModel, m_newQuant); }

} // namespace tessera::studio
