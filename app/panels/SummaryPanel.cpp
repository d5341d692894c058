#include "app/panels/SummaryPanel.h"

#include "app/views/NodeStyle.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace tessera::studio {

namespace {
constexpr int kNodeRole = Qt::UserRole + 1;
constexpr int kValueRole = Qt::UserRole + 2; // a graph input/output

// "float32 1×3×640×640"
QString typeText(const Value& v)
{
    return QString("%1 %2").arg(QString::fromLatin1(dtypeName(v.dtype)), shapeText(v.shape));
}
} // namespace

SummaryPanel::SummaryPanel(ProjectModel* model, QWidget* parent) : QWidget(parent), m_model(model)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    m_totals = new QLabel;
    m_totals->setTextFormat(Qt::RichText);
    m_importNote = new QLabel;
    m_importNote->setWordWrap(true);
    m_importNote->setStyleSheet(QString("QLabel { background:%1; color:%2; border:1px solid %3; "
                                        "border-radius:4px; padding:6px; }")
                                    .arg(style::tint(QColor("#fef2f2")).name(), style::warningTextColor().name(),
                                         style::tint(QColor("#fecaca")).name()));
    m_importNote->hide();
    m_ops = new QTreeWidget;
    m_ops->setHeaderLabels({tr("Op"), tr("Count")});
    m_ops->setRootIsDecorated(false);
    m_ops->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_placements = new QTreeWidget;
    m_placements->setHeaderLabels({tr("Where it runs"), tr("Why")});
    m_placements->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    m_placements->setColumnWidth(0, 200);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_ops);
    split->addWidget(m_placements);
    split->setStretchFactor(1, 2);
    layout->addWidget(m_totals);
    layout->addWidget(m_importNote);
    layout->addWidget(split, 1);

    connect(m_model, &ProjectModel::documentChanged, this, &SummaryPanel::rebuild);
    connect(m_placements, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        const QVariant node = item->data(0, kNodeRole);
        const QVariant value = item->data(0, kValueRole);
        if (node.isValid())
            m_model->selection()->select(node.toInt(), true);
        else if (value.isValid())
            m_model->selection()->selectValue(value.toInt(), true);
    });
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, [this](NodeId current) {
        const ValueId value = m_model->selection()->currentValue();
        QTreeWidgetItem* item = value != kNoValue ? itemForValue(value) : itemForNode(current);
        m_placements->blockSignals(true);
        m_placements->setCurrentItem(item);
        if (item)
            m_placements->scrollToItem(item);
        m_placements->blockSignals(false);
    });
    rebuild();
}

QString SummaryPanel::totalsText() const
{
    return m_totals->text();
}

QTreeWidgetItem* SummaryPanel::itemForNode(NodeId node) const
{
    for (int g = 0; g < m_placements->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = m_placements->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i) {
            const QVariant v = group->child(i)->data(0, kNodeRole); // unset on input/output rows
            if (v.isValid() && v.toInt() == node)
                return group->child(i);
        }
    }
    return nullptr;
}

QTreeWidgetItem* SummaryPanel::itemForValue(ValueId value) const
{
    for (int g = 0; g < m_placements->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = m_placements->topLevelItem(g);
        for (int i = 0; i < group->childCount(); ++i) {
            const QVariant v = group->child(i)->data(0, kValueRole);
            if (v.isValid() && v.toInt() == value)
                return group->child(i);
        }
    }
    return nullptr;
}

void SummaryPanel::rebuild()
{
    m_ops->clear();
    m_placements->clear();
    const DocumentPtr& doc = m_model->document();
    if (!doc) {
        m_totals->setText(tr("No model loaded"));
        m_importNote->hide();
        return;
    }
    fillTotals(*doc);
    fillPlacements(*doc);
    fillInputsOutputs(*doc);
    fillProperties(*doc);
}

void SummaryPanel::fillProperties(const GraphDocument& doc)
{
    const ImportReport& r = doc.report();
    auto* group = new QTreeWidgetItem(m_placements, {tr("Model properties")});
    QFont f = group->font(0);
    f.setBold(true);
    group->setFont(0, f);
    auto add = [&](const QString& key, const std::string& value) {
        if (value.empty())
            return;
        auto* item = new QTreeWidgetItem(group, {key, QString::fromStdString(value)});
        item->setToolTip(1, item->text(1));
    };
    add(tr("graph"), doc.graph().name);
    add(tr("producer"), r.producer);
    add(tr("opset"), r.opsetVersion > 0 ? std::to_string(r.opsetVersion) : std::string());
    add(tr("IR version"), r.irVersion > 0 ? std::to_string(r.irVersion) : std::string());
    add(tr("description"), r.docString);
    for (const auto& [key, value] : r.metadata)
        add(QString::fromStdString(key), value);
    add(tr("content hash"), r.contentHash);
    group->setExpanded(false);
}

