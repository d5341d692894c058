#include "app/model/ProjectFile.h"

#include "core/Error.h"
#include "core/io/FileIO.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

namespace tessera::studio {

namespace {

constexpr const char* kFormat = "tessera-project";

QString toRelative(const QString& path, const QString& dir)
{
    return path.isEmpty() ? QString() : QDir(dir).relativeFilePath(path);
}

QString toAbsolute(const QString& path, const QString& dir)
{
    if (path.isEmpty())
        return {};
    // Qt reads a leading ':' as a resource path (absolute); in a project it is a file name.
    const QString file = path.startsWith(':') ? "./" + path : path;
    return QDir::cleanPath(QDir(dir).absoluteFilePath(file));
}

bool isPanelPathKey(const QString& key)
{
    return key.endsWith("Path") || key.endsWith("Dir");
}

// Panel-state strings under path keys (isPanelPathKey) converted with `convert`.
QJsonObject convertPanelPaths(const QJsonObject& panels, const QString& dir, QString (*convert)(const QString&, const QString&))
{
    QJsonObject out = panels;
    for (auto panel = out.begin(); panel != out.end(); ++panel) {
        if (!panel.value().isObject())
            continue;
        QJsonObject state = panel.value().toObject();
        for (auto it = state.begin(); it != state.end(); ++it)
            if (isPanelPathKey(it.key()) && it.value().isString())
                it.value() = convert(it.value().toString(), dir);
        panel.value() = state;
    }
    return out;
}

} // namespace

bool ProjectFile::operator==(const ProjectFile& o) const
{
    return modelPath == o.modelPath && datasetPath == o.datasetPath && hardwareTarget == o.hardwareTarget &&
           layers == o.layers && panels == o.panels;
}

QJsonObject projectToJson(const ProjectFile& project, const QString& projectDir)
{
    QJsonObject layers;
    for (auto it = project.layers.begin(); it != project.layers.end(); ++it)
        if (!it.value().isEmpty())
            layers.insert(it.key(), it.value());
    QJsonObject json;
    json["format"] = kFormat;
    json["version"] = ProjectFile::kVersion;
    json["model"] = toRelative(project.modelPath, projectDir);
    json["dataset"] = toRelative(project.datasetPath, projectDir);
    json["hardware"] = QJsonObject{{"target", project.hardwareTarget}};
    json["layers"] = layers;
    json["panels"] = convertPanelPaths(project.panels, projectDir, toRelative);
    return json;
}

ProjectFile projectFromJson(const QJsonObject& json, const QString& projectDir, const QString& sourceName)
{
    auto bad = [&](const QString& what) { fail(sourceName.toStdString(), ": ", what.toStdString()); };
    if (json.value("format").toString() != kFormat)
        bad("not a Tessera project (\"format\" is not \"tessera-project\")");
    if (!json.value("version").isDouble())
        bad("\"version\" must be a number");
    const double number = json.value("version").toDouble(); // 1.5 must not read as 1 or 0
    if (!(number >= 1 && number <= ProjectFile::kVersion && number == static_cast<int>(number)))
        bad(QString("unsupported project version %1 (this build reads 1..%2)").arg(number).arg(ProjectFile::kVersion));
    const int version = static_cast<int>(number);
    if (!json.value("model").isString() || json.value("model").toString().isEmpty())
        bad("\"model\" must name the model file");
    ProjectFile project;
    project.modelPath = toAbsolute(json.value("model").toString(), projectDir);
    project.datasetPath = toAbsolute(json.value("dataset").toString(), projectDir);
    project.hardwareTarget = json.value("hardware").toObject().value("target").toString();
    if (version == 1) // version 1 named targets by product id; "amp-generic" had no target file
        project.hardwareTarget = project.hardwareTarget == "amp-m1076" ? QString("m1076") : QString();
    const QJsonValue layers = json.value("layers");
    if (!layers.isUndefined() && !layers.isObject())
        bad("\"layers\" must be an object of per-layer choices");
    const QJsonObject layerObj = layers.toObject();
    for (auto it = layerObj.begin(); it != layerObj.end(); ++it) {
        if (!it.value().isObject())
            bad(QString("layer '%1': choices must be an object").arg(it.key()));
        if (!it.value().toObject().isEmpty()) // like projectToJson: a layer without choices is not stored
            project.layers.insert(it.key(), it.value().toObject());
    }
    project.panels = convertPanelPaths(json.value("panels").toObject(), projectDir, toAbsolute);
    return project;
}

void writeProjectFile(const QString& path, const ProjectFile& project)
{
    const QString dir = QFileInfo(path).absolutePath();
    const QByteArray bytes = QJsonDocument(projectToJson(project, dir)).toJson(QJsonDocument::Indented);
    // Every write checked; on a full disk the old project stays and the error says "disk full".
    writeFileAtomic(path.toStdString(), bytes.toStdString());
}

ProjectFile readProjectFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail("cannot open project '", path.toStdString(), "': ", file.errorString().toStdString());
    return parseProjectFile(file.readAll(), QFileInfo(path).absolutePath(), path);
}

ProjectFile parseProjectFile(const QByteArray& bytes, const QString& projectDir, const QString& sourceName)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (err.error != QJsonParseError::NoError)
        fail(sourceName.toStdString(), ": invalid JSON at offset ", err.offset, ": ", err.errorString().toStdString());
    if (!doc.isObject())
        fail(sourceName.toStdString(), ": a project file must hold a JSON object");
    return projectFromJson(doc.object(), projectDir, sourceName);
}

} // namespace tessera::studio
