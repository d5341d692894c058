#pragma once
// How the project's image folders become model inputs (calibration and evaluation), the
// studio's form of `tessera quantize --images --mean --std --bgr`: stored in the project
// (panels.quant: imageMean, imageStd, imageBgr, imageScale) and changed through an undo
// command. The size and channel count come from the model's input (QuantController).
#include "app/model/ProjectModel.h"

#include <QUndoCommand>

#include <vector>

namespace tessera::studio {

struct ImagePreprocessing {
    std::vector<float> mean{0.0f}; // one value, or one per channel
    std::vector<float> std{1.0f};
    bool bgr = false;
    float scale = 1.0f / 255.0f; // applied to 0..255 pixel values before mean and std
    bool operator==(const ImagePreprocessing& o) const
    {
        return mean == o.mean && std == o.std && bgr == o.bgr && scale == o.scale;
    }
};

// A named starting point users know from their frameworks.
struct PreprocessingPreset {
    QString name;
    ImagePreprocessing values;
};
// [0, 1] (plain /255), ImageNet (torchvision), [-1, 1] (PaddleOCR, Inception).
const std::vector<PreprocessingPreset>& preprocessingPresets();

ImagePreprocessing imagePreprocessingOf(const ProjectFile& project);
// Mean/std text such as "0.485, 0.456, 0.406": 1 or 3 finite numbers (std > 0). Throws
// tessera::Error naming `what` and the bad entry.
std::vector<float> parseChannelValues(const QString& text, const char* what, bool positive);
QString channelValuesText(const std::vector<float>& values);

class SetImagePreprocessing : public QUndoCommand {
public:
    SetImagePreprocessing(ProjectModel* model, const ImagePreprocessing& values);
    void undo() override;
    void redo() override;

private:
    void apply(const QJsonObject& state);
    ProjectModel* m_model;
    QJsonObject m_old;
    QJsonObject m_new;
};

} // namespace tessera::studio
