#pragma once
// The graph canvas: wheel/keys zoom, drag pans, fit-to-window, a minimap for big graphs
// and a colour legend. Arrow keys walk the graph through the NavigationController.
#include "app/controllers/NavigationController.h"
#include "app/views/GraphScene.h"

#include <QElapsedTimer>
#include <QGraphicsView>
#include <QPixmap>

namespace tessera::studio {

class Minimap;
class Legend;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    GraphView(GraphScene* scene, NavigationController* navigation, QWidget* parent = nullptr);

    GraphScene* graphScene() const { return m_scene; }
    void zoomBy(double factor);
    void fitToWindow();
    // Fit, or the top of the graph at a readable zoom when fitting makes it unreadable.
    void showInitialView();
    double zoom() const { return transform().m11(); }
    // Centres a scene region (an expanded block), or its top when it is taller than the view.
    void showRegion(const QRectF& rect);
    void setMinimapVisible(bool visible);
    // Replaces the placement legend (e.g. a bits legend while nodes are coloured by bits);
    // empty rows bring the placement legend back.
    void setLegendRows(const QVector<QPair<QColor, QString>>& rows);
    QVector<QPair<QColor, QString>> legendRows() const;
    // The hint drawn on an empty canvas ("Open a model…"), empty while a graph is shown.
    QString emptyStateText() const;
    // Milliseconds from GraphScene::built to the end of the first paint after it.
    double lastFirstPaintMs() const { return m_firstPaintMs; }

signals:
    void zoomChanged(double zoom);
    void firstPainted(double milliseconds);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    void onBuilt();
    void placeOverlays();
    void updateMinimap();

    GraphScene* m_scene;
    NavigationController* m_navigation;
    Minimap* m_minimap;
    Legend* m_legend;
    QElapsedTimer m_buildClock;
    bool m_awaitingFirstPaint = false;
    double m_firstPaintMs = 0;
    bool m_minimapWanted = true;
    std::weak_ptr<const GraphDocument> m_shownDocument; // the document of the last build
};

// Overview of the whole scene (a cached picture) with the visible area as a frame;
// clicking or dragging moves the view.
class Minimap : public QWidget {
    Q_OBJECT
public:
    explicit Minimap(GraphView* view);
    void refreshPicture();
    void clearPicture() { m_picture = QPixmap(); }

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRectF pictureRect() const;
    void centerViewAt(const QPointF& widgetPos);
    GraphView* m_view;
    QPixmap m_picture;
};

// Colour key with node counts per placement.
class Legend : public QWidget {
    Q_OBJECT
public:
    explicit Legend(QWidget* parent);
    void setDocument(const DocumentPtr& doc);
    void setOverride(const QVector<QPair<QColor, QString>>& rows); // empty: placement rows
    const QVector<QPair<QColor, QString>>& rows() const { return m_override.isEmpty() ? m_rows : m_override; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    void fitSize();
    QVector<QPair<QColor, QString>> m_rows;
    QVector<QPair<QColor, QString>> m_override;
};

} // namespace tessera::studio
