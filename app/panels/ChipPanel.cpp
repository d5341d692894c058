#include "app/panels/ChipPanel.h"

#include <QComboBox>
#include <QEvent>
#include <QGraphicsRectItem>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace tessera::studio {

ChipPanel::ChipPanel(ProjectModel* model, CompileController* compile, QWidget* parent)
    : QWidget(parent), m_model(model), m_controller(compile)
{
    m_scene = new ChipScene(this);
    m_view = new ChipView(m_scene);
    m_view->setObjectName("chipView");
    m_target = new QComboBox;
    m_target->setObjectName("chipTarget");
    m_target->setToolTip(tr("Hardware target the model is compiled for (saved in the project)"));
    m_mode = new QComboBox;
    m_mode->setObjectName("chipMode");
    m_mode->addItems({tr("Layers / utilization"), tr("Bit depth"), tr("NoC traffic"), tr("Tile busy")});
    m_compile = new QPushButton(tr("Compile"));
    m_compile->setObjectName("chipCompile");
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_status = new QLabel;
    m_status->setObjectName("chipStatus");
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Target")));
    bar->addWidget(m_target);
    bar->addWidget(m_compile);
    bar->addWidget(m_cancel);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Colour")));
    bar->addWidget(m_mode);
    bar->addWidget(m_status, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_compile, &QPushButton::clicked, m_controller, [this] { m_controller->compile(); });
    connect(m_cancel, &QPushButton::clicked, m_controller, &CompileController::cancel);
    connect(m_target, &QComboBox::activated, this, [this] { m_controller->setTarget(m_target->currentText()); });
    connect(m_mode, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_scene->setColouring(static_cast<ChipColouring>(i)); });
    connect(m_controller, &CompileController::resultChanged, this, &ChipPanel::rebuild);
    connect(m_controller, &CompileController::staleChanged, this, &ChipPanel::refreshStatus);
    connect(m_controller, &CompileController::busyChanged, this, [this](bool busy) {
        m_cancel->setEnabled(busy);
        refreshStatus();
    });
    connect(m_controller, &CompileController::message, this, &ChipPanel::message);
    connect(m_model, &ProjectModel::projectChanged, this, &ChipPanel::refreshTargets);
    connect(m_model->selection(), &SelectionModel::selectionChanged, this, &ChipPanel::followSelection);
    connect(m_view, &ChipView::blockClicked, this, [this](int block) {
        const NodeId node = m_controller->nodeOfLayer(m_controller->result()->blocks[block].layer);
        if (node != kNoNode)
            m_model->selection()->select(node, true);
    });
    refreshTargets();
    rebuild();
}

void ChipPanel::refreshTargets()
{
    QStringList names = CompileController::targetPresets();
    const QString current = m_controller->targetName();
    if (!names.contains(current))
        names << current; // a target file
    if (m_target->count() != names.size() || m_target->currentText() != current) {
        m_target->clear();
        m_target->addItems(names);
        m_target->setCurrentText(current);
    }
}

void ChipPanel::rebuild()
{
    m_shown = m_controller->compiled();
    m_scene->build(m_shown ? &m_shown->result : nullptr, palette());
    m_scene->setColouring(static_cast<ChipColouring>(m_mode->currentIndex()));
    m_scene->setSceneRect(m_scene->itemsBoundingRect());
    m_view->fit();
    followSelection();
    refreshStatus();
}

void ChipPanel::refreshStatus()
{
    const compiler::CompileResult* r = m_controller->result();
    if (m_controller->runningJob()) {
        m_status->setText(tr("compiling…"));
        return;
    }
    if (!r) {
        m_status->setText(m_model->hasDocument() ? tr("not compiled yet: press Compile") : QString());
        return;
    }
    QString text = tr("%1: %2 blocks, %3 arrays, %4 of %5 tiles, %6 fps")
                       .arg(QString::fromStdString(r->target.name))
                       .arg(r->blocks.size())
                       .arg(r->arrays.size())
                       .arg(r->tilesUsed)
                       .arg(r->tiles.size())
                       .arg(r->fps, 0, 'f', 0);
    if (!r->fits)
        text = tr("does not fit: %1").arg(QString::fromStdString(r->fitMessage));
    if (m_controller->isStale())
        text = tr("<b>stale: recompile</b> (last: %1)").arg(text.toHtmlEscaped());
    m_status->setText(text);
}

void ChipPanel::followSelection()
{
    QVector<int> blocks;
    for (NodeId node : m_model->selection()->selected())
        blocks += m_controller->blocksOfNode(node);
    m_scene->highlightBlocks(blocks);
    if (!blocks.isEmpty() && m_scene->blockItems()[blocks.first()])
        m_view->ensureVisible(m_scene->blockItems()[blocks.first()], 20, 20);
}

void ChipPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        rebuild();
}

} // namespace tessera::studio
