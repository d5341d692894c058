// libFuzzer entry for the calibration-image loader (quant/ImageFolder.h, libpng): every
// input is an image tensor or one tessera::Error, and no input allocates beyond the
// declared-size limit (libFuzzer's -malloc_limit_mb catches one that does). Decoded
// twice: at its own size and resized to luma 16x12.
#include "core/Error.h"
#include "quant/ImageFolder.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    tessera::quant::ImagePreprocess resized;
    resized.width = 16;
    resized.height = 12;
    resized.channels = 1;
    resized.mean = {0.5f};
    resized.std = {0.25f};
    for (const tessera::quant::ImagePreprocess& pre : {tessera::quant::ImagePreprocess{}, resized}) {
        try {
            const tessera::Tensor t = tessera::quant::decodePngImage(bytes, "fuzz.png", pre);
            if (t.rank() != 4 || t.dim(1) != pre.channels || (pre.width && t.dim(3) != pre.width))
                __builtin_trap();
        } catch (const tessera::Error&) {
        }
    }
    return 0;
}
