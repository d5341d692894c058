#pragma once
// Byte counts for people, in messages: "512 bytes", "3.2 MB", "160.1 GB" (powers of 1000).
#include <cstdint>
#include <cstdio>
#include <string>

namespace tessera {

inline std::string byteSizeText(uint64_t bytes)
{
    if (bytes < 1000)
        return std::to_string(bytes) + " bytes";
    const char* units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(bytes) / 1000.0;
    int unit = 0;
    for (; v >= 1000.0 && unit < 5; ++unit)
        v /= 1000.0;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", v, units[unit]);
    return text;
}

} // namespace tessera
