#include "app/model/InputShapes.h"

#include "core/Error.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace tessera::studio {

namespace {
constexpr const char* kPanel = "model";
constexpr const char* kKey = "inputShapes";
} // namespace

InputShapeMap inputShapesOf(const ProjectFile& project)
{
    InputShapeMap shapes;
    const QJsonObject json = project.panels.value(kPanel).toObject().value(kKey).toObject();
    for (auto it = json.begin(); it != json.end(); ++it) {
        Shape shape;
        for (const QJsonValue& d : it.value().toArray())
            shape.push_back(d.toInteger());
        shapes[it.key().toStdString()] = shape;
    }
    return shapes;
}

QJsonObject inputShapesToJson(const InputShapeMap& shapes)
{
    QJsonObject json;
    for (const auto& [name, shape] : shapes) {
        QJsonArray dims;
        for (int64_t d : shape)
            dims.append(static_cast<qint64>(d));
        json[QString::fromStdString(name)] = dims;
    }
    return json;
}

Shape parseDims(const QString& text, const std::string& input)
{
    Shape shape;
    for (const QString& part : text.split(QRegularExpression("[,\\sx×]+"), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong d = part.toLongLong(&ok);
        if (!ok || d <= 0 || d > (int64_t{1} << 31))
            fail("input '", input, "': dimension '", part.toStdString(), "' is not a positive whole number");
        shape.push_back(d);
    }
    if (shape.empty())
        fail("input '", input, "': no dimensions given");
    return shape;
}

SetInputShapes::SetInputShapes(ProjectModel* model, const InputShapeMap& shapes)
    : m_model(model), m_old(model->panelState(kPanel).value(kKey).toObject()), m_new(inputShapesToJson(shapes))
{
    setText(QObject::tr("Set input shapes"));
}

void SetInputShapes::apply(const QJsonObject& shapes)
{
    QJsonObject state = m_model->panelState(kPanel);
    state[kKey] = shapes;
    m_model->setPanelState(kPanel, state);
    emit m_model->inputShapesChanged();
}

void SetInputShapes::undo() { apply(m_old); }
void SetInputShapes::redo() { apply(m_new); }

} // namespace tessera::studio
