#include "app/panels/SearchResults.h"

#include <QAbstractItemView>
#include <QCompleter>
#include <QLineEdit>
#include <QStandardItemModel>

namespace tessera::studio {

namespace {
constexpr int kNodeRole = Qt::UserRole + 1;
} // namespace

SearchResults::SearchResults(QLineEdit* field, SearchController* search, ProjectModel* model)
    : QObject(field), m_field(field), m_search(search), m_model(model), m_rows(new QStandardItemModel(this)),
      m_completer(new QCompleter(m_rows, this))
{
    m_completer->setCompletionMode(QCompleter::UnfilteredPopupCompletion); // our ranking, not its filter
    m_completer->setCompletionRole(Qt::EditRole);                          // the node name goes into the field
    m_completer->setMaxVisibleItems(14);
    m_completer->setWidget(m_field);
    connect(m_field, &QLineEdit::textEdited, this, &SearchResults::update);
    connect(m_completer, QOverload<const QModelIndex&>::of(&QCompleter::activated), this,
            [this](const QModelIndex& index) { pick(index.row()); });
    connect(m_model, &ProjectModel::documentChanged, this, [this] { m_rows->clear(); });
}

void SearchResults::update(const QString& text)
{
    m_rows->clear();
    const DocumentPtr& doc = m_model->document();
    if (!doc || text.trimmed().size() < 2) {
        m_completer->popup()->hide();
        return;
    }
    const QVector<NodeId> found = m_search->matches(text);
    for (int i = 0; i < std::min<int>(static_cast<int>(found.size()), kMaxShown); ++i) {
        const Node& n = doc->graph().node(found[i]);
        auto* row = new QStandardItem(QString("%1    %2").arg(QString::fromStdString(n.name), QString::fromStdString(n.opType)));
        row->setData(QString::fromStdString(n.name), Qt::EditRole);
        row->setData(QString("%1    %2").arg(QString::fromStdString(n.name), QString::fromStdString(n.opType)), Qt::DisplayRole);
        row->setData(found[i], kNodeRole);
        m_rows->appendRow(row);
    }
    if (found.size() > kMaxShown)
        m_rows->appendRow(new QStandardItem(tr("… %1 more: refine the text").arg(found.size() - kMaxShown)));
    if (m_rows->rowCount() > 0)
        m_completer->complete();
    else
        m_completer->popup()->hide();
}

int SearchResults::rowCount() const
{
    return m_rows->rowCount();
}

NodeId SearchResults::nodeAt(int row) const
{
    const QVariant id = m_rows->index(row, 0).data(kNodeRole);
    return id.isValid() ? static_cast<NodeId>(id.toInt()) : kNoNode;
}

void SearchResults::pick(int row)
{
    const NodeId node = nodeAt(row);
    if (node == kNoNode)
        return;
    m_field->setText(QString::fromStdString(m_model->document()->graph().node(node).name));
    m_model->selection()->select(node, true);
}

} // namespace tessera::studio
