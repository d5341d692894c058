// Project > Image Preprocessing…: the values are validated, undoable, saved in the project's
// quant panel state, and the studio's image-folder data source then loads exactly what
// quant::loadImageFolder gives with the same options set by hand (the CLI's --images path).
#include "app/controllers/QuantController.h"
#include "app/jobs/JobManager.h"
#include "app/model/ImagePreprocessing.h"
#include "app/model/ModelLoader.h"
#include "app/panels/ImagePreprocessDialog.h"
#include "core/Error.h"
#include "quant/ImageFolder.h"
#include "quant/QuantizeApi.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QtTest>

using namespace tessera;
using namespace tessera::studio;

namespace {
const QString kLines = QStringLiteral(TESSERA_TEST_DATA "/models/ocr/calib_lines");

// The OCR direction classifier: input [1, 3, 48, 192].
void openOcrCls(ProjectModel& model)
{
    SilentProgress quiet;
    model.setDocument(loadModelDocument(TESSERA_TEST_DATA "/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx", quiet));
}
} // namespace

class TestImagePreprocessing : public QObject {
    Q_OBJECT
private slots:
    void valuesAreValidated()
    {
        QCOMPARE(parseChannelValues("0.485, 0.456 0.406", "mean", false), (std::vector<float>{0.485f, 0.456f, 0.406f}));
        QCOMPARE(parseChannelValues("0.5", "std", true), std::vector<float>{0.5f});
        QVERIFY_THROWS_EXCEPTION(Error, parseChannelValues("1, 2", "mean", false));
        try {
            parseChannelValues("0.2, 0, 0.2", "std", true);
            QFAIL("std 0 accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("std: '0'") != std::string::npos, e.what());
        }
    }

    void dialogPushesAnUndoableEdit()
    {
        ProjectModel model;
        openOcrCls(model);
        ImagePreprocessDialog dialog(&model);
        QCOMPARE(dialog.presetBox()->currentIndex(), 1); // the default is plain /255
        QVERIFY(dialog.previewText().contains("white one 1"));
        dialog.meanEdit()->setText("0.5");
        dialog.stdEdit()->setText("0.5");
        dialog.bgrBox()->setChecked(true);
        QCOMPARE(dialog.apply(), QString());
        QCOMPARE(imagePreprocessingOf(model.project()).mean, std::vector<float>{0.5f});
        QVERIFY(imagePreprocessingOf(model.project()).bgr);
        model.undoStack()->undo();
        QVERIFY(imagePreprocessingOf(model.project()) == ImagePreprocessing{});
        dialog.stdEdit()->setText("-1");
        QVERIFY(dialog.apply().contains("std"));
        QCOMPARE(model.undoStack()->count(), 1); // nothing pushed for the bad value
    }

    // The classifier declares [?, 3, ?, ?]: the import sets H and W to 1, which must not
    // become the size the images are resized to (they keep their 48x192).
    void folderLoadsAsTheCliWould()
    {
        ProjectModel model;
        openOcrCls(model);
        model.undoStack()->push(new SetImagePreprocessing(&model, {{0.5f}, {0.5f}, true, 1.0f / 255.0f}));
        JobManager jobs;
        QuantController controller(&model, &jobs);
        const quant::Dataset got = quant::loadDataSource(controller.dataSource(kLines, {}, 0));
        quant::ImagePreprocess pre; // what `--images DIR --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 --bgr` sets
        pre.width = 192;
        pre.height = 48;
        pre.bgr = true;
        pre.mean = {0.5f, 0.5f, 0.5f};
        pre.std = {0.5f, 0.5f, 0.5f};
        const quant::Dataset want = quant::loadImageFolder(kLines.toStdString(), pre);
        QCOMPARE(QString::fromStdString(shapeToString(got.inputs.shape())), QString::fromStdString(shapeToString(want.inputs.shape())));
        QCOMPARE(got.inputs.toFloatVector(), want.inputs.toFloatVector());
        if (const QString dir = qEnvironmentVariable("TESSERA_SCREENSHOT_DIR"); !dir.isEmpty()) {
            ImagePreprocessDialog dialog(&model);
            dialog.show();
            QTest::qWait(100);
            QVERIFY(dialog.grab().save(dir + "/image-preprocessing.png"));
        }
    }
};

QTEST_MAIN(TestImagePreprocessing)
#include "test_image_preprocessing.moc"
