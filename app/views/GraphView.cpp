#include "app/views/GraphView.h"

#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>

namespace tessera::studio {

GraphView::GraphView(GraphScene* scene, NavigationController* navigation, QWidget* parent)
    : QGraphicsView(scene, parent), m_scene(scene), m_navigation(navigation)
{
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
    setFrameShape(QFrame::NoFrame);
    setFocusPolicy(Qt::StrongFocus);
    m_minimap = new Minimap(this);
    m_legend = new Legend(this);
    m_minimap->hide();
    m_legend->hide();
    connect(m_scene, &GraphScene::built, this, &GraphView::onBuilt);
    connect(m_scene, &GraphScene::revealRequested, this, [this](const QRectF& rect) {
        if (zoom() < 0.6) { // make the node readable, then centre it
            const double factor = 0.9 / zoom();
            scale(factor, factor);
            emit zoomChanged(zoom());
        }
        centerOn(rect.center());
        updateMinimap();
    });
}

void GraphView::onBuilt()
{
    m_buildClock.start();
    m_awaitingFirstPaint = true;
    m_legend->setDocument(m_scene->document());
    m_legend->setVisible(m_scene->document() != nullptr);
    // A block expanded or collapsed: the same graph, so keep the zoom (the caller centres).
    if (m_scene->document() != m_shownDocument.lock())
        showInitialView();
    m_shownDocument = m_scene->document();
    m_minimap->refreshPicture();
    placeOverlays();
    updateMinimap();
    viewport()->update();
}

void GraphView::setLegendRows(const QVector<QPair<QColor, QString>>& rows)
{
    m_legend->setOverride(rows);
}

QVector<QPair<QColor, QString>> GraphView::legendRows() const
{
    return m_legend->rows();
}

void GraphView::zoomBy(double factor)
{
    const double target = std::clamp(zoom() * factor, 0.01, 4.0);
    factor = target / zoom();
    scale(factor, factor);
    emit zoomChanged(zoom());
    updateMinimap();
}

void GraphView::fitToWindow()
{
    if (scene()->items().isEmpty())
        return;
    fitInView(sceneRect(), Qt::KeepAspectRatio);
    // A small graph would be blown up; show it at natural size at most.
    if (zoom() > 1.0)
        setTransform(QTransform());
    emit zoomChanged(zoom());
    updateMinimap();
}

void GraphView::showInitialView()
{
    fitToWindow();
    // A deep graph fitted whole is unreadable: start at its top at a readable zoom (the
    // minimap gives the overview, 0 fits the window).
    if (zoom() < style::kLabelZoom) {
        setTransform(QTransform::fromScale(0.85, 0.85));
        const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
        double x = sceneRect().center().x(); // under the first graph input when there is one
        for (int i = 0; i < m_scene->nodeItemCount(); ++i)
            if (m_scene->itemAt(i)->displayNode().kind == DisplayKind::GraphInput) {
                x = m_scene->itemAt(i)->sceneBoundingRect().center().x();
                break;
            }
        centerOn(x, sceneRect().top() + visible.height() / 2);
        emit zoomChanged(zoom());
    }
}

void GraphView::showRegion(const QRectF& rect)
{
    if (rect.isEmpty())
        return;
    // Its top at the top of the view when it is taller than the view, else its centre.
    const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
    const double y = rect.height() > visible.height() * 0.9 ? rect.top() + visible.height() * 0.45 : rect.center().y();
    centerOn(rect.center().x(), y);
    updateMinimap();
}

void GraphView::setMinimapVisible(bool visible)
{
    m_minimapWanted = visible;
    updateMinimap();
}

void GraphView::updateMinimap()
{
    // ~QGraphicsScene detaches its views (setScene(nullptr) scrolls this view) after
    // ~GraphScene has run: m_scene must not be used then, nor painted by the minimap.
    if (scene() != m_scene) {
        m_minimap->hide();
        return;
    }
    // Only useful when part of the graph is out of view.
    const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
    // sceneRect() has a 60 px margin around the items.
    const bool needed = !m_scene->boxItems().empty() && !visible.contains(m_scene->sceneRect().adjusted(50, 50, -50, -50));
    m_minimap->setVisible(m_minimapWanted && needed);
    m_minimap->update();
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    if (event->modifiers() & Qt::ShiftModifier) { // shift+wheel scrolls sideways
        QGraphicsView::wheelEvent(event);
        return;
    }
    zoomBy(std::pow(1.0015, event->angleDelta().y()));
    event->accept();
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25); return;
    case Qt::Key_Minus: zoomBy(1 / 1.25); return;
    case Qt::Key_0: fitToWindow(); return;
    case Qt::Key_Up: m_navigation->goToProducer(); return;
    case Qt::Key_Down: m_navigation->goToConsumer(); return;
    case Qt::Key_Left: m_navigation->goToSibling(-1); return;
    case Qt::Key_Right: m_navigation->goToSibling(+1); return;
    default: QGraphicsView::keyPressEvent(event);
    }
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    placeOverlays();
    updateMinimap();
}

