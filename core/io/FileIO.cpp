#include "core/io/FileIO.h"

#include "core/Error.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
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

namespace {

// Why a write failed, in words a user acts on.
std::string writeErrorText(int err)
{
    if (err == ENOSPC || err == EDQUOT)
        return "disk full";
    if (err == EFBIG)
        return "file size limit exceeded";
    return std::strerror(err);
}

// Writes every byte (retrying short writes and EINTR), then flushes to the device; returns
// 0 or the errno of the first failure.
int writeAll(int fd, const std::string& bytes, size_t& written)
{
    written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return ENOSPC; // no progress: treat as a full device
        written += static_cast<size_t>(n);
    }
    return ::fsync(fd) == 0 ? 0 : errno;
}

} // namespace

void writeFileAtomic(const std::string& path, const std::string& bytes)
{
    // A random suffix keeps concurrent writers of the same target from sharing a temp file.
    std::random_device rd;
    std::string temp = strCat(path, ".tmp-", std::to_string(rd()));
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        fail(path, ": cannot create temporary file '", temp, "' (", writeErrorText(errno), ")");
    size_t written = 0;
    int err = writeAll(fd, bytes, written);
    if (::close(fd) != 0 && err == 0)
        err = errno; // some file systems report a full disk only at close
    if (err != 0) {
        ::unlink(temp.c_str());
        fail(path, ": write failed after ", written, " of ", bytes.size(), " bytes (", writeErrorText(err),
             "); the existing file is unchanged");
    }
    std::error_code ec;
    fs::rename(temp, path, ec);
    if (ec) {
        ::unlink(temp.c_str());
        fail(path, ": cannot replace file (", ec.message(), ")");
    }
}

} // namespace tessera
