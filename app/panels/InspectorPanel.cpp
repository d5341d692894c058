#include "app/panels/InspectorPanel.h"
#include "app/panels/QuantPlotStyle.h"

#include "app/views/NodeStyle.h"
#include "core/Error.h"
#include "core/io/Npy.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHeaderView>
#include <QFontDatabase>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace tessera::studio {

namespace {

QTreeWidgetItem* section(QTreeWidget* tree, const QString& title)
{
    auto* item = new QTreeWidgetItem(tree, {title});
    QFont f = item->font(0);
    f.setBold(true);
    item->setFont(0, f);
    item->setFirstColumnSpanned(true);
    item->setExpanded(true);
    return item;
}

void row(QTreeWidgetItem* parent, const QString& key, const QString& value, const QString& tip = {})
{
    auto* item = new QTreeWidgetItem(parent, {key, value});
    item->setToolTip(1, tip.isEmpty() ? value : tip);
}

void addCostRows(QTreeWidgetItem* cost, const NodeDetails& d)
{
    row(cost, QObject::tr("parameters"), QString::fromStdString(humanCount(d.params)), QString::number(d.params));
    row(cost, QObject::tr("MACs"), QString::fromStdString(humanCount(d.macs)), QString::number(d.macs));
    row(cost, QObject::tr("output bytes"), QString::fromStdString(humanCount(d.outputBytes)), QString::number(d.outputBytes));
}

// The header: a large kind (op type, "graph input") over the name.
QString titleHtml(const QString& kind, const QString& name)
{
    return QString("<span style='font-size:13pt; font-weight:600'>%1</span><br><span style='color:%3'>%2</span>")
        .arg(kind.toHtmlEscaped(), name.toHtmlEscaped(), style::subtleTextColor().name());
}

} // namespace

InspectorPanel::InspectorPanel(ProjectModel* model, QWidget* parent) : QWidget(parent), m_model(model)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    m_title = new QLabel(tr("No node selected"));
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);
    m_placement = new QLabel;
    m_placement->setWordWrap(true);
    // Long node names (no spaces to wrap at) are elided by the dock, never widen it.
    for (QLabel* label : {m_title, m_placement})
        label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_tree = new QTreeWidget;
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Property"), tr("Value")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->setRootIsDecorated(false);
    m_tree->setAlternatingRowColors(true);
    layout->addWidget(m_title);
    layout->addWidget(m_placement);
    layout->addWidget(m_tree, 3);

    m_weightsBox = new QWidget;
    auto* weights = new QVBoxLayout(m_weightsBox);
    weights->setContentsMargins(0, 0, 0, 0);
    auto* pickRow = new QHBoxLayout;
    m_tensorChoice = new QComboBox;
    m_tensorChoice->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_tensorChoice->setMinimumContentsLength(10);
    m_export = new QPushButton(tr("Export .npy…"));
    pickRow->addWidget(new QLabel(tr("Weights:")));
    pickRow->addWidget(m_tensorChoice, 1);
    pickRow->addWidget(m_export);
    weights->addLayout(pickRow);
    m_plot = new QCustomPlot;
    m_plot->setMinimumHeight(150);
    themePlot(m_plot);
    m_plot->xAxis->setLabel(tr("value"));
    m_plot->yAxis->setLabel(tr("count"));
    weights->addWidget(m_plot, 2);
    m_statsLabel = new QLabel;
    m_statsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statsLabel->setWordWrap(true);
    weights->addWidget(m_statsLabel);
    m_valuesLabel = new QLabel; // the values themselves, for small constants
    m_valuesLabel->setObjectName("tensorValues");
    m_valuesLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_valuesLabel->setWordWrap(true);
    m_valuesLabel->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    weights->addWidget(m_valuesLabel);
    layout->addWidget(m_weightsBox, 2);
    m_weightsBox->hide();

    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &InspectorPanel::showSelection);
    connect(m_model, &ProjectModel::documentChanged, this, [this] { showNode(kNoNode); });
    connect(m_tensorChoice, &QComboBox::currentIndexChanged, this,
            [this](int i) { showTensor(i < 0 ? kNoValue : m_tensorChoice->itemData(i).toInt()); });
    connect(m_export, &QPushButton::clicked, this, &InspectorPanel::onExportClicked);
}

