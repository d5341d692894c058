// libFuzzer entry for the studio's project file reader (app/model/ProjectFile.h, Qt JSON):
// every input is a project or one tessera::Error. A project that reads must write back to
// JSON that reads to the same project.
#include "app/model/ProjectFile.h"
#include "core/Error.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    try {
        const tessera::studio::ProjectFile project = tessera::studio::parseProjectFile(bytes, "/p", "fuzz.tessera");
        const QJsonObject again = tessera::studio::projectToJson(project, "/p");
        if (!(tessera::studio::projectFromJson(again, "/p", "again.tessera") == project))
            __builtin_trap();
    } catch (const tessera::Error&) {
    }
    return 0;
}
