// `tessera`: the command-line face of the engine. Verbs come from the table in
// Commands.cpp; this file parses the command line, dispatches, and maps failures to exit
// codes (1: the inputs are at fault, 2: the command line is, 130: cancelled).
#include "core/Memory.h"
#include "app/cli/Commands.h"
#include "app/cli/Console.h"
#include "core/Error.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

using namespace tessera;
using namespace tessera::cli;

int main(int argc, char** argv)
{
    tessera::keepFreedMemoryForReuse();
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
