#pragma once
// What a model's output means, so that "accuracy" means what the task means: evaluation,
// sensitivity, the mixed-precision search and the studio all score graph output 0 through
// the task recorded in the quantization spec (QuantConfig::task).
//
// Per sample, the output (batch axis removed) is read as:
//   classification  one argmax over the whole output (labels: one class per sample)
//   sequence        [T, C]: one argmax over C per position; two agreements: per position,
//                   and per whole sequence after CTC decoding (collapse repeats, drop the
//                   blank class)
//   dense           [C, H, W]: C > 1: one argmax over C per pixel (pixel agreement);
//                   C = 1: the mask value > threshold, scored by intersection over union
//   regression      no classes: SQNR and relative error only
// Auto picks from the per-sample shape: rank <= 1 -> classification (regression for one
// value), rank 2 with T > 1 -> sequence, rank 3 with H x W > 1 -> dense, else regression.
#include "core/Tensor.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace tessera {

enum class TaskKind { Auto, Classification, Sequence, Dense, Regression };

struct OutputTask {
    TaskKind kind = TaskKind::Auto;
    int64_t blank = 0;          // sequence: the CTC blank class
    double maskThreshold = 0.3; // dense with one channel: pixel is "on" above this
    bool operator==(const OutputTask& o) const
    {
        return kind == o.kind && blank == o.blank && maskThreshold == o.maskThreshold;
    }
};

const char* taskKindName(TaskKind kind);
// "auto", "classification", "sequence", "dense" or "regression"; fails naming the choices.
TaskKind parseTaskKind(const std::string& name);

// The task's layout of one sample's output: `positions` argmaxes over `classes` values each,
// consecutive values `classStride` apart, position p starting at positionOffset(p).
struct TaskLayout {
    TaskKind kind = TaskKind::Classification; // never Auto
    int64_t positions = 1;
    int64_t classes = 1;
    int64_t classStride = 1;
    int64_t positionStride = 1; // start of position p: p * positionStride
    int64_t blank = 0;
    double maskThreshold = 0.3;
};

// Resolves Auto from the per-sample output shape (batch axis removed) and checks that the
// chosen kind fits it; errors name the output and its shape.
TaskLayout resolveTask(const OutputTask& task, const Shape& sampleShape, const std::string& outputName);

nlohmann::json toJson(const OutputTask& task);
// Reads {"kind", "blank", "mask_threshold"}; every field checked, errors name `where`.
OutputTask outputTaskFromJson(const nlohmann::json& j, const std::string& where);

} // namespace tessera
