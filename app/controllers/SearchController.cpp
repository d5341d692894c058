#include "app/controllers/SearchController.h"

namespace tessera::studio {

SearchController::SearchController(ProjectModel* model, QObject* parent) : QObject(parent), m_model(model)
{
    connect(m_model, &ProjectModel::documentChanged, this, [this] { m_lastText.clear(); });
}

QVector<NodeId> SearchController::matches(const QString& text) const
{
    QVector<NodeId> exactName, exactOp, partial;
    const DocumentPtr& doc = m_model->document();
    const QString needle = text.trimmed();
    if (!doc || needle.isEmpty())
        return {};
    for (NodeId id : doc->orderedNodes()) {
        const Node& n = doc->graph().node(id);
        const QString name = QString::fromStdString(n.name);
        if (name.compare(needle, Qt::CaseInsensitive) == 0)
            exactName.append(id);
        else if (QString::fromStdString(n.opType).compare(needle, Qt::CaseInsensitive) == 0)
            exactOp.append(id);
        else if (name.contains(needle, Qt::CaseInsensitive))
            partial.append(id);
    }
    return exactName + exactOp + partial;
}

NodeId SearchController::findNext(const QString& text)
{
    const QVector<NodeId> found = matches(text);
    if (found.isEmpty()) {
        m_status = text.trimmed().isEmpty() ? QString() : tr("no match");
        emit statusChanged(m_status);
        return kNoNode;
    }
    m_lastIndex = text == m_lastText ? (m_lastIndex + 1) % found.size() : 0;
    m_lastText = text;
    m_status = tr("%1 of %2").arg(m_lastIndex + 1).arg(found.size());
    emit statusChanged(m_status);
    m_model->selection()->select(found[m_lastIndex], true);
    return found[m_lastIndex];
}

} // namespace tessera::studio
