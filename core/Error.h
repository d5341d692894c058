#pragma once
// Errors a user can cause (bad file, unknown op, wrong shape) are thrown as tessera::Error
// with a message naming the file, node or layer. Internal invariants use assert().
#include <sstream>
#include <stdexcept>
#include <string>

namespace tessera {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when a ProgressSink asks long work to stop.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

template <class... Parts>
std::string strCat(const Parts&... parts)
{
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts)
{
    throw Error(strCat(parts...));
}

} // namespace tessera
