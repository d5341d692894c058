#pragma once
// The Find field's results list: while the user types, a popup lists the matches in the
// order SearchController ranks them (exact name, exact op type, names containing the
// text), each with its op type, at most kMaxShown. Picking one selects and reveals it
// (expanding a collapsed block around it); Enter still steps through the matches.
#include "app/controllers/SearchController.h"

#include <QObject>

class QCompleter;
class QLineEdit;
class QStandardItemModel;

namespace tessera::studio {

class SearchResults : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxShown = 200;
    SearchResults(QLineEdit* field, SearchController* search, ProjectModel* model);

    QCompleter* completer() const { return m_completer; }
    // Rows listed for the field's text, and the node of each.
    int rowCount() const;
    NodeId nodeAt(int row) const;
    void pick(int row); // as a click on that row

private:
    void update(const QString& text);

    QLineEdit* m_field;
    SearchController* m_search;
    ProjectModel* m_model;
    QStandardItemModel* m_rows;
    QCompleter* m_completer;
};

} // namespace tessera::studio
