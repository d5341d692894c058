#pragma once
// The quantization spec: the contract between the quantizer and every later stage
// (compiler, simulator, retraining, the studio). It says how each activation tensor is
// coded, how each analog layer is programmed (bits, weight scales, ADC ranges, bias
// correction) and which graph rewrites (equalization, input smoothing) were made to the
// FP32 model before all that; core/quantspec/GraphRewrites.h re-applies them. Written as
// versioned JSON (docs/quantization.md, "The quantization file"); read with core alone.
#include "core/Graph.h"
#include "core/analog/AnalogModel.h"

#include "core/quantspec/OutputTask.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tessera {

// How calibration chose activation clipping thresholds (recorded; quant/Observers.h
// implements them).
enum class ObserverKind {
    MinMax,     // T = max |x|: never clips
    Percentile, // T = the given percentile of |x| (default 99.999)
    Mse,        // T minimizing expected squared error (clipping + rounding) on the histogram
    Entropy,    // T minimizing KL(P || Q) between the histogram and its quantized form (TensorRT)
};
const char* observerName(ObserverKind kind);
// Parses "minmax" | "percentile" | "mse" | "entropy"; throws tessera::Error otherwise.
ObserverKind parseObserver(const std::string& name);

struct ObserverOptions {
    ObserverKind kind = ObserverKind::MinMax;
    // 99.999 (was 99.99): the percentile is of every value of the tensor over the calibration
    // data, so a tensor with many values per sample (a text line's positions x channels) had
    // hundreds of its largest values clipped; on PP-OCRv4 rec 99.99 reads 95 lines of 100,
    // 99.999 98 (FP32 99, min/max 98), MNIST guards hold (docs/quantization.md, Observers).
    double percentile = 99.999;
    int bins = 2048;
};

// Which analog layers get per-channel input smoothing (quant/Smoothing.h explains the trade).
enum class SmoothingScope { Off, Depthwise, All };
const char* smoothingScopeName(SmoothingScope scope);
// Parses "off" | "depthwise" | "all"; throws tessera::Error otherwise.
SmoothingScope parseSmoothingScope(const std::string& name);

// How one activation tensor is coded between layers.
struct TensorQuant {
    bool quantized = true; // false: kept in float (KeepFloat/ShapeOnly ops, non-float data)
    double scale = 1.0;    // real value = (code - zeroPoint) * scale
    int bits = 8;
    bool isSigned = true;
    double observedMin = 0.0; // FP32 range seen during calibration
    double observedMax = 0.0;
    std::string policy;       // quant policy of the producer ("graph-input" for inputs)
    // Offset coding (core/analog/Numerics.h, chooseCoding): unsigned codes whose zero point
    // is z (0 <= z <= 2^bits - 1); 0 for symmetric and ReLU tensors. Format version 3.
    int64_t zeroPoint = 0;
};

// One analog layer (a node lowered onto arrays).
struct LayerQuant {
    std::string node;
    std::string opType;
    std::string input;  // value names
    std::string output;
    int weightBits = 8;
    // DAC bits: the layer drives its input at min(inputBits, the input tensor's bits)
    // (analog::dacCoding, core/analog/Numerics.h); time and energy grow with them.
    int inputBits = 8;
    int adcBits = 12;
    int64_t adcRange = 0;     // calibrated max |block sum| in integer product units (0: worst case)
    int64_t rows = 0;         // K per group
    int64_t cols = 0;         // N
    int64_t groups = 1;
    int64_t rowBlocks = 1;    // ceil(K / array rows): digitized separately
    std::vector<double> weightScales;
    // Empirical bias correction (real units, N entries or empty): subtracted from the
    // layer's bias (layerBias) to cancel the mean output error of quantization.
    std::vector<double> biasCorrection;
};

// Cross-layer equalization of one pair: L1's output channel c is divided by scales[c];
// L2's input channel c multiplied by it (quant/Equalization.h).
struct ChannelScaling {
    std::string first;  // L1 node name
    std::string second; // L2 node name
    std::vector<double> scales;
    bool operator==(const ChannelScaling& o) const
    {
        return first == o.first && second == o.second && scales == o.scales;
    }
};

// Per-channel input smoothing of one analog layer: its input channel c is divided by
// factors[c] (a Mul inserted in front) and its weights of channel c multiplied by it.
struct InputSmoothing {
    std::string layer;           // analog node name
    std::vector<double> factors; // m_c per input channel, > 0
    double alpha = -1.0;         // the balance the factors were made with (-1: not recorded)
    bool operator==(const InputSmoothing& o) const
    {
        return layer == o.layer && factors == o.factors && alpha == o.alpha;
    }
};

