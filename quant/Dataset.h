#pragma once
// Calibration / evaluation data and the model graphs it runs through.
//  - Dataset: a float32 [N, ...] input tensor (one graph input) plus optional int labels,
//    from .npy files (several files are concatenated as batches) or an image folder
//    (quant/ImageFolder.h).
//  - ModelGraphs: the model imported once per batch size (shapes are static), so data
//    of any length runs in batches without padding.
#include "core/Graph.h"
#include "core/onnx/OnnxImporter.h"
#include "quant/Equalization.h"
#include "quant/Smoothing.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera::quant {

struct Dataset {
    Tensor inputs;               // float32 [N, ...]
    std::vector<int64_t> labels; // empty or N entries
    std::string source;
    int64_t count() const { return inputs.isValid() ? inputs.dim(0) : 0; }
};

// Loads inputs from one or more .npy files (concatenated along axis 0; float32 or
// float64) and labels from an optional integer .npy. Throws tessera::Error naming the
// file on a wrong dtype, mismatched shapes, empty data or NaN/Inf.
Dataset loadNpyDataset(const std::vector<std::string>& inputPaths, const std::string& labelsPath = {});

// Integer labels from an .npy file; throws unless it holds exactly `count` integers.
std::vector<int64_t> loadLabels(const std::string& path, int64_t count);

// Checks that `data` fits the graph's single input ([N] + input shape[1:]); errors name
// the data source and the input.
void checkDatasetFitsGraph(const Dataset& data, const Graph& graph);

// Rows [begin, begin + count) of a [N, ...] tensor (a copy).
Tensor sliceRows(const Tensor& all, int64_t begin, int64_t count);

class ModelGraphs {
public:
    // Imports `onnxPath` (cleanup passes on) once per batch size. `inputShape` fixes
    // symbolic dims of the (single) input; its batch dim is replaced per batch size.
    explicit ModelGraphs(std::string onnxPath, Shape inputShape = {});
    // A fixed graph (tests): other batch sizes are derived by re-inferring a copy.
    explicit ModelGraphs(Graph graph);

    const Graph& forBatch(int64_t batch);
    const std::string& name() const { return m_name; }
    // The model's content hash (core/quantspec/ModelHash.h): what a spec records and is
    // checked against.
    const std::string& contentHash() const { return m_contentHash; }

    // Cross-layer equalization applied to every graph handed out (quant/Equalization.h).
    // A different one drops the cached graphs: references from forBatch dangle.
    void setEqualization(const std::vector<ChannelScaling>& scalings);
    const std::vector<ChannelScaling>& equalization() const { return m_equalization; }
    // Input smoothing applied after the equalization (quant/Smoothing.h).
    void setSmoothing(const std::vector<InputSmoothing>& smoothing);
    const std::vector<InputSmoothing>& smoothing() const { return m_smoothing; }

private:
    std::string m_path;
    std::string m_name;
    std::string m_contentHash;
    std::unique_ptr<Graph> m_template; // as imported (never equalized)
    std::vector<ChannelScaling> m_equalization;
    std::vector<InputSmoothing> m_smoothing;
    std::map<int64_t, std::unique_ptr<Graph>> m_graphs;
};

// Calls fn(batch inputs, first row) over `data` in batches of at most `batchSize`.
void forEachBatch(const Dataset& data, int64_t batchSize, const std::function<void(const Tensor&, int64_t)>& fn);

} // namespace tessera::quant
