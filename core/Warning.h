#pragma once
// Warnings a user should read (an input that cannot be fully checked, suspicious data): one
// channel for the engine, no Qt. The default handler prints "tessera: warning: TEXT" on
// stderr; the studio or a test installs its own. Each distinct text is said once per process
// (since the handler was last set), so a file read by several stages warns once.
#include <functional>
#include <string>

namespace tessera {

using WarningHandler = std::function<void(const std::string& text)>;

// Thread-safe; the handler runs on the calling thread.
void warn(const std::string& text);
// Installs `handler` (nullptr: the default) and forgets what was said; returns the previous.
WarningHandler setWarningHandler(WarningHandler handler);

} // namespace tessera
