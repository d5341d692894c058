#include "cli/Commands.h"

namespace tessera::cli {

const std::vector<CommandSpec>& commandTable()
{
    static const std::vector<CommandSpec> table = {
        {"inspect", "Per-layer table of a model: shapes, parameters, MACs, analog/digital placement", declareInspect},
        {"run", "Run the FP32 reference executor on an .npy input and write the output", declareRun},
        {"eval", "Top-1 accuracy of the FP32 model on a labelled .npy dataset", declareEval},
        {"compare", "Compare two .npy arrays within a tolerance (exit 1 when they differ)", declareCompare},
    };
    return table;
}

} // namespace tessera::cli
