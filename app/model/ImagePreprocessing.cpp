#include "app/model/ImagePreprocessing.h"

#include "core/Error.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>

namespace tessera::studio {

namespace {
constexpr const char* kPanel = "quant"; // QuantController::kPanelId, read by its dataSource()
const char* const kKeys[] = {"imageMean", "imageStd", "imageBgr", "imageScale"};

QJsonArray toArray(const std::vector<float>& values)
{
    QJsonArray a;
    for (float v : values)
        a.append(static_cast<double>(v));
    return a;
}

std::vector<float> fromArray(const QJsonValue& json, std::vector<float> fallback)
{
    const QJsonArray a = json.toArray();
    if (a.isEmpty())
        return fallback;
    std::vector<float> out;
    for (const QJsonValue& v : a)
        out.push_back(static_cast<float>(v.toDouble()));
    return out;
}

// The preprocessing keys of the quant panel's state (absent keys: absent).
QJsonObject keysOf(const QJsonObject& state)
{
    QJsonObject out;
    for (const char* key : kKeys)
        if (state.contains(key))
            out[key] = state.value(key);
    return out;
}
} // namespace

const std::vector<PreprocessingPreset>& preprocessingPresets()
{
    static const std::vector<PreprocessingPreset> presets = {
        {QObject::tr("[0, 1]: pixels / 255"), {{0.0f}, {1.0f}, false, 1.0f / 255.0f}},
        {QObject::tr("ImageNet (torchvision)"), {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, false, 1.0f / 255.0f}},
        {QObject::tr("[-1, 1] (PaddleOCR, Inception)"), {{0.5f}, {0.5f}, false, 1.0f / 255.0f}},
    };
    return presets;
}

ImagePreprocessing imagePreprocessingOf(const ProjectFile& project)
{
    const QJsonObject state = project.panels.value(kPanel).toObject();
    ImagePreprocessing p;
    p.mean = fromArray(state.value("imageMean"), p.mean);
    p.std = fromArray(state.value("imageStd"), p.std);
    p.bgr = state.value("imageBgr").toBool();
    p.scale = static_cast<float>(state.value("imageScale").toDouble(p.scale));
    return p;
}

std::vector<float> parseChannelValues(const QString& text, const char* what, bool positive)
{
    std::vector<float> values;
    for (const QString& part : text.split(QRegularExpression("[,;\\s]+"), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double v = part.toDouble(&ok);
        if (!ok || !std::isfinite(v) || (positive && v <= 0.0))
            fail(what, ": '", part.toStdString(), "' is not ", positive ? "a number > 0" : "a number");
        values.push_back(static_cast<float>(v));
    }
    if (values.size() != 1 && values.size() != 3)
        fail(what, ": give 1 value or 3 (one per channel), got ", values.size());
    return values;
}

QString channelValuesText(const std::vector<float>& values)
{
    QStringList parts;
    for (float v : values)
        parts << QString::number(v, 'g', 6);
    return parts.join(", ");
}

SetImagePreprocessing::SetImagePreprocessing(ProjectModel* model, const ImagePreprocessing& values)
    : m_model(model), m_old(keysOf(model->panelState(kPanel)))
{
    m_new["imageMean"] = toArray(values.mean);
    m_new["imageStd"] = toArray(values.std);
    m_new["imageBgr"] = values.bgr;
    m_new["imageScale"] = static_cast<double>(values.scale);
    setText(QObject::tr("Set image preprocessing"));
}

void SetImagePreprocessing::apply(const QJsonObject& keys)
{
    QJsonObject state = m_model->panelState(kPanel);
    for (const char* key : kKeys)
        state.remove(key);
    for (auto it = keys.begin(); it != keys.end(); ++it)
        state[it.key()] = it.value();
    m_model->setPanelState(kPanel, state);
}

void SetImagePreprocessing::undo() { apply(m_old); }
void SetImagePreprocessing::redo() { apply(m_new); }

} // namespace tessera::studio
