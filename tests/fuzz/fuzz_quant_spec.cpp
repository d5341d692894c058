// libFuzzer entry for the quantization file reader (core/quantspec/QuantSpec.h): every
// input is a spec or one tessera::Error (never a raw json exception, a crash or UB). A
// spec that reads must write back to JSON that reads to the same JSON.
#include "core/Error.h"
#include "core/quantspec/QuantSpec.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
    if (j.is_discarded())
        return 0; // not JSON: readQuantSpec reports it before the reader runs
    try {
        const nlohmann::json again = tessera::toJson(tessera::quantSpecFromJson(j, "fuzz.json"));
        if (tessera::toJson(tessera::quantSpecFromJson(again, "again.json")) != again)
            __builtin_trap();
    } catch (const tessera::Error&) {
    }
    return 0;
}
