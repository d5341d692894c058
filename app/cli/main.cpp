// `tessera`: the command-line face of the engine. Verbs come from the table in
// Commands.cpp; this file parses the command line, dispatches, and maps failures to exit
// codes (1: the inputs are at fault, 2: the command line is, 130: cancelled).
#include "core/Memory.h"
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "core/Error.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <unistd.h>

using namespace tessera;
using namespace tessera::cli;

namespace {

// The retraining verbs (retrain, quantize --adaround) need libtorch, whose loading costs
// every start about 0.4 s of CPU; `tessera` is built without it and hands those command
// lines to `tessera-train` next to it (the same verbs, built with the training library).
bool wantsTraining(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "retrain") == 0)
        return true;
    for (int i = 2; i < argc; ++i)
        if (std::strcmp(argv[i], "--adaround") == 0)
            return true;
    return false;
}

// Replaces this process with tessera-train (same arguments); returns when there is none.
void forwardToTrainingTool(char** argv)
{
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return;
    const std::string tool = (self.parent_path() / "tessera-train").string();
    if (::access(tool.c_str(), X_OK) != 0)
        return;
    argv[0] = const_cast<char*>(tool.c_str());
    ::execv(tool.c_str(), argv);
    std::fprintf(stderr, "tessera: could not start %s: %s\n", tool.c_str(), std::strerror(errno));
}

} // namespace

int main(int argc, char** argv)
{
    tessera::keepFreedMemoryForReuse();
    if (!trainingBuiltIn() && wantsTraining(argc, argv))
        forwardToTrainingTool(argv); // without tessera-train, the verb itself says training was not built
    CLI::App app{"Tessera: import, inspect and run ONNX models for an analog matrix processor"};
    app.name("tessera");
    app.require_subcommand(1);
    app.add_flag("-q,--quiet", consoleOptions().quiet, "No progress output on stderr");
    app.footer("Run 'tessera <command> --help' for a command's options.\n"
               "Exit codes: 0 ok, 1 bad input (file, model, data), 2 bad command line, 130 cancelled.");

    std::map<const CLI::App*, CommandRun> runs;
    for (const CommandSpec& spec : commandTable()) {
        CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
        runs[sub] = spec.declare(*sub);
    }

    if (argc == 1) {
        std::fputs(app.help().c_str(), stderr);
        return kExitUsage;
    }
    bool knownVerb = argv[1][0] == '-';
    for (const CommandSpec& spec : commandTable())
        knownVerb = knownVerb || spec.name == argv[1];
    if (!knownVerb) {
        std::fprintf(stderr, "tessera: unknown command '%s' (commands:", argv[1]);
        for (const CommandSpec& spec : commandTable())
            std::fprintf(stderr, " %s", spec.name.c_str());
        std::fprintf(stderr, "; see tessera --help)\n");
        return kExitUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e); // prints the problem and a hint
        return kExitUsage;
    }

    installInterruptHandler();
    try {
        for (const auto& [sub, run] : runs)
            if (sub->parsed())
                return run();
        return kExitUsage;
    } catch (const Cancelled&) {
        std::fprintf(stderr, "\ntessera: cancelled\n");
        return kExitCancelled;
    } catch (const Error& e) {
        std::fprintf(stderr, "tessera: error: %s\n", e.what());
        return kExitUserError;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "tessera: error: out of memory\n");
        return kExitUserError;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera: internal error: %s\n", e.what());
        return kExitUserError;
    }
}
