#pragma once
// Project > Image Preprocessing…: how PNG folders (calibration, Eval Images…) become model
// inputs: a preset (pixels / 255, ImageNet, [-1, 1]), mean and std per channel, RGB or BGR,
// with a line showing what a black and a white pixel become. Accepting pushes
// SetImagePreprocessing (undoable, saved in the project).
#include "app/model/ImagePreprocessing.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace tessera::studio {

class ImagePreprocessDialog : public QDialog {
    Q_OBJECT
public:
    ImagePreprocessDialog(ProjectModel* model, QWidget* parent = nullptr);
    QComboBox* presetBox() const { return m_preset; }
    QLineEdit* meanEdit() const { return m_mean; }
    QLineEdit* stdEdit() const { return m_std; }
    QCheckBox* bgrBox() const { return m_bgr; }
    QString previewText() const;
    // Parses the fields; on success pushes the edit (when something changed) and returns an
    // empty string, else the error naming the field.
    QString apply();

private:
    void showValues(const ImagePreprocessing& values);
    void updatePreview();
    ImagePreprocessing parsed() const; // throws tessera::Error naming the field

    ProjectModel* m_model;
    float m_scale = 1.0f / 255.0f;
    QComboBox* m_preset;
    QLineEdit* m_mean;
    QLineEdit* m_std;
    QCheckBox* m_bgr;
    QLabel* m_preview;
    QLabel* m_error;
};

} // namespace tessera::studio
