// `tessera export-qdq`: a quantization result as a QDQ ONNX model (quant/QdqExport.h).
// With --input it also runs our quantized executor on that .npy (--reference writes its
// output) and, with --compare, measures another runtime's output on the export (e.g. ONNX
// Runtime's, bench/ort/run-ort.js) in LSBs of the output tensor's scale.
#include "app/cli/Commands.h"
#include "app/cli/Support.h"
#include "core/Error.h"
#include "core/analog/Numerics.h"
#include "core/io/Npy.h"
#include "quant/Calibrator.h"
#include "quant/QdqExport.h"
#include "quant/QuantizedExecutor.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace tessera::cli {

namespace {

struct ExportQdqOptions {
    bool force = false; // use a quantization file made for another model
    std::string model, quant, output;
    std::vector<std::string> shapes;
    int64_t batch = 0;
    std::string input, reference, compare;
    double maxLsb = 1.0;
    int lsbBits = 0;    // --compare's LSB: of an N-bit code over the output's range (0: its own bits)
    double atol = 1e-4; // outputs kept in float have no LSB
};

std::string codingText(const TensorQuant* q)
{
    if (!q || !q->quantized)
        return "float (not quantized)";
    return strCat(q->bits, "-bit ", q->isSigned ? "signed" : "unsigned", ", scale ", q->scale);
}

// For an output kept in float (e.g. a Softmax): its producer's quantized input, whose LSB
// puts the float difference in perspective.
const TensorQuant* producerInputQuant(const Graph& g, ValueId out, const QuantSpec& r, std::string& name)
{
    const NodeId p = g.value(out).producer;
    if (p == kNoNode || !g.node(p).hasInput(0))
        return nullptr;
    name = g.value(g.node(p).inputs[0]).name;
    const TensorQuant* q = r.findTensor(name);
    return q && q->quantized ? q : nullptr;
}

// One 8-bit code flipped upstream is many LSBs of a 16-bit tensor: the same difference in
// LSBs of an 8-bit code over the tensor's range.
void printEightBitEquivalent(double lsb, const TensorQuant& q)
{
    if (q.bits > 8)
        std::printf("  = %.4g LSB of an 8-bit code over the same range\n",
                    lsb * analog::maxCode(8, q.isSigned) / analog::maxCode(q.bits, q.isSigned));
}

// Classifier outputs ([rows, classes]): rows whose top-1 class is the same.
void printTopOneAgreement(const Tensor& ours, const Tensor& other)
{
    if (ours.rank() != 2 || ours.dim(1) < 2)
        return;
    const std::vector<int64_t> a = argmaxRows(ours), b = argmaxRows(other);
    int64_t same = 0;
    for (size_t i = 0; i < a.size(); ++i)
        same += a[i] == b[i];
    std::printf("top-1 class agrees on %lld of %zu rows\n", static_cast<long long>(same), a.size());
}

// Max |a - b| in LSBs of the output's scale (absolute for a float output); prints it and
// returns whether it is within tolerance.
bool compareOutputs(const Graph& g, const QuantSpec& r, const Tensor& ours, const std::string& path,
                    const ExportQdqOptions& o)
{
    const ValueId outId = g.outputs()[0];
    const std::string& name = g.value(outId).name;
    const TensorQuant* q = r.findTensor(name);
    const Tensor other = readNpy(path).castTo(DType::Float32);
    if (other.shape() != ours.shape())
        fail(path, ": shape ", shapeToString(other.shape()), " differs from output '", name, "' ",
             shapeToString(ours.shape()));
    const bool lsbUnits = q && q->quantized;
    const float* a = ours.data<float>();
    const float* b = other.data<float>();
    double worst = 0.0;
    int64_t differing = 0; // codes (quantized output) or values (float output)
    for (int64_t i = 0; i < ours.numel(); ++i) {
        const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
        differing += lsbUnits ? analog::roundHalfEven(a[i] / q->scale) != analog::roundHalfEven(b[i] / q->scale) : d > 0.0;
    }
    const long long count = static_cast<long long>(ours.numel());
    printTopOneAgreement(ours, other);
    if (lsbUnits) {
        const double lsb = worst / q->scale;
        std::printf("output '%s' vs %s: max |ours - other| = %.4g LSB (scale %.6g); %lld of %lld codes differ\n",
                    name.c_str(), path.c_str(), lsb, q->scale, static_cast<long long>(differing), count);
        printEightBitEquivalent(lsb, *q);
        // --lsb-bits: the tolerance on a coarser grid over the same range.
        const int bits = o.lsbBits > 0 ? std::min(o.lsbBits, q->bits) : q->bits;
        const double unit = static_cast<double>(analog::maxCode(q->bits, q->isSigned)) /
                            static_cast<double>(analog::maxCode(bits, q->isSigned));
        // Slack for float rounding of code * scale (float32 scales in the file): <= ~0.002
        // LSB for 16-bit codes.
        return lsb <= o.maxLsb * unit + 0.01;
    }
    std::printf("output '%s' vs %s: max |ours - other| = %.4g (float output, no LSB); %lld of %lld values differ\n",
                name.c_str(), path.c_str(), worst, static_cast<long long>(differing), count);
    std::string inName;
    if (const TensorQuant* in = producerInputQuant(g, outId, r, inName)) {
        std::printf("  = %.4g LSB of the producer's input '%s' (scale %.6g)\n", worst / in->scale, inName.c_str(),
                    in->scale);
        printEightBitEquivalent(worst / in->scale, *in);
    }
    return worst <= o.atol;
}

// The one input's shape: from --input, else --shape; empty: as declared (symbolic = 1).
Shape inputShape(const ExportQdqOptions& o, const Tensor& input)
{
    if (input.isValid())
        return input.shape();
    if (o.shapes.size() > 1)
        fail("export-qdq takes one --shape (the model's single input)");
    return o.shapes.empty() ? Shape{} : parseShapeSpec(o.shapes[0]).second;
}

int64_t batchOf(const ExportQdqOptions& o, const Tensor& input)
{
    const Shape s = inputShape(o, input);
    if (o.batch > 0 && !input.isValid())
        return o.batch;
    return s.empty() ? 1 : s[0];
}

int runExportQdq(const ExportQdqOptions& o)
{
    if ((!o.reference.empty() || !o.compare.empty()) && o.input.empty())
        fail("--reference and --compare need --input (the data to run)");
    const QuantSpec result = readQuantSpec(o.quant);
    Tensor input;
    if (!o.input.empty())
        input = readNpy(o.input).castTo(DType::Float32);
    // The graph the result was calibrated on and the quantized executor runs: cleanup
    // passes on, the result's equalization applied (prepareModel).
    quant::ModelGraphs graphs(o.model, inputShape(o, input));
    quant::prepareModel(graphs, result, o.force);
    const Graph& g = graphs.forBatch(batchOf(o, input));

    quant::QdqExportSummary summary;
    quant::exportQdqOnnx(g, result, o.output, &summary);
    std::printf("wrote %s: opset 13, %d analog layers (per-channel int8 weights), %d QDQ tensors (%d with a "
                "code-range Clip), %d tensors > 8 bits as Div/Round/Clip/Mul\n",
                o.output.c_str(), summary.analogLayers, summary.qdqTensors, summary.clippedTensors,
                summary.emulatedTensors);
    for (const std::string& w : summary.warnings)
        std::printf("warning: %s\n", w.c_str());
    for (ValueId out : g.outputs())
        std::printf("output '%s': %s\n", g.value(out).name.c_str(),
                    codingText(result.findTensor(g.value(out).name)).c_str());
    if (o.input.empty())
        return kExitOk;

    if (g.inputs().size() != 1 || g.outputs().size() != 1)
        fail(o.model, ": --input/--reference/--compare support models with one input and one output");
    quant::QuantizedExecutor executor(g, result);
    const Tensor ours = executor.run({input})[0];
    if (!o.reference.empty()) {
        writeNpy(o.reference, ours);
        std::printf("quantized executor output written to %s\n", o.reference.c_str());
    }
    if (o.compare.empty())
        return kExitOk;
    return compareOutputs(g, result, ours, o.compare, o) ? kExitOk : kExitMismatch;
}

} // namespace