QString InspectorPanel::headerText() const
{
    return m_title->text();
}

QString InspectorPanel::shownText() const
{
    QStringList lines{m_title->text(), m_placement->text()};
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        lines << QString("%1: %2").arg((*it)->text(0), (*it)->text(1));
    return lines.join('\n');
}

void InspectorPanel::showSelection()
{
    const DocumentPtr& doc = m_model->document();
    const NodeId imported = m_model->selection()->importedNode();
    if (imported != kNoNode && doc && doc->asImported()) {
        showImportedNode(imported);
        return;
    }
    const ValueId value = m_model->selection()->currentValue();
    if (value != kNoValue && m_model->document())
        showGraphValue(value);
    else
        showNode(m_model->selection()->current());
}

void InspectorPanel::showGraphValue(ValueId value)
{
    showNode(kNoNode); // clears the tree and the weights box
    const GraphValueDetails d = describeGraphValue(*m_model->document(), value);
    const TensorRow& t = d.tensor;
    m_title->setText(titleHtml(t.role, t.name));
    m_placement->setText(tr("%1 %2 [%3]").arg(t.name.toHtmlEscaped(), t.dtype, t.shape));
    auto* tensor = section(m_tree, tr("Tensor"));
    row(tensor, tr("name"), t.name);
    row(tensor, tr("role"), t.role);
    row(tensor, tr("dtype"), t.dtype);
    row(tensor, tr("dims"), t.shape);
    if (!d.symbolicDims.isEmpty()) {
        auto* symbolic = section(m_tree, tr("Symbolic dims"));
        for (const QString& dim : d.symbolicDims)
            row(symbolic, tr("defaulted"), dim);
    }
    if (!d.producer.isEmpty())
        row(section(m_tree, tr("Producer")), tr("node"), d.producer.first());
    auto* consumers = section(m_tree, tr("Consumers"));
    for (const QString& c : d.consumers)
        row(consumers, tr("node"), c);
    if (d.consumers.isEmpty())
        row(consumers, tr("node"), tr("(none)"));
}

void InspectorPanel::showImportedNode(NodeId importedNode)
{
    const DocumentPtr imported = m_model->document()->asImported();
    showNodeOf(imported, importedNode);
    m_node = m_model->selection()->current(); // its cleaned counterpart, if any
    const ImportedFate* fate = imported->fateOf(importedNode);
    if (!fate)
        return;
    QTreeWidgetItem* became = section(m_tree, tr("As imported"));
    row(became, tr("became"), QString::fromStdString(fate->text()));
    m_tree->insertTopLevelItem(0, m_tree->takeTopLevelItem(m_tree->indexOfTopLevelItem(became)));
    became->setExpanded(true);
}

void InspectorPanel::showNode(NodeId node)
{
    showNodeOf(m_model->document(), node);
}