QString GraphView::emptyStateText() const
{
    if (scene() == m_scene && !m_scene->boxItems().empty())
        return {};
    return tr("Open a model or project\n\nFile > Open… (Ctrl+O), Open Recent, or drop an .onnx / .tessera file here");
}

void GraphView::paintEvent(QPaintEvent* event)
{
    QGraphicsView::paintEvent(event);
    if (const QString hint = emptyStateText(); !hint.isEmpty()) {
        QPainter p(viewport());
        QFont font = style::bodyFont();
        font.setPointSizeF(font.pointSizeF() * 1.3);
        p.setFont(font);
        p.setPen(style::subtleTextColor());
        p.drawText(viewport()->rect().adjusted(24, 24, -24, -24), Qt::AlignCenter | Qt::TextWordWrap, hint);
    }
    if (m_awaitingFirstPaint) {
        m_awaitingFirstPaint = false;
        m_firstPaintMs = static_cast<double>(m_buildClock.nsecsElapsed()) / 1e6;
        emit firstPainted(m_firstPaintMs);
    }
}

void GraphView::scrollContentsBy(int dx, int dy)
{
    QGraphicsView::scrollContentsBy(dx, dy);
    updateMinimap();
}

void GraphView::placeOverlays()
{
    if (scene() != m_scene) // the scene is being destroyed (see updateMinimap)
        return;
    const QRect area = viewport()->geometry();
    const int h = std::clamp(area.height() / 3, 120, 260);
    // As wide as the graph's aspect needs: deep graphs get a slim strip, not an empty box.
    const QRectF scene = m_scene->sceneRect();
    const double aspect = scene.height() > 0 ? scene.width() / scene.height() : 1.0;
    const int w = std::clamp(static_cast<int>(h * aspect) + 8, 48, std::clamp(area.width() / 5, 140, 240));
    m_minimap->setGeometry(area.right() - w - 12, area.bottom() - h - 12, w, h);
    m_legend->move(area.left() + 12, area.top() + 12);
}

Minimap::Minimap(GraphView* view) : QWidget(view), m_view(view)
{
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Overview: click or drag to move the view"));
}

void Minimap::refreshPicture()
{
    const QRectF src = m_view->scene()->sceneRect();
    if (src.isEmpty() || m_view->graphScene()->boxItems().empty()) {
        m_picture = QPixmap();
        return;
    }
    QSizeF size = src.size();
    size.scale(QSizeF(480, 520), Qt::KeepAspectRatio);
    // Very deep graphs are hundreds of times taller than wide: keep the overview usable.
    size = size.expandedTo(QSizeF(24, 24));
    m_picture = QPixmap(size.toSize());
    m_picture.fill(style::canvasColor());
    // Coloured boxes only: rendering the scene's items would cost as much as a full paint.
    QPainter p(&m_picture);
    const double sx = size.width() / src.width(), sy = size.height() / src.height();
    GraphScene* scene = m_view->graphScene();
    for (const NodeItem* item : scene->boxItems()) {
        const QRectF r = item->sceneBoundingRect();
        p.fillRect(QRectF((r.left() - src.left()) * sx, (r.top() - src.top()) * sy, std::max(1.0, r.width() * sx),
                          std::max(1.0, r.height() * sy)),
                   item->color());
    }
    update();
}

