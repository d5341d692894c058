// libFuzzer entry for the deployment-package reader (core/package/PackageIO.h): every
// input is a package or one tessera::Error. Parsed twice: with the checksum (what real
// files get) and without it, so mutations reach the section parsers and the validation.
// A package that parses must serialize, and that serialization must read back to the
// same bytes.
#include "core/Error.h"
#include "core/package/PackageIO.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (bool checksum : {true, false}) {
        tessera::package::ReadOptions options;
        options.verifyChecksum = checksum;
        try {
            const tessera::package::Package pkg = tessera::package::parsePackage(bytes, "fuzz.tpkg", options);
            const std::string again = tessera::package::serializePackage(pkg);
            if (tessera::package::serializePackage(tessera::package::parsePackage(again, "again.tpkg")) != again)
                __builtin_trap();
        } catch (const tessera::Error&) {
        }
    }
    return 0;
}
