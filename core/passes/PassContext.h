#pragma once
// What a pass run sees besides the graph (after TVM's PassContext): the hardware target,
// the pipeline's options, progress/cancellation, and a log of what each pass did that
// reports (`tessera inspect --pass-log`) print.
#include <cstddef>
#include <string>
#include <vector>

namespace tessera {

struct Target;      // core/target/Target.h
class ProgressSink; // core/Progress.h
class FoldLog;      // core/passes/FoldLog.h

// One pass run inside a pipeline.
struct PassLogEntry {
    std::string pass;
    int iteration = 0;      // 0-based round of the pipeline's fixpoint loop
    bool changed = false;
    size_t nodesBefore = 0; // live nodes
    size_t nodesAfter = 0;
    double milliseconds = 0;
    double verifyMilliseconds = -1; // time the verifier took after the pass; -1: not verified
};

// On in debug builds (NDEBUG unset) and when the environment sets TESSERA_VERIFY_PASSES=1
// (the test suite does); off otherwise.
bool verifyPassesByDefault();

struct PassContext {
    const Target* target = nullptr;           // the chip the graph is prepared for; null: none chosen
    bool verifyEachPass = verifyPassesByDefault(); // verifier (structure, counts, shapes) after every pass
    int maxIterations = 4;                    // the pass list is repeated while something changes
    ProgressSink* progress = nullptr;         // told before each pass; cancelling it stops between passes
    std::vector<PassLogEntry> log;            // appended to by runPipeline
    // When set, every pass that removes a node records what became of it (a side channel:
    // passes write it through the const context; the caller owns it).
    FoldLog* foldLog = nullptr;

    // "ConstantFolding  changed  120 -> 84 nodes  3.1 ms", one line per entry.
    std::string formatLog() const;
};

} // namespace tessera
