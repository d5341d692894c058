#include "core/passes/Pass.h"

#include "core/Error.h"
#include "core/Progress.h"
#include "core/Verifier.h"
#include "core/passes/PassRegistry.h"
#include "core/passes/FoldLog.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tessera {

bool verifyPassesByDefault()
{
#ifdef NDEBUG
    const char* env = std::getenv("TESSERA_VERIFY_PASSES");
    return env && std::strcmp(env, "1") == 0;
#else
    return true;
#endif
}

std::string PassContext::formatLog() const
{
    std::string text;
    for (const PassLogEntry& e : log) {
        char line[256];
        std::snprintf(line, sizeof line, "%-24s round %d  %-9s  %5zu -> %-5zu nodes  %8.2f ms", e.pass.c_str(),
                      e.iteration + 1, e.changed ? "changed" : "unchanged", e.nodesBefore, e.nodesAfter, e.milliseconds);
        text += line;
        if (e.verifyMilliseconds >= 0) {
            std::snprintf(line, sizeof line, "  (verified in %.2f ms)", e.verifyMilliseconds);
            text += line;
        }
        text += "\n";
    }
    return text;
}

namespace {

double millisecondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Runs one pass, logs it and, when asked, verifies the graph it left.
bool runOne(Graph& graph, Pass& pass, int iteration, PassContext& context)
{
    PassLogEntry entry{pass.name(), iteration, false, graph.liveNodeCount()};
    if (context.foldLog)
        context.foldLog->setPass(entry.pass);
    auto start = std::chrono::steady_clock::now();
    entry.changed = pass.run(graph, context);
    entry.milliseconds = millisecondsSince(start);
    entry.nodesAfter = graph.liveNodeCount();
    if (context.verifyEachPass) {
        VerifyOptions checks;
        checks.shapes = true;
        start = std::chrono::steady_clock::now();
        try {
            verifyOrThrow(graph, strCat("pass '", entry.pass, "'"), checks);
        } catch (const Error&) {
            context.log.push_back(entry); // the report shows the pass that broke the graph
            throw;
        }
        entry.verifyMilliseconds = millisecondsSince(start);
    }
    context.log.push_back(entry);
    return entry.changed;
}

} // namespace

bool runPasses(Graph& graph, const PassList& passes, PassContext& context)
{
    bool everChanged = false;
    const int rounds = std::max(1, context.maxIterations);
    for (int iteration = 0; iteration < rounds; ++iteration) {
        bool changed = false;
        for (size_t i = 0; i < passes.size(); ++i) {
            if (context.progress)
                context.progress->checkpoint(static_cast<double>(i) / passes.size(), passes[i]->name());
            changed |= runOne(graph, *passes[i], iteration, context);
        }
        everChanged |= changed;
        if (!changed)
            break;
    }
    return everChanged;
}

bool runPipeline(Graph& graph, const std::vector<std::string>& passNames, PassContext& context)
{
    return runPasses(graph, createPasses(passNames), context);
}

bool runPipeline(Graph& graph, const std::vector<std::string>& passNames)
{
    PassContext context;
    return runPipeline(graph, passNames, context);
}

std::vector<std::string> defaultPipeline()
{
    // Folding first so BN/activation patterns see constant weights; DCE last sweeps what
    // folding and fusion left unread.
    return {"ConstantFolding", "EliminateIdentity", "FoldBatchNorm", "FuseActivation", "DeadCodeElimination"};
}

} // namespace tessera
