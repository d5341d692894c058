#pragma once
// Find a node by name or op type (Ctrl+F). Matches rank: exact name, exact op type,
// then names containing the text (case-insensitive). Repeated searches cycle.
#include "app/model/ProjectModel.h"

namespace tessera::studio {

class SearchController : public QObject {
    Q_OBJECT
public:
    explicit SearchController(ProjectModel* model, QObject* parent = nullptr);

    QVector<NodeId> matches(const QString& text) const;
    // Selects (and reveals) the next match after the current one; kNoNode when none.
    NodeId findNext(const QString& text);
    // "3 of 12", or "no match".
    QString status() const { return m_status; }

signals:
    void statusChanged(const QString& status);

private:
    ProjectModel* m_model;
    QString m_lastText;
    int m_lastIndex = -1;
    QString m_status;
};

} // namespace tessera::studio
