#pragma once
// Passes by name: one row per pass (name, one-line doc, factory). The built-in rows are a
// table in PassRegistry.cpp; tests and tools may add rows at run time with registerPass.
#include "core/passes/Pass.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tessera {

struct PassInfo {
    std::string name;
    std::string doc; // one line, for `tessera inspect --list-passes`
    std::function<std::unique_ptr<Pass>()> create;
};

// Every known pass, built-in ones first, in registration order.
std::vector<PassInfo> registeredPasses();

// Adds a row; throws tessera::Error when the name is already taken.
void registerPass(PassInfo info);

// A new instance of the named pass. Throws tessera::Error listing the known names when
// there is no such pass.
std::unique_ptr<Pass> createPass(const std::string& name);

// createPass for each name, in order.
PassList createPasses(const std::vector<std::string>& names);

// For a static object in a test or tool file: registers a pass at start-up.
struct PassRegistration {
    explicit PassRegistration(PassInfo info) { registerPass(std::move(info)); }
};

} // namespace tessera
