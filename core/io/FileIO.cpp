#include "core/io/FileIO.h"

#include "core/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

namespace tessera {

namespace fs = std::filesystem;

std::string readFileBytes(const std::string& path, uint64_t maxBytes)
{
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        fail(path, ": file not found");
    if (fs::is_directory(status))
        fail(path, ": is a directory, not a file");
    uint64_t size = fs::file_size(path, ec);
    if (ec)
        fail(path, ": cannot read file size (", ec.message(), ")");
    if (size > maxBytes)
        fail(path, ": file is too large (", size, " bytes)");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, ": cannot open file (", std::strerror(errno), ")");
    std::string bytes(static_cast<size_t>(size), '\0');
    if (size && !in.read(bytes.data(), static_cast<std::streamsize>(size)))
        fail(path, ": read error");
    return bytes;
}

void writeFileAtomic(const std::string& path, const std::string& bytes)
{
    // A random suffix keeps concurrent writers of the same target from sharing a temp file.
    std::random_device rd;
    std::string temp = strCat(path, ".tmp-", std::to_string(rd()));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out)
            fail(path, ": cannot create temporary file '", temp, "' (", std::strerror(errno), ")");
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            out.close();
            std::remove(temp.c_str());
            fail(path, ": write error");
        }
    }
    std::error_code ec;
    fs::rename(temp, path, ec);
    if (ec) {
        std::remove(temp.c_str());
        fail(path, ": cannot replace file (", ec.message(), ")");
    }
}

} // namespace tessera
