#include "core/Warning.h"

#include <cstdio>
#include <mutex>
#include <set>

namespace tessera {

namespace {

struct WarningChannel {
    std::mutex mutex;
    WarningHandler handler;
    std::set<std::string> said;
};

WarningChannel& channel()
{
    static WarningChannel c;
    return c;
}

} // namespace

void warn(const std::string& text)
{
    WarningChannel& c = channel();
    WarningHandler handler;
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        if (!c.said.insert(text).second)
            return;
        handler = c.handler;
    }
    if (handler)
        handler(text);
    else
        std::fprintf(stderr, "tessera: warning: %s\n", text.c_str());
}

WarningHandler setWarningHandler(WarningHandler handler)
{
    WarningChannel& c = channel();
    std::lock_guard<std::mutex> lock(c.mutex);
    c.said.clear();
    WarningHandler previous = std::move(c.handler);
    c.handler = std::move(handler);
    return previous;
}

} // namespace tessera
