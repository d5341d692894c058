#pragma once
// The verb table of the `tessera` CLI. Each verb lives in its own file and contributes one
// row: its name, a one-line summary, and a function declaring its options on the
// subcommand and returning what to run once the command line is parsed. Adding a verb
// (quantize, compile, simulate...) means one new file and one new row in Commands.cpp.
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace tessera::quant {
struct DataSource;
}

namespace tessera::cli {

// Exit codes shared by every verb.
enum ExitCode : int {
    kExitOk = 0,
    kExitUserError = 1, // missing/corrupt file, unsupported model, wrong data
    kExitUsage = 2,     // bad command line
    kExitMismatch = 1,  // `compare`: arrays differ beyond tolerance
    kExitCancelled = 130,
};

// Runs the verb; returns the process exit code. Throws tessera::Error for user errors.
using CommandRun = std::function<int()>;

struct CommandSpec {
    std::string name;
    std::string summary;
    std::function<CommandRun(CLI::App& sub)> declare;
};

const std::vector<CommandSpec>& commandTable();

// One declaration per verb file.
CommandRun declareInspect(CLI::App& sub);
CommandRun declareRun(CLI::App& sub);
CommandRun declareEval(CLI::App& sub);
CommandRun declareCompare(CLI::App& sub);
CommandRun declareQuantize(CLI::App& sub);
CommandRun declareQuantEval(CLI::App& sub);
CommandRun declareSensitivity(CLI::App& sub);
CommandRun declareMixedPrecision(CLI::App& sub);
CommandRun declareExportQdq(CLI::App& sub);
CommandRun declareTargets(CLI::App& sub);
CommandRun declareCompile(CLI::App& sub);
CommandRun declarePackage(CLI::App& sub);
CommandRun declareSimulate(CLI::App& sub);
CommandRun declarePerf(CLI::App& sub);
CommandRun declareBench(CLI::App& sub);
CommandRun declareRetrain(CLI::App& sub);
// Whether this binary has the training library: `tessera-train` does, `tessera` does not
// (main.cpp hands retraining command lines over to tessera-train).
bool trainingBuiltIn();

// The data options of `quantize` (--data, --images, --labels, --size, --limit...) on another
// verb (retrain); call the result once the command line is parsed (QuantizeCommands.cpp).
using DataSourceOptions = std::function<quant::DataSource()>;
DataSourceOptions addDataSourceOptions(CLI::App& sub, const char* role);

} // namespace tessera::cli
