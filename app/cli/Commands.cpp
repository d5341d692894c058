#include "app/cli/Commands.h"

namespace tessera::cli {

const std::vector<CommandSpec>& commandTable()
{
    static const std::vector<CommandSpec> table = {
        {"inspect", "Per-layer table of a model: shapes, parameters, MACs, analog/digital placement", declareInspect},
        {"run", "Run the FP32 reference executor on an .npy input and write the output", declareRun},
        {"eval", "Top-1 accuracy of the FP32 model on a labelled .npy dataset", declareEval},
        {"compare", "Compare two .npy arrays within a tolerance (exit 1 when they differ)", declareCompare},
        {"quantize", "Calibrate a model for the analog chip and write its quantization JSON", declareQuantize},
        {"quant-eval", "Accuracy, FP32 agreement and per-layer SQNR of a quantized model", declareQuantEval},
        {"sensitivity", "Per-layer x bit-depth sensitivity of a quantized model", declareSensitivity},
        {"mixed-precision", "Search per-layer weight bits under a budget; measured Pareto front", declareMixedPrecision},
        {"export-qdq", "Write a quantization result as a QDQ ONNX model; check another runtime against it in LSBs", declareExportQdq},
        {"targets", "List the built-in hardware targets, or print one target (preset or file) in full, validated", declareTargets},
        {"compile", "Map a model onto a target's arrays and tiles: does it fit, utilization, estimated frames/s; write the package", declareCompile},
        {"package", "Show a deployment package (.tpkg): 'info FILE' summary, 'disasm FILE [--tile N]' tile programs", declarePackage},
        {"simulate", "Run a deployment package on the virtual chip: outputs, accuracy, agreement, simulator frames/s", declareSimulate},
        {"perf", "Performance model of a package on its target: latency, frames/s, energy, power, bottleneck; Perfetto trace", declarePerf},
        {"bench", "The simulator's speed on a package (frames/s, CPU and wall), next to ONNX Runtime FP32 measured in the same run", declareBench},
        {"retrain", "Fine-tune a model on labelled data (FP32, or quantization-/analog-aware): tuned ONNX plus its spec", declareRetrain},
    };
    return table;
}

} // namespace tessera::cli