void SummaryPanel::fillInputsOutputs(const GraphDocument& doc)
{
    const Graph& g = doc.graph();
    // After the unsupported nodes (what the user has to act on), before analog and digital.
    auto* group = new QTreeWidgetItem({tr("Inputs and outputs (%1)").arg(g.inputs().size() + g.outputs().size())});
    const bool unsupportedFirst = doc.totals().nodesByPlacement[static_cast<int>(Placement::Unsupported)] > 0 ||
                                  !doc.hiddenUnsupported().empty();
    m_placements->insertTopLevelItem(unsupportedFirst ? 1 : 0, group);
    QFont f = group->font(0);
    f.setBold(true);
    group->setFont(0, f);
    auto add = [&](ValueId id, const QString& role) {
        const Value& v = g.value(id);
        auto* item = new QTreeWidgetItem(group, {QString("%1  %2").arg(role, QString::fromStdString(v.name)), typeText(v)});
        item->setData(0, kValueRole, id);
        item->setToolTip(0, item->text(0));
        item->setToolTip(1, item->text(1));
    };
    for (ValueId id : g.inputs())
        add(id, tr("input"));
    for (ValueId id : g.outputs())
        add(id, tr("output"));
    group->setExpanded(true);
}

void SummaryPanel::fillTotals(const GraphDocument& document)
{
    const GraphDocument* doc = &document;
    const ModelTotals& t = doc->totals();
    auto pct = [&](int p) { return t.macs > 0 ? 100.0 * t.macsByPlacement[p] / t.macs : 0.0; };
    m_totals->setText(tr("<table cellspacing=2>"
                         "<tr><td><b>Nodes</b></td><td>%1</td><td>&nbsp;&nbsp;<b>Params</b></td><td>%2</td></tr>"
                         "<tr><td><b>MACs</b></td><td>%3</td><td>&nbsp;&nbsp;<b>Analog MACs</b></td><td>%4%</td></tr>"
                         "</table>")
                          .arg(t.nodes)
                          .arg(QString::fromStdString(humanCount(t.params)))
                          .arg(QString::fromStdString(humanCount(t.macs)))
                          .arg(pct(static_cast<int>(Placement::Analog)), 0, 'f', 1));
    QStringList notes;
    if (doc->isLenient())
        notes << tr("Shown for inspection only — strict import failed: %1").arg(QString::fromStdString(doc->strictImportError()));
    for (const std::string& w : doc->warnings())
        notes << tr("Warning: %1").arg(QString::fromStdString(w));
    if (const auto& guessed = doc->report().defaultedDims; !guessed.empty()) {
        QStringList dims;
        for (const DefaultedDim& d : guessed)
            dims << QString::fromStdString(d.text());
        notes << tr("Symbolic dims set to 1, so shapes, MACs and placement describe a guessed input: %1. "
                    "Set the real sizes in Model > Input Shapes…")
                     .arg(dims.join(", "));
    }
    QString note = notes.join("\n");
    m_importNote->setToolTip(note.size() > 320 ? note : QString());
    if (note.size() > 320) // the full text is in the tooltip and the Log panel
        note = note.left(320) + QChar(0x2026);
    m_importNote->setText(note);
    m_importNote->setVisible(!notes.isEmpty());

    std::vector<std::pair<std::string, int>> ops(t.nodesByOp.begin(), t.nodesByOp.end());
    std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [op, count] : ops) {
        auto* item = new QTreeWidgetItem(m_ops, {QString::fromStdString(op), QString::number(count)});
        item->setTextAlignment(1, Qt::AlignRight);
    }
}

void SummaryPanel::fillPlacements(const GraphDocument& document)
{
    const GraphDocument* doc = &document;
    const ModelTotals& t = doc->totals();
    // Unsupported first: that list is what the user has to act on.
    for (Placement p : {Placement::Unsupported, Placement::Analog, Placement::Digital}) {
        const int hidden = p == Placement::Unsupported ? static_cast<int>(doc->hiddenUnsupported().size()) : 0;
        const int count = t.nodesByPlacement[static_cast<int>(p)] + hidden;
        if (count == 0)
            continue;
        auto* group = new QTreeWidgetItem(m_placements, {QString("%1 (%2)").arg(placementName(p)).arg(count)});
        group->setForeground(0, style::placementColor(p));
        QFont f = group->font(0);
        f.setBold(true);
        group->setFont(0, f);
        for (NodeId id : doc->orderedNodes()) {
            const auto& placement = doc->analysis(id).placement;
            if (placement.placement != p)
                continue;
            const Node& n = doc->graph().node(id);
            auto* item = new QTreeWidgetItem(group, {QString("%1  %2").arg(QString::fromStdString(n.opType),
                                                                          QString::fromStdString(n.name)),
                                                     QString::fromStdString(placement.reason)});
            item->setData(0, kNodeRole, id);
            item->setToolTip(1, item->text(1));
        }
        if (hidden > 0) // not drawn: inside a Loop/If/Scan body
            for (const NodeSupport& s : doc->hiddenUnsupported()) {
                auto* item = new QTreeWidgetItem(group, {QString("%1  %2 %3").arg(QString::fromStdString(s.opType),
                                                                                 QString::fromStdString(s.nodeName),
                                                                                 tr("(in a subgraph)")),
                                                         QString::fromStdString(s.reason)});
                item->setToolTip(1, item->text(1));
            }
        group->setExpanded(p == Placement::Unsupported || count <= 50);
    }
}

} // namespace tessera::studio
