#include "app/panels/ImagePreprocessDialog.h"

#include "app/panels/DialogButtons.h"

#include "app/views/NodeStyle.h"
#include "core/Error.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace tessera::studio {

ImagePreprocessDialog::ImagePreprocessDialog(ProjectModel* model, QWidget* parent) : QDialog(parent), m_model(model)
{
    setWindowTitle(tr("Image preprocessing"));
    auto* layout = new QVBoxLayout(this);
    auto* note = new QLabel(tr("How PNG folders (calibration images, Eval Images…) become model inputs: "
                               "x = (pixel × scale − mean) / std per channel; size and channel count "
                               "follow the model's input. The CLI's --mean, --std and --bgr."));
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* form = new QFormLayout;
    m_preset = new QComboBox;
    m_preset->addItem(tr("Custom"));
    for (const PreprocessingPreset& p : preprocessingPresets())
        m_preset->addItem(p.name);
    m_mean = new QLineEdit;
    m_std = new QLineEdit;
    m_bgr = new QCheckBox(tr("BGR channel order (OpenCV, PaddleOCR)"));
    form->addRow(tr("Preset"), m_preset);
    form->addRow(tr("Mean"), m_mean);
    form->addRow(tr("Std"), m_std);
    form->addRow(QString(), m_bgr);
    layout->addLayout(form);
    m_preview = new QLabel;
    layout->addWidget(m_preview);
    m_error = addErrorAndButtons(this, layout, [this] { return apply(); });

    showValues(imagePreprocessingOf(model->project()));
    connect(m_preset, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            showValues(preprocessingPresets()[static_cast<size_t>(index - 1)].values);
    });
    for (QLineEdit* edit : {m_mean, m_std})
        connect(edit, &QLineEdit::textEdited, this, [this] {
            m_preset->setCurrentIndex(0);
            updatePreview();
        });
}

void ImagePreprocessDialog::showValues(const ImagePreprocessing& values)
{
    m_scale = values.scale;
    m_mean->setText(channelValuesText(values.mean));
    m_std->setText(channelValuesText(values.std));
    m_bgr->setChecked(values.bgr);
    int preset = 0;
    for (size_t i = 0; i < preprocessingPresets().size(); ++i)
        if (preprocessingPresets()[i].values == ImagePreprocessing{values.mean, values.std, false, values.scale})
            preset = static_cast<int>(i) + 1;
    m_preset->setCurrentIndex(preset);
    updatePreview();
}

ImagePreprocessing ImagePreprocessDialog::parsed() const
{
    ImagePreprocessing p;
    p.mean = parseChannelValues(m_mean->text(), "mean", false);
    p.std = parseChannelValues(m_std->text(), "std", true);
    p.bgr = m_bgr->isChecked();
    p.scale = m_scale;
    return p;
}

QString ImagePreprocessDialog::previewText() const { return m_preview->text(); }

void ImagePreprocessDialog::updatePreview()
{
    try {
        const ImagePreprocessing p = parsed();
        auto value = [&](float pixel) { return (pixel * p.scale - p.mean[0]) / p.std[0]; };
        m_preview->setText(tr("A black pixel becomes %1, a white one %2 (channel 1).")
                               .arg(value(0.0f), 0, 'g', 4)
                               .arg(value(255.0f), 0, 'g', 4));
        m_error->clear();
    } catch (const Error& e) {
        m_preview->clear();
        m_error->setText(QString::fromStdString(e.what()));
    }
}

QString ImagePreprocessDialog::apply()
{
    try {
        const ImagePreprocessing p = parsed();
        if (!(p == imagePreprocessingOf(m_model->project())))
            m_model->undoStack()->push(new SetImagePreprocessing(m_model, p));
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace tessera::studio
