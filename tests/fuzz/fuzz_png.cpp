// libFuzzer entry for the calibration-image loader (quant/ImageFolder.h, libpng): every
// input is an image tensor or one tessera::Error, and no input allocates beyond the
// declared-size limit (libFuzzer's -malloc_limit_mb catches one that does). Decoded
// twice: at its own size and resized to luma 16x12.
//
// Every chunk's CRC is recomputed before decoding: libpng refuses a chunk whose CRC does not
// match, so without this nearly every mutation died at the first chunk it touched (session
// 12: 63 exec/s, no new unit in 5 minutes). The simplified png_image API the loader uses has
// no png_set_crc_action, and fixing the bytes here keeps the product code fuzz-free.
#include "core/Error.h"
#include "quant/ImageFolder.h"

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

uint32_t be32(const std::string& b, size_t at)
{
    return uint32_t(uint8_t(b[at])) << 24 | uint32_t(uint8_t(b[at + 1])) << 16 | uint32_t(uint8_t(b[at + 2])) << 8 |
           uint32_t(uint8_t(b[at + 3]));
}

// Chunks after the 8-byte signature: length, type, data, CRC over type and data. A chunk
// that runs past the end is left as it is (libpng reports the truncation).
void fixChunkCrcs(std::string& b)
{
    size_t at = 8;
    while (at + 12 <= b.size()) {
        const uint64_t length = be32(b, at);
        if (at + 12 + length > b.size())
            return;
        const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(b.data() + at + 4), uInt(length + 4)));
        for (int i = 0; i < 4; ++i)
            b[at + 8 + length + i] = static_cast<char>(crc >> (24 - 8 * i));
        at += 12 + length;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string bytes(reinterpret_cast<const char*>(data), size);
    fixChunkCrcs(bytes);
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
