#pragma once
// The .tessera project file (JSON; schema in docs/project-file.md). Paths are stored
// relative to the project file so a project folder can be moved as a whole.
#include <QJsonObject>
#include <QMap>
#include <QString>

namespace tessera::studio {

struct ProjectFile {
    static constexpr int kVersion = 2; // 2: hardware.target names a core/target preset or file
    QString modelPath;      // absolute in memory, relative on disk
    QString datasetPath;    // absolute in memory, relative on disk; empty when unset
    QString hardwareTarget; // a target preset ("m1076") or target file; empty: the default (m1076)
    // Per-layer choices by node name: {"bits": 4, ...}. Panels add their own keys.
    QMap<QString, QJsonObject> layers;
    // Free-form state owned by panels, by panel id. String values whose key ends in
    // "Path" or "Dir" are paths: absolute in memory, relative on disk.
    QJsonObject panels;

    bool operator==(const ProjectFile& other) const;
};

QJsonObject projectToJson(const ProjectFile& project, const QString& projectDir);
// Throws tessera::Error naming `sourceName` when the JSON does not follow the schema.
ProjectFile projectFromJson(const QJsonObject& json, const QString& projectDir, const QString& sourceName);

// Atomic write (temporary file + rename, every write checked): a crash or a full disk
// never leaves a half-written project, the old file stays. Throws tessera::Error.
void writeProjectFile(const QString& path, const ProjectFile& project);
ProjectFile readProjectFile(const QString& path);
// A project file's bytes; paths are relative to `projectDir`, errors name `sourceName`.
ProjectFile parseProjectFile(const QByteArray& bytes, const QString& projectDir, const QString& sourceName);

} // namespace tessera::studio
