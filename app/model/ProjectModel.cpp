#include "app/model/ProjectModel.h"

#include <QFileInfo>

namespace tessera::studio {

ProjectModel::ProjectModel(QObject* parent) : QObject(parent)
{
    connect(&m_undo, &QUndoStack::cleanChanged, this, [this] { emit modifiedChanged(isModified()); });
}

void ProjectModel::setDocument(DocumentPtr document)
{
    m_selection.clear();
    m_document = std::move(document);
    emit documentChanged();
}

void ProjectModel::newProject(const QString& modelPath)
{
    m_project = ProjectFile{};
    m_project.modelPath = modelPath.isEmpty() ? QString() : QFileInfo(modelPath).absoluteFilePath();
    m_projectPath.clear();
    m_undo.clear();
    m_dirty = false;
    emit projectChanged();
    emit modifiedChanged(false);
}

void ProjectModel::adoptProject(ProjectFile project, const QString& path)
{
    m_project = std::move(project);
    m_projectPath = QFileInfo(path).absoluteFilePath();
    m_undo.clear();
    m_dirty = false;
    emit projectChanged();
    emit modifiedChanged(false);
}

void ProjectModel::saveProject(const QString& path)
{
    emit aboutToSave(QFileInfo(path).absoluteFilePath());
    writeProjectFile(path, m_project);
    m_projectPath = QFileInfo(path).absoluteFilePath();
    m_dirty = false;
    m_undo.setClean();
    emit projectChanged();
    emit modifiedChanged(false);
}

void ProjectModel::markDirty()
{
    bool was = isModified();
    m_dirty = true;
    if (!was)
        emit modifiedChanged(true);
}

void ProjectModel::setModelPath(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (m_project.modelPath == absolute)
        return;
    m_project.modelPath = absolute;
    markDirty();
    emit modelPathChanged();
}

void ProjectModel::setHardwareTarget(const QString& target)
{
    if (m_project.hardwareTarget == target)
        return;
    m_project.hardwareTarget = target;
    markDirty();
    emit projectChanged();
}

void ProjectModel::setDatasetPath(const QString& path)
{
    if (m_project.datasetPath == path)
        return;
    m_project.datasetPath = path;
    markDirty();
    emit projectChanged();
}

void ProjectModel::setPanelState(const QString& panelId, const QJsonObject& state)
{
    if (m_project.panels.value(panelId).toObject() == state)
        return;
    m_project.panels[panelId] = state;
    markDirty();
}

void ProjectModel::setViewState(const QString& panelId, const QJsonObject& state)
{
    m_project.panels[panelId] = state;
}

QJsonValue ProjectModel::layerChoice(const QString& layer, const QString& key) const
{
    return m_project.layers.value(layer).value(key);
}

void ProjectModel::setLayerChoice(const QString& layer, const QString& key, const QJsonValue& value)
{
    QJsonObject& choices = m_project.layers[layer];
    if (value.isUndefined())
        choices.remove(key);
    else
        choices[key] = value;
    if (choices.isEmpty())
        m_project.layers.remove(layer);
    emit layerChoiceChanged(layer, key);
}

int ProjectModel::layerBits(const QString& layer, int fallback) const
{
    return layerChoice(layer, "bits").toInt(fallback);
}

SetLayerChoice::SetLayerChoice(ProjectModel* model, QString layer, QString key, QJsonValue value)
    : m_model(model), m_layer(std::move(layer)), m_key(std::move(key)), m_new(std::move(value))
{
    m_old = m_model->layerChoice(m_layer, m_key);
    setText(QString("Set %1 of %2").arg(m_key, m_layer));
}

void SetLayerChoice::undo()
{
    m_model->setLayerChoice(m_layer, m_key, m_old);
}

void SetLayerChoice::redo()
{
    m_model->setLayerChoice(m_layer, m_key, m_new);
}

SetLayerBits::SetLayerBits(ProjectModel* model, const QString& layer, int bits)
    : SetLayerChoice(model, layer, "bits", bits)
{
    setText(QString("Set %1 to %2 bits").arg(layer).arg(bits));
}

} // namespace tessera::studio