struct QuantConfig {
    int activationBits = 8;
    int weightBits = 8;
    int adcBits = 12;
    int highPrecisionBits = 16; // tensors no analog layer reads (the SIMD engine's INT16 path)
    ObserverOptions activationObserver{ObserverKind::Percentile, ObserverOptions{}.percentile, 2048};
    ObserverKind weightObserver = ObserverKind::Mse;
    std::map<std::string, int> layerWeightBits; // per node name
    std::map<std::string, int> layerAdcBits;
    // Per-layer DAC (input) bits below the activation bits (analog::dacCoding); absent: the
    // input tensor's bits.
    std::map<std::string, int> layerDacBits;
    analog::ArrayGeometry geometry;
    analog::NonIdealities nonIdealities; // used by the quantized executor only
    bool calibrateAdc = true;            // calibrate ADC ranges per layer (else worst case)
    bool equalize = false;               // cross-layer equalization (quant/Equalization.h)
    bool biasCorrection = false;         // empirical bias correction (quant/BiasCorrection.h)
    SmoothingScope smoothInputs = SmoothingScope::All; // per-channel input smoothing (quant/Smoothing.h)
    // Activation/weight balance of the smoothing. 0.75 (was 0.5): PP-OCRv4 rec reads 91 of 100
    // lines instead of 72 at ANA8 (docs/quantization.md, Input smoothing).
    double smoothingAlpha = 0.75;
    // Candidate alphas chosen per layer (quant/SmoothingSearch.h): each smoothed layer takes
    // the candidate with the lowest output error on the calibration data, recorded per layer
    // (InputSmoothing::alpha). Empty (the default): every layer takes smoothingAlpha. Not the
    // default: on PP-OCRv4 rec {0.5, 0.75, 0.9} chosen per layer reads 90 lines of 100, 0.75
    // everywhere 95 (docs/quantization.md, Input smoothing).
    std::vector<double> smoothingAlphas;
    // Offset (zero-point) codes for lopsided tensors (analog::chooseCoding); false: every
    // signed tensor symmetric, as before format version 3.
    bool offsetCoding = true;
    OutputTask task;                     // how graph output 0 is scored (core/quantspec/OutputTask.h)
};

struct QuantSpec {
    // 1: the first format; 2 adds model_hash; 3 adds tensors' zero_point and the config's
    // offset_coding (absent in older files: 0 and false). Versions 1 and 2 are still read.
    static constexpr int kFormatVersion = 3;
    static constexpr int kOldestReadableVersion = 1;
    std::string model; // source model path or name
    // Where the spec was read (quantSpecFromJson's sourceName, e.g. the file's path); empty
    // for a spec made in memory. Not written: errors about the spec's layers name it.
    std::string source;
    // Content hash of the model the spec was made for (ImportReport::contentHash;
    // empty in version 1 files: not checked).
    std::string modelHash;
    // One sample's input shape ([1, ...]) the spec was calibrated with: it fixes the
    // model's symbolic dims for every later consumer (quant::openModelFor).
    Shape inputShape;
    QuantConfig config;
    std::map<std::string, TensorQuant> tensors; // by value name
    std::vector<LayerQuant> layers;             // analog layers in topological order
    // Channel scalings applied to the FP32 model before everything above (empty: none);
    // every consumer re-applies them (applyQuantRewrites).
    std::vector<ChannelScaling> equalization;
    // Then per-channel input smoothing of analog layers.
    std::vector<InputSmoothing> smoothing;

    const LayerQuant* findLayer(const std::string& node) const;
    LayerQuant* findLayer(const std::string& node);
    const TensorQuant* findTensor(const std::string& value) const;
};

nlohmann::json toJson(const QuantSpec& spec);
// Validates every field (type, range, consistency); errors name `sourceName` and the key
// or layer. Version 1 files are read; other versions are refused naming both.
QuantSpec quantSpecFromJson(const nlohmann::json& json, const std::string& sourceName);
void writeQuantSpec(const std::string& path, const QuantSpec& spec); // atomic
// A file without a model content hash (format 1, or "model_hash" missing or empty in a later
// one: hand-written or edited) is read, like every readable version, but cannot be checked
// against the model it is used with: readQuantSpec says so through tessera::warn, naming the
// file (core/Warning.h), once per file and process.
QuantSpec readQuantSpec(const std::string& path);
// "<source>: " for a spec read from a file, else "": the prefix of errors about its layers.
std::string specWhere(const QuantSpec& spec);

// Refuses a spec made for another model (content hashes differ), naming both models;
// a spec without a hash passes (readQuantSpec warned when it read it). `force` turns the
// refusal into no check. `remedy` ends the message: what the user can do (the CLI's
// default names --force; the studio, which has no such option, says to calibrate again).
void checkSpecMatchesModel(const QuantSpec& spec, const std::string& modelHash, const std::string& modelName,
                           bool force = false,
                           const std::string& remedy = "quantize this model again, or pass --force to use it anyway");

// A noise-model file (`tessera simulate --noise FILE`, the studio's simulation dock): a
// quantization spec or its config (their "non_idealities"), or that object itself:
// {"weight_program_noise": 0.02, "read_noise": 0.06, "adc_offset_lsb": 0.5, "seed": 0}.
// Every field range-checked; refused naming the file when it sets no non-ideality.
analog::NonIdealities readNonIdealities(const std::string& path);

// Bit-depth checks shared by the JSON reader, the CLI and the searches.
void checkWeightBits(int bits, const std::string& where);
void checkActivationBits(int bits, const std::string& where);
void checkAdcBits(int bits, const std::string& where);
void checkDacBits(int bits, const std::string& where); // 2..16

} // namespace tessera