QRectF Minimap::pictureRect() const
{
    if (m_picture.isNull())
        return {};
    QSizeF size = m_picture.size();
    size.scale(QSizeF(width() - 8, height() - 8), Qt::KeepAspectRatio);
    return QRectF(QPointF((width() - size.width()) / 2, (height() - size.height()) / 2), size);
}

void Minimap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(style::overlayBorderColor());
    p.setBrush(style::overlayColor());
    p.drawRoundedRect(rect().adjusted(0, 0, -1, -1), 6, 6);
    const QRectF target = pictureRect();
    if (target.isEmpty())
        return;
    p.drawPixmap(target, m_picture, m_picture.rect());
    // The visible part of the scene, mapped into the picture.
    const QRectF scene = m_view->scene()->sceneRect();
    const QRectF visible = m_view->mapToScene(m_view->viewport()->rect()).boundingRect().intersected(scene);
    const double sx = target.width() / scene.width(), sy = target.height() / scene.height();
    QRectF frame(target.left() + (visible.left() - scene.left()) * sx, target.top() + (visible.top() - scene.top()) * sy,
                 visible.width() * sx, visible.height() * sy);
    p.setPen(QPen(style::highlightColor(), 1.5));
    p.setBrush(QColor(245, 158, 11, 40));
    p.drawRect(frame);
}

void Minimap::centerViewAt(const QPointF& pos)
{
    const QRectF target = pictureRect();
    if (target.isEmpty())
        return;
    const QRectF scene = m_view->scene()->sceneRect();
    m_view->centerOn(scene.left() + (pos.x() - target.left()) / target.width() * scene.width(),
                     scene.top() + (pos.y() - target.top()) / target.height() * scene.height());
    update();
}

void Minimap::mousePressEvent(QMouseEvent* event) { centerViewAt(event->position()); }
void Minimap::mouseMoveEvent(QMouseEvent* event) { centerViewAt(event->position()); }

Legend::Legend(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
}

void Legend::setDocument(const DocumentPtr& doc)
{
    m_rows.clear();
    if (doc) {
        const auto& counts = doc->totals().nodesByPlacement;
        for (Placement p : {Placement::Analog, Placement::Digital, Placement::Unsupported})
            m_rows.append({style::placementColor(p),
                           QString("%1  %2").arg(placementName(p)).arg(counts[static_cast<int>(p)])});
        m_rows.append({style::ioColor(), tr("graph input / output")});
    }
    fitSize();
}

void Legend::setOverride(const QVector<QPair<QColor, QString>>& rows)
{
    m_override = rows;
    fitSize();
}

void Legend::fitSize()
{
    QFontMetrics fm(style::bodyFont());
    int w = 0;
    for (const auto& row : rows())
        w = std::max(w, fm.horizontalAdvance(row.second));
    resize(w + 44, static_cast<int>(rows().size()) * 20 + 12);
    update();
}

void Legend::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(style::overlayBorderColor());
    p.setBrush(style::overlayColor());
    p.drawRoundedRect(rect().adjusted(0, 0, -1, -1), 6, 6);
    p.setFont(style::bodyFont());
    int y = 8;
    for (const auto& [color, text] : rows()) {
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(QRectF(10, y + 3, 14, 12), 2, 2);
        p.setPen(style::textColor());
        p.drawText(QRect(32, y, width() - 36, 18), Qt::AlignVCenter | Qt::AlignLeft, text);
        y += 20;
    }
}

} // namespace tessera::studio