CommandRun declareExportQdq(CLI::App& sub)
{
    auto o = std::make_shared<ExportQdqOptions>();
    sub.add_option("model", o->model, "ONNX model the quantization result was made for")->required();
    sub.add_option("quant", o->quant, "quantization JSON (tessera quantize)")->required();
    sub.add_flag("--force", o->force, "Use a quantization file made for another model (its content hash differs)");
    sub.add_option("-o,--output", o->output, "QDQ ONNX model to write")->required();
    sub.add_option("--batch", o->batch, "batch size of the exported graph (default: as declared, symbolic = 1)")
        ->check(numberIn(1));
    sub.add_option("--shape", o->shapes, "fix the (single) input's shape, e.g. --shape x=1,3,640,640");
    sub.add_option("-i,--input", o->input, "input .npy: fixes the input shape and runs the quantized executor on it");
    sub.add_option("--reference", o->reference, "write the quantized executor's output on --input (.npy)");
    sub.add_option("--compare", o->compare,
                   "another runtime's output on the export (.npy): exit 1 when it differs from ours by more than "
                   "--max-lsb LSBs of the output's scale");
    sub.add_option("--max-lsb", o->maxLsb, "tolerance of --compare in LSBs (default 1)")->check(numberIn(0));
    sub.add_option("--lsb-bits", o->lsbBits,
                   "measure --max-lsb in LSBs of an N-bit code over the output's range (e.g. 8 for a 16-bit output, "
                   "where one flipped 8-bit code upstream moves it by many of its own LSBs)")
        ->check(numberIn(2, 16));
    sub.add_option("--atol", o->atol, "tolerance of --compare for an output kept in float (default 1e-4)")
        ->check(numberIn(0));
    return [o] { return runExportQdq(*o); };
}

} // namespace tessera::cli
