#pragma once
// The chip view's scene: the target's tile mesh, each tile's arrays with their packed blocks
// drawn at their row/col positions, per-tile utilization as text. Colour modes: by layer
// (a stable colour per layer name, utilization text), by weight bit depth, NoC traffic heat
// map (tile background by the bytes routed through it). Blocks of the highlighted layer are
// outlined, tiles holding them framed. Background and text use the palette.
#include "compiler/Compiler.h"

#include <QGraphicsScene>
#include <QGraphicsView>
#include <QPalette>
#include <QVector>

#include <functional>

class QGraphicsRectItem;
class QGraphicsSimpleTextItem;

namespace tessera::studio {

// TileBusy: the simulation panel's per-tile busy fraction (sim::PerfReport) as a heat map.
enum class ChipColouring { Utilization, BitDepth, NocTraffic, TileBusy };

class ChipScene : public QGraphicsScene {
    Q_OBJECT
public:
    static constexpr int kBlockRole = 0; // item data: block index
    static constexpr int kTileRole = 1;  // item data: tile index

    using QGraphicsScene::QGraphicsScene;

    // Rebuilds every item (null: empty scene). `layerName` names a compiled layer.
    void build(const compiler::CompileResult* result, const QPalette& palette);
    void setColouring(ChipColouring mode);
    ChipColouring colouring() const { return m_mode; }
    // Outlines these blocks (and frames their tiles); the others are dimmed when any is set.
    void highlightBlocks(const QVector<int>& blocks);
    // Frames one tile (a timeline click; -1: none) with a dashed highlight, kept across builds.
    void markTile(int tile);
    int markedTile() const { return m_marked; }
    // Busy fraction in [0, 1] per tile (by result tile index; kept across builds).
    void setTileBusy(const QVector<double>& busy);
    const QVector<double>& tileBusy() const { return m_tileBusy; }
    const QVector<int>& highlighted() const { return m_highlighted; }
    // By block index (null for a block on no array).
    const QVector<QGraphicsRectItem*>& blockItems() const { return m_blocks; }
    const QVector<QGraphicsRectItem*>& tileItems() const { return m_tiles; }

    static QColor layerColour(const std::string& layerName);

private:
    void addTile(int tile, const QPalette& palette);
    void addBlock(int block, const QRectF& arrayRect);
    void recolour();
    QRectF tileRect(const TileCoord& coord) const;

    const compiler::CompileResult* m_result = nullptr;
    ChipColouring m_mode = ChipColouring::Utilization;
    QVector<QGraphicsRectItem*> m_blocks, m_tiles;
    QVector<double> m_tileTraffic; // bytes per frame through each tile
    double m_maxTraffic = 0;
    QVector<double> m_tileBusy;
    int m_marked = -1;
    QVector<QGraphicsSimpleTextItem*> m_tileText; // under each tile: cell utilization or busy %
    QStringList m_utilText;
    QVector<int> m_highlighted;
    QPalette m_palette;
};

// Zoom to fit on resize, wheel zoom; a click on a block reports it.
class ChipView : public QGraphicsView {
    Q_OBJECT
public:
    explicit ChipView(ChipScene* scene, QWidget* parent = nullptr);
    void fit();

signals:
    void blockClicked(int block);
    void emptyClicked();

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    bool m_zoomed = false;
};

} // namespace tessera::studio
