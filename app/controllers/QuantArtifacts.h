#pragma once
// Where the quantization dock's files live and how a measurement is kept, without widgets.
// Every project owns its results: an unsaved model's work goes to a cache folder of its own
// (keyed by the model's path), and saving a project moves those files next to it
// (<project>.quant/), so calibrating another model never overwrites them.
#include "app/controllers/QuantController.h"

#include <nlohmann/json.hpp>

namespace tessera::studio {

// The cache folder of an unsaved model: <app cache>/quant/<model name>-<hash of its path>.
QString modelCacheDir(const QString& modelPath);
// SQNR as the quantizer's JSON writes it: null for +inf (identical to FP32).
double dbFromJson(const nlohmann::json& value);
// True when `path` lies in the application's cache (unsaved work, not chosen by the user).
bool isInAppCache(const QString& path);

// An Evaluate result as stored in evaluation.json: runQuantEval's JSON plus the bits and
// cost it measured. measurementFromJson gives back the measurement and its per-node errors
// (the SQNR profile is rebuilt on the document's graph). Throws tessera::Error naming `source`.
nlohmann::json measurementJson(const nlohmann::json& evalJson, const std::map<std::string, int>& weightBits,
                               const std::map<std::string, int>& adcBits, double cost,
                               const std::map<std::string, int>& dacBits = {});
QuantMeasurement measurementFromJson(const nlohmann::json& json, std::vector<quant::LayerError>& layers,
                                     const std::string& source);

} // namespace tessera::studio
