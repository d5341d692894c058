#pragma once
// The quantization result: per-tensor scales, per-layer bits, weight scales and ADC
// ranges. Written as JSON (docs/quantization.md documents every field); the compiler
// reads it and the project file references it.
#include "core/analog/AnalogModel.h"
#include "quant/Equalization.h"
#include "quant/Smoothing.h"
#include "quant/Observers.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tessera::quant {

// How one activation tensor is coded between layers.
struct TensorQuant {
    bool quantized = true; // false: kept in float (KeepFloat/ShapeOnly ops, non-float data)
    double scale = 1.0;    // real value = code * scale (zero point 0)
    int bits = 8;
    bool isSigned = true;
    double observedMin = 0.0; // FP32 range seen during calibration
    double observedMax = 0.0;
    std::string policy;       // quant policy of the producer ("graph-input" for inputs)
};

// One analog layer (a Conv/Gemm/MatMul node lowered onto arrays).
struct LayerQuant {
    std::string node;
    std::string opType;
    std::string input;  // value names
    std::string output;
    int weightBits = 8;
    int inputBits = 8;
    int adcBits = 12;
    int64_t adcRange = 0;     // calibrated max |block sum| in integer product units (0: worst case)
    int64_t rows = 0;         // K per group
    int64_t cols = 0;         // N
    int64_t groups = 1;
    int64_t rowBlocks = 1;    // ceil(K / array rows): digitized separately
    std::vector<double> weightScales;
    // Empirical bias correction (real units, N entries or empty): subtracted from the
    // layer's bias (quant::layerBias) to cancel the mean output error of quantization.
    std::vector<double> biasCorrection;
};

struct QuantConfig {
    int activationBits = 8;
    int weightBits = 8;
    int adcBits = 12;
    int highPrecisionBits = 16; // tensors no analog layer reads (the SIMD engine's INT16 path)
    ObserverOptions activationObserver{ObserverKind::Percentile, 99.99, 2048};
    ObserverKind weightObserver = ObserverKind::Mse;
    std::map<std::string, int> layerWeightBits; // per node name
    std::map<std::string, int> layerAdcBits;
    analog::ArrayGeometry geometry;
    analog::NonIdealities nonIdealities; // used by the quantized executor only
    bool calibrateAdc = true;            // calibrate ADC ranges per layer (else worst case)
    bool equalize = false;               // cross-layer equalization (quant/Equalization.h)
    bool biasCorrection = false;         // empirical bias correction (quant/BiasCorrection.h)
    SmoothingScope smoothInputs = SmoothingScope::All; // per-channel input smoothing (quant/Smoothing.h)
    double smoothingAlpha = 0.5;         // activation/weight balance of the smoothing
};

struct QuantResult {
    static constexpr int kFormatVersion = 1;
    std::string model; // source model path or name
    // One sample's input shape ([1, ...]) the result was calibrated with: it fixes the
    // model's symbolic dims for every later consumer (quant::openModelFor).
    Shape inputShape;
    QuantConfig config;
    std::map<std::string, TensorQuant> tensors; // by value name
    std::vector<LayerQuant> layers;             // analog layers in topological order
    // Channel scalings applied to the FP32 model before everything above (empty: none);
    // every consumer re-applies them (quant::prepareModel).
    std::vector<ChannelScaling> equalization;
    // Then per-channel input smoothing of analog layers (quant/Smoothing.h).
    std::vector<InputSmoothing> smoothing;

    const LayerQuant* findLayer(const std::string& node) const;
    LayerQuant* findLayer(const std::string& node);
    const TensorQuant* findTensor(const std::string& value) const;
};

nlohmann::json toJson(const QuantResult& result);
// Validates everything (bits in range, scales positive and finite); errors name `sourceName`.
QuantResult quantResultFromJson(const nlohmann::json& json, const std::string& sourceName);
void writeQuantResult(const std::string& path, const QuantResult& result); // atomic
QuantResult readQuantResult(const std::string& path);

// Bit-depth checks shared by the JSON reader, the CLI and the searches.
void checkWeightBits(int bits, const std::string& where);
void checkActivationBits(int bits, const std::string& where);
void checkAdcBits(int bits, const std::string& where);

} // namespace tessera::quant
