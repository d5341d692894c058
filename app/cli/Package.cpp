// `tessera package info FILE` and `tessera package disasm FILE [--tile N]`: what a
// deployment package (.tpkg, docs/package-format.md) holds, and its tile programs. A file
// that is not a valid package is an error (exit 1) naming the file and the problem.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/package/PackageIO.h"
#include "core/package/PackageText.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace tessera::cli {

namespace {

struct PackageOptions {
    std::string file;
    std::string target; // non-empty: refuse a package built for another target
    int64_t tile = -1;
};

void addCommonOptions(CLI::App& app, PackageOptions& o)
{
    app.add_option("file", o.file, "a deployment package (.tpkg)")->required();
    app.add_option("--target", o.target, "refuse a package built for another target (the device's target name)");
}

} // namespace

CommandRun declarePackage(CLI::App& sub)
{
    auto o = std::make_shared<PackageOptions>();
    sub.require_subcommand(1);
    CLI::App* info = sub.add_subcommand("info", "Header, target, model, layers, arrays and tiles used, section sizes, I/O");
    addCommonOptions(*info, *o);
    CLI::App* disasm = sub.add_subcommand("disasm", "The tile programs, one instruction per line with named operands");
    addCommonOptions(*disasm, *o);
    disasm->add_option("--tile", o->tile, "only this tile's program")->check(numberIn(0));
    return [o, info] {
        const package::Package pkg = package::readPackage(o->file, o->target);
        std::cout << (info->parsed() ? package::packageInfo(pkg) : package::disassemble(pkg, o->tile));
        return kExitOk;
    };
}

} // namespace tessera::cli
