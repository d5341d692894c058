#include "app/views/GraphExport.h"

#include "app/views/NodeStyle.h"
#include "core/Error.h"

#include <QFileInfo>
#include <QGraphicsScene>
#include <QImage>
#include <QImageWriter>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>

namespace tessera::studio {

namespace {

constexpr double kMaxSide = 16384.0;
constexpr double kMaxPixels = 64.0 * 1024 * 1024;

std::string str(const QString& s) { return s.toStdString(); }

void commit(QSaveFile& file, const QString& path)
{
    if (!file.commit())
        fail(str(path), ": could not write the graph image (", str(file.errorString()), ")");
}

void writePng(QGraphicsScene& scene, const QRectF& source, const QString& path)
{
    double scale = std::min({2.0, kMaxSide / source.width(), kMaxSide / source.height()});
    scale = std::min(scale, std::sqrt(kMaxPixels / (source.width() * source.height())));
    QImage image(std::max(1, static_cast<int>(source.width() * scale)),
                 std::max(1, static_cast<int>(source.height() * scale)), QImage::Format_ARGB32_Premultiplied);
    if (image.isNull())
        fail(str(path), ": out of memory for a ", source.width() * scale, " x ", source.height() * scale,
             " pixel image");
    image.fill(style::canvasColor());
    {
        QPainter painter(&image);
        painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
        scene.render(&painter, QRectF(image.rect()), source);
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        fail(str(path), ": cannot open for writing (", str(file.errorString()), ")");
    QImageWriter writer(&file, "png");
    if (!writer.write(image))
        fail(str(path), ": could not write the PNG (", str(writer.errorString()), ")");
    commit(file, path);
}

void writeSvg(QGraphicsScene& scene, const QRectF& source, const QString& path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        fail(str(path), ": cannot open for writing (", str(file.errorString()), ")");
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(QFileInfo(path).completeBaseName());
    svg.setDescription(QStringLiteral("Graph drawn by Tessera Studio"));
    {
        QPainter painter(&svg);
        painter.fillRect(QRectF(QPointF(0, 0), source.size()), style::canvasColor());
        scene.render(&painter, QRectF(QPointF(0, 0), source.size()), source);
    }
    commit(file, path);
}

} // namespace

void exportGraphImage(QGraphicsScene& scene, const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext != "png" && ext != "svg")
        fail(str(path), ": give a .png or .svg file name");
    const QRectF source = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20);
    if (scene.items().isEmpty() || source.isEmpty())
        fail(str(path), ": there is no graph to export (open a model first)");
    if (ext == "png")
        writePng(scene, source, path);
    else
        writeSvg(scene, source, path);
}

} // namespace tessera::studio
