// libFuzzer entry for the .npy parser: every input is a tensor or a tessera::Error.
#include "core/Error.h"
#include "core/io/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        tessera::parseNpy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    } catch (const tessera::Error&) {
    }
    return 0;
}
