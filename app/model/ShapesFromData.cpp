#include "app/model/ShapesFromData.h"

#include "core/Error.h"
#include "core/io/NpyHeader.h"

#include <QDir>
#include <QFileInfo>
#include <QImageReader>
#include <QObject>

#include <set>

namespace tessera::studio {

namespace {

QString dimsText(const Shape& s)
{
    QStringList dims;
    for (int64_t d : s)
        dims << QString::number(d);
    return dims.join(QChar(0x00d7)); // 1×3×640×640
}

// One sample's shape: the .npy's shape without dim 0, or [C, H, W] of the folder's PNG
// images (C: the input's, converted by the preprocessing). Throws naming the data.
Shape sampleShape(const QString& dataPath, const Shape& input, const std::string& inputName)
{
    const QFileInfo info(dataPath);
    if (!info.isDir()) {
        Shape s = readNpyShape(dataPath.toStdString());
        if (s.empty())
            fail(dataPath.toStdString(), ": a 0-d array holds no samples for input '", inputName, "'");
        return Shape(s.begin() + 1, s.end());
    }
    if (input.size() != 4)
        fail(dataPath.toStdString(), ": images feed a 4-D NCHW input, but input '", inputName, "' has shape ",
             shapeToString(input));
    const QStringList pngs = QDir(dataPath).entryList({"*.png", "*.PNG"}, QDir::Files, QDir::Name);
    if (pngs.isEmpty())
        fail(dataPath.toStdString(), ": the folder has no PNG images");
    QSize size;
    for (const QString& png : pngs) {
        const QSize s = QImageReader(QDir(dataPath).filePath(png)).size();
        if (!s.isValid())
            fail(QDir(dataPath).filePath(png).toStdString(), ": not a readable PNG image");
        if (size.isValid() && s != size)
            fail(dataPath.toStdString(), ": images of different sizes (", pngs.first().toStdString(), " is ",
                 size.width(), "x", size.height(), ", ", png.toStdString(), " is ", s.width(), "x", s.height(),
                 ") cannot set the height and width of input '", inputName, "'; give them in Model > Input Shapes…");
        size = s;
    }
    return {input[1], size.height(), size.width()};
}

} // namespace

DataShapeFit fitShapesToData(const GraphDocument& doc, const ProjectFile& project, const QString& dataPath)
{
    const Graph& g = doc.graph();
    DataShapeFit fit;
    if (g.inputs().size() != 1) {
        fit.text = QObject::tr("The model has %1 inputs: input shapes are not taken from calibration data")
                       .arg(g.inputs().size());
        return fit;
    }
    const Value& in = g.value(g.inputs()[0]);
    fit.shapes = inputShapesOf(project);
    const bool given = fit.shapes.count(in.name) > 0;
    std::set<int64_t> symbolic;
    for (const DefaultedDim& d : doc.report().defaultedDims)
        if (d.input == in.name)
            symbolic.insert(d.axis);
    Shape sample;
    try {
        sample = sampleShape(dataPath, in.shape, in.name);
    } catch (const Error& e) {
        fit.kind = DataShapeFit::Kind::Misfit;
        fit.text = QString::fromStdString(e.what());
        return fit;
    }
    const QString name = QString::fromStdString(in.name);
    const QString file = QFileInfo(dataPath).fileName();
    Shape wanted = in.shape;
    bool fits = sample.size() + 1 == in.shape.size();
    for (size_t axis = 1; fits && axis < in.shape.size(); ++axis) {
        if (in.shape[axis] == sample[axis - 1])
            continue;
        fits = given || symbolic.count(static_cast<int64_t>(axis));
        wanted[axis] = sample[axis - 1];
    }
    if (!fits) {
        QStringList expected; // "3×?×?": a symbolic dim takes any size
        for (size_t axis = 1; axis < in.shape.size(); ++axis)
            expected << (given || symbolic.count(static_cast<int64_t>(axis)) ? QStringLiteral("?")
                                                                              : QString::number(in.shape[axis]));
        fit.kind = DataShapeFit::Kind::Misfit;
        fit.text = QObject::tr("%1: samples of shape %2 cannot feed input '%3' of shape %4: each sample must be %5 "
                               "(the input without its batch dim%6)")
                       .arg(dataPath, dimsText(sample), name, dimsText(in.shape), expected.join(QChar(0x00d7)),
                            expected.contains("?") ? QObject::tr("; ? is a symbolic dim, any size") : QString());
        return fit;
    }
    if (wanted == in.shape) {
        fit.text = QObject::tr("%1 fits input '%2' (%3): samples of %4").arg(file, name, dimsText(in.shape), dimsText(sample));
        return fit;
    }
    fit.kind = DataShapeFit::Kind::Reshape;
    fit.shapes[in.name] = wanted;
    fit.text = QObject::tr("Input '%1' set from %2 to %3, the shape of the samples in %4 (Edit > Undo keeps %2)")
                   .arg(name, dimsText(in.shape), dimsText(wanted), file);
    return fit;
}

} // namespace tessera::studio
