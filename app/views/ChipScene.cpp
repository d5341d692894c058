#include "app/views/ChipScene.h"

#include "app/panels/QuantPanel.h" // bitsColour

#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QMouseEvent>
#include <QWheelEvent>

#include <cmath>
#include <map>

namespace tessera::studio {

namespace {

constexpr double kTile = 100.0;  // tile square (the arrays' area)
constexpr double kLabel = 18.0;  // utilization text below the arrays
constexpr double kGap = 14.0;
constexpr double kPad = 4.0;

QString bytesText(double bytes)
{
    if (bytes >= 1e6)
        return QString("%1 MB").arg(bytes / 1e6, 0, 'f', 2);
    if (bytes >= 1e3)
        return QString("%1 kB").arg(bytes / 1e3, 0, 'f', 1);
    return QString("%1 B").arg(bytes, 0, 'f', 0);
}

// Heat-map colour from the palette's base (cold) to red (hot); t in [0, 1].
QColor heat(const QPalette& palette, double t)
{
    const QColor cold = palette.color(QPalette::Base), hot("#dc2626"), mid("#f59e0b");
    auto mix = [](const QColor& a, const QColor& b, double f) {
        return QColor::fromRgbF(a.redF() + (b.redF() - a.redF()) * f, a.greenF() + (b.greenF() - a.greenF()) * f,
                                a.blueF() + (b.blueF() - a.blueF()) * f);
    };
    return t < 0.5 ? mix(cold, mid, t * 2) : mix(mid, hot, (t - 0.5) * 2);
}

} // namespace

QColor ChipScene::layerColour(const std::string& layerName)
{
    // Golden-ratio hues from a stable hash of the name: the same layer keeps its colour
    // across compiles, neighbours in the hash get distant hues.
    const size_t h = std::hash<std::string>{}(layerName);
    const double hue = std::fmod(static_cast<double>(h % 1000003) * 0.618033988749895, 1.0);
    const double sat = 0.55 + 0.25 * ((h >> 20) % 3) / 2.0;
    return QColor::fromHsvF(static_cast<float>(hue), static_cast<float>(sat), 0.85f);
}

QRectF ChipScene::tileRect(const TileCoord& c) const
{
    return QRectF(c.col * (kTile + kGap), c.row * (kTile + kLabel + kGap), kTile, kTile + kLabel);
}

void ChipScene::build(const compiler::CompileResult* result, const QPalette& palette)
{
    clear();
    m_blocks.clear();
    m_tiles.clear();
    m_tileText.clear();
    m_utilText.clear();
    m_highlighted.clear();
    m_result = result;
    m_palette = palette;
    if (result)
        m_blocks.resize(static_cast<int>(result->blocks.size()), nullptr);
    setBackgroundBrush(palette.color(QPalette::Window));
    if (!result)
        return;
    m_tileTraffic = QVector<double>(static_cast<int>(result->tiles.size()), 0.0);
    std::map<std::pair<int64_t, int64_t>, int> tileAt;
    for (int t = 0; t < static_cast<int>(result->tiles.size()); ++t)
        tileAt[{result->tiles[t].coord.row, result->tiles[t].coord.col}] = t;
    for (const compiler::Route& route : result->routes)
        for (const TileCoord& c : route.path)
            if (auto it = tileAt.find({c.row, c.col}); it != tileAt.end())
                m_tileTraffic[it->second] += static_cast<double>(route.bytes);
    m_maxTraffic = 0;
    for (double b : m_tileTraffic)
        m_maxTraffic = std::max(m_maxTraffic, b);
    for (const TileCoord& c : result->target.tiles.disabled) {
        auto* off = addRect(tileRect(c), QPen(palette.color(QPalette::Mid), 1, Qt::DashLine), Qt::NoBrush);
        off->setToolTip(tr("tile (%1, %2): disabled").arg(c.row).arg(c.col));
    }
    for (int t = 0; t < static_cast<int>(result->tiles.size()); ++t)
        addTile(t, palette);
    recolour();
}

void ChipScene::addTile(int t, const QPalette& palette)
{
    const compiler::TilePlan& tile = m_result->tiles[t];
    const QRectF r = tileRect(tile.coord);
    auto* item = addRect(r, QPen(palette.color(QPalette::Mid), 1), palette.color(QPalette::Base));
    item->setData(kTileRole, t);
    m_tiles << item;
    const int n = std::max<int>(1, static_cast<int>(tile.arrays.size()));
    const int side = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const double cell = (kTile - 2 * kPad) / side;
    const AnalogArray& geo = m_result->target.analog.array;
    int64_t used = 0;
    for (int a = 0; a < static_cast<int>(tile.arrays.size()); ++a) {
        const QRectF ar(r.left() + kPad + (a % side) * cell, r.top() + kPad + (a / side) * cell, cell - 2, cell - 2);
        QColor arrayFill = palette.color(QPalette::AlternateBase);
        arrayFill.setAlphaF(0.45f); // the tile's heat-map colour shows through
        auto* arrayItem = addRect(ar, QPen(palette.color(QPalette::Mid), 0.5), arrayFill);
        arrayItem->setZValue(1);
        const compiler::ArrayPlan& array = m_result->arrays[tile.arrays[a]];
        used += array.usedCells;
        for (int b : array.blocks)
            addBlock(b, ar);
    }
    const double capacity = static_cast<double>(std::max<int64_t>(1, geo.rows * geo.cols * n));
    const double util = 100.0 * static_cast<double>(used) / capacity;
    const QString utilText = util > 0 && util < 0.1 ? QString("<0.1%") : QString("%1%").arg(util, 0, 'f', util < 10 && util > 0 ? 1 : 0);
    auto* text = addSimpleText(utilText);
    text->setBrush(palette.color(QPalette::Text));
    text->setPos(r.left() + kPad, r.top() + kTile);
    text->setZValue(3);
    text->setAcceptedMouseButtons(Qt::NoButton);
    m_tileText << text;
    m_utilText << utilText;
    item->setToolTip(tr("tile (%1, %2)\n%3 array(s), %4% of cells used\nSRAM %5 of %6\nNoC traffic through it: %7 / frame")
                         .arg(tile.coord.row)
                         .arg(tile.coord.col)
                         .arg(tile.arrays.size())
                         .arg(util, 0, 'f', 1)
                         .arg(bytesText(static_cast<double>(tile.sramBytes)), bytesText(static_cast<double>(m_result->target.tiles.sramBytes)))
                         .arg(bytesText(m_tileTraffic[t])));
}

void ChipScene::addBlock(int b, const QRectF& ar)
{
    const compiler::BlockPlan& block = m_result->blocks[b];
    const compiler::LayerPlan& layer = m_result->layers[block.layer];
    const AnalogArray& geo = m_result->target.analog.array;
    const double sx = ar.width() / static_cast<double>(geo.cols), sy = ar.height() / static_cast<double>(geo.rows);
    // At least 3 units (3 % of a tile) so a 9-row block stays visible and clickable.
    const QRectF br(ar.left() + block.col0 * sx, ar.top() + block.row0 * sy, std::max(3.0, block.cols * sx),
                    std::max(3.0, block.rows * sy));
    auto* item = addRect(br);
    item->setData(kBlockRole, b);
    item->setZValue(2);
    item->setToolTip(tr("%1 (%2)\nblock row %3, col %4 (groups %5–%6)\n%7 rows x %8 cols at (%9, %10)\nreplica %11 of %12, phase %13, %14 bits")
                         .arg(QString::fromStdString(layer.node), QString::fromStdString(layer.opType))
                         .arg(block.rowBlock)
                         .arg(block.colBlock)
                         .arg(block.group0)
                         .arg(block.group0 + block.groupCount - 1)
                         .arg(block.rows)
                         .arg(block.cols)
                         .arg(block.row0)
                         .arg(block.col0)
                         .arg(block.replica + 1)
                         .arg(layer.replicas)
                         .arg(block.phase)
                         .arg(layer.weightBits));
    m_blocks[b] = item;
}

void ChipScene::setColouring(ChipColouring mode)
{
    m_mode = mode;
    recolour();
}

void ChipScene::markTile(int tile)
{
    m_marked = tile;
    recolour();
}

void ChipScene::setTileBusy(const QVector<double>& busy)
{
    m_tileBusy = busy;
    recolour();
}

void ChipScene::highlightBlocks(const QVector<int>& blocks)
{
    m_highlighted = blocks;
    recolour();
}

void ChipScene::recolour()
{
    if (!m_result)
        return;
    QVector<bool> tileHit(m_tiles.size(), false), blockHit(m_blocks.size(), false);
    for (int b : m_highlighted) {
        blockHit[b] = true;
        tileHit[m_result->arrays[m_result->blocks[b].array].tile] = true;
    }
    const bool any = !m_highlighted.isEmpty();
    const QColor mark = m_palette.color(QPalette::Highlight), text = m_palette.color(QPalette::Text);
    for (int t = 0; t < m_tiles.size(); ++t) {
        const double share = m_maxTraffic > 0 ? m_tileTraffic[t] / m_maxTraffic : 0.0;
        const double busy = t < m_tileBusy.size() ? m_tileBusy[t] : 0.0;
        m_tiles[t]->setBrush(m_mode == ChipColouring::NocTraffic ? heat(m_palette, share)
                             : m_mode == ChipColouring::TileBusy ? heat(m_palette, busy)
                                                                 : m_palette.color(QPalette::Base));
        m_tiles[t]->setPen(t == m_marked ? QPen(text, 4, Qt::DashLine)
                           : tileHit[t]  ? QPen(mark, 4)
                                         : QPen(m_palette.color(QPalette::Mid), 1));
        m_tileText[t]->setText(m_mode == ChipColouring::TileBusy ? tr("busy %1%").arg(100.0 * busy, 0, 'f', 0) : m_utilText[t]);
    }
    for (int i = 0; i < m_blocks.size(); ++i) {
        if (!m_blocks[i])
            continue; // not placed on an array
        const compiler::LayerPlan& layer = m_result->layers[m_result->blocks[i].layer];
        QColor fill = m_mode == ChipColouring::BitDepth ? bitsColour(layer.weightBits) : layerColour(layer.node);
        if (m_mode == ChipColouring::NocTraffic || m_mode == ChipColouring::TileBusy)
            fill.setAlphaF(0.35f);
        if (any && !blockHit[i])
            fill.setAlphaF(fill.alphaF() * 0.3f);
        m_blocks[i]->setBrush(fill);
        m_blocks[i]->setPen(blockHit[i] ? QPen(text, 2.5) : QPen(fill.darker(150), 0.5));
        m_blocks[i]->setZValue(blockHit[i] ? 2.5 : 2);
    }
}

ChipView::ChipView(ChipScene* scene, QWidget* parent) : QGraphicsView(scene, parent)
{
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
}

void ChipView::fit()
{
    m_zoomed = false;
    if (scene() && !scene()->itemsBoundingRect().isEmpty())
        fitInView(scene()->itemsBoundingRect().adjusted(-8, -8, 8, 8), Qt::KeepAspectRatio);
}

void ChipView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        for (QGraphicsItem* item : items(event->position().toPoint()))
            if (item->data(ChipScene::kBlockRole).isValid()) {
                emit blockClicked(item->data(ChipScene::kBlockRole).toInt());
                return QGraphicsView::mousePressEvent(event);
            }
        emit emptyClicked();
    }
    QGraphicsView::mousePressEvent(event);
}

void ChipView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (!m_zoomed)
        fit();
}

void ChipView::wheelEvent(QWheelEvent* event)
{
    const double factor = event->angleDelta().y() > 0 ? 1.2 : 1 / 1.2;
    scale(factor, factor);
    m_zoomed = true;
}

} // namespace tessera::studio