void InspectorPanel::showNodeOf(const DocumentPtr& doc, NodeId node)
{
    m_node = node;
    m_shownDoc = doc;
    m_tree->clear();
    m_tensorChoice->blockSignals(true);
    m_tensorChoice->clear();
    m_tensorChoice->blockSignals(false);
    if (!doc || node == kNoNode) {
        m_title->setText(tr("No node selected"));
        m_placement->clear();
        m_weightsBox->hide();
        showTensor(kNoValue);
        return;
    }
    const NodeDetails d = describeNodeDetails(*doc, node);
    m_title->setText(titleHtml(d.opType, d.name));
    const QColor color = style::placementColor(doc->analysis(node).placement.placement);
    m_placement->setText(QString("<b style='color:%1'>%2</b> — %3")
                             .arg(color.name(), d.placement, d.placementReason.toHtmlEscaped()));
    auto* cost = section(m_tree, tr("Cost"));
    if (!d.mergedInto.isEmpty())
        row(cost, tr("counted in"), d.mergedInto);
    else
        addCostRows(cost, d);
    if (!d.attributes.isEmpty()) {
        auto* attrs = section(m_tree, tr("Attributes"));
        for (const auto& [key, value] : d.attributes)
            row(attrs, key, value);
    }
    auto* ins = section(m_tree, tr("Inputs"));
    for (const TensorRow& t : d.inputs) {
        row(ins, t.role + (t.constant ? tr(" (const)") : QString()), QString("%1  %2 [%3]").arg(t.name, t.dtype, t.shape));
        if (t.constant && doc->graph().value(t.value).constant.numel() > 0)
            m_tensorChoice->addItem(QString("%1 [%2]").arg(t.name, t.shape), t.value);
    }
    auto* outs = section(m_tree, tr("Outputs"));
    for (const TensorRow& t : d.outputs)
        row(outs, t.role, QString("%1  %2 [%3]").arg(t.name, t.dtype, t.shape));
    if (!d.opDoc.isEmpty())
        row(section(m_tree, tr("Operator")), tr("doc"), d.opDoc);
    m_weightsBox->setVisible(m_tensorChoice->count() > 0);
    showTensor(m_tensorChoice->count() > 0 ? m_tensorChoice->itemData(0).toInt() : kNoValue);
}

void InspectorPanel::showTensor(ValueId value)
{
    m_tensor = value;
    m_plot->clearPlottables();
    m_stats = {};
    const DocumentPtr& doc = m_shownDoc;
    m_valuesLabel->clear();
    if (!doc || value == kNoValue) {
        m_statsLabel->clear();
        m_plot->replot();
        return;
    }
    m_stats = tensorStats(doc->graph().value(value).constant, 48);
    auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    bars->setData(QVector<double>(m_stats.binCenters.begin(), m_stats.binCenters.end()),
                  QVector<double>(m_stats.binCounts.begin(), m_stats.binCounts.end()));
    bars->setWidth(m_stats.binCenters.size() > 1 ? (m_stats.binCenters[1] - m_stats.binCenters[0]) : 1.0);
    bars->setBrush(style::placementColor(Placement::Analog).lighter(130));
    bars->setPen(style::placementColor(Placement::Analog).darker(120));
    m_plot->rescaleAxes();
    m_plot->yAxis->setRangeLower(0);
    m_plot->replot();
    m_statsLabel->setText(tr("n = %1   min %2   max %3   mean %4   std %5")
                              .arg(m_stats.count)
                              .arg(m_stats.min, 0, 'g', 4)
                              .arg(m_stats.max, 0, 'g', 4)
                              .arg(m_stats.mean, 0, 'g', 4)
                              .arg(m_stats.std, 0, 'g', 4));
    m_valuesLabel->setText(tensorValuesText(doc->graph().value(value).constant));
}

QString InspectorPanel::shownValuesText() const
{
    return m_valuesLabel->text();
}

void InspectorPanel::exportShownTensor(const QString& path) const
{
    const DocumentPtr& doc = m_shownDoc;
    if (!doc || m_tensor == kNoValue)
        fail("no tensor selected to export");
    writeNpy(path.toStdString(), doc->graph().value(m_tensor).constant);
}

void InspectorPanel::onExportClicked()
{
    const DocumentPtr& doc = m_shownDoc;
    if (!doc || m_tensor == kNoValue)
        return;
    QString name = QString::fromStdString(doc->graph().value(m_tensor).name);
    name.replace(QRegularExpression("[^A-Za-z0-9_.-]"), "_");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export tensor"), name + ".npy", tr("NumPy array (*.npy)"));
    if (path.isEmpty())
        return;
    try {
        exportShownTensor(path);
        emit message(tr("Exported %1 to %2").arg(name, path), false);
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
    }
}

} // namespace tessera::studio
