// ANA8 post-training quantization of the PaddleOCR models, calibrated on their bundled
// image folders with the documented preprocessing (tests/data/models/ocr/README via
// shared README): det must keep its text map (probability > 0.3, IoU >= 0.95 vs FP32 on
// page.png); cls must give the same verdicts as FP32 (upright vs rotated 180 degrees).
#include "core/Executor.h"
#include "core/io/Npy.h"
#include "quant/Calibrator.h"
#include "quant/Evaluate.h"
#include "quant/ImageFolder.h"
#include "quant/QuantizedExecutor.h"

#include <QtTest>

using namespace tessera;
using namespace tessera::quant;

namespace {

std::string ocr(const std::string& file) { return std::string(TESSERA_TEST_DATA) + "/models/ocr/" + file; }

std::vector<float> runBoth(ModelGraphs& model, const QuantSpec& r, const Tensor& x, std::vector<float>& fp32)
{
    const Graph& g = model.forBatch(x.dim(0));
    Executor fp(g);
    fp32 = fp.run({x})[0].toFloatVector();
    QuantizedExecutor q(g, r);
    return q.run({x})[0].toFloatVector();
}

} // namespace

class TestPtqOcr : public QObject {
    Q_OBJECT
private slots:
    void clsSameVerdicts()
    {
        ImagePreprocess pre;
        pre.mean = {0.5f, 0.5f, 0.5f};
        pre.std = {0.5f, 0.5f, 0.5f};
        const Dataset lines = loadImageFolder(ocr("calib_lines"), pre);
        ModelGraphs model(ocr("ch_ppocr_mobile_v2.0_cls_infer.onnx"), {1, 3, 48, 192});
        const QuantSpec r = calibrate(model, lines, QuantConfig{}, nullptr, 8);
        for (const char* file : {"cls_in.npy", "cls_in_rot180.npy"}) {
            std::vector<float> fp32;
            const std::vector<float> q = runBoth(model, r, readNpy(ocr(file)), fp32);
            qInfo("%s: FP32 [%.3f, %.3f]  ANA8 [%.3f, %.3f]", file, fp32[0], fp32[1], q[0], q[1]);
            QCOMPARE(q[0] > q[1], fp32[0] > fp32[1]);
        }
        const EvalReport e = evaluate(model, r, lines, {8, false});
        qInfo("cls verdict agreement on the 32 calibration lines: %.1f%%", 100 * e.agreement);
        QCOMPARE(e.agreement, 1.0);
    }

    // Opt-in: calibrating the 640x640 detector takes minutes on a shared 2-core machine.
    void detTextMapIoU()
    {
        if (qEnvironmentVariableIsEmpty("TESSERA_QUANT_OCR_DET"))
            QSKIP("set TESSERA_QUANT_OCR_DET=1 to run the OCR detector PTQ check (minutes)");
        ImagePreprocess pre;
        pre.mean = {0.485f, 0.456f, 0.406f};
        pre.std = {0.229f, 0.224f, 0.225f};
        const Dataset pages = loadImageFolder(ocr("calib_pages"), pre);
        ModelGraphs model(ocr("ch_PP-OCRv4_det_infer.onnx"), {1, 3, 640, 640});
        const QuantSpec r = calibrate(model, pages, QuantConfig{}, nullptr, 1);
        std::vector<float> fp32;
        const std::vector<float> q = runBoth(model, r, loadPngImage(ocr("page.png"), pre), fp32);
        int64_t inter = 0, uni = 0, fpOn = 0;
        for (size_t i = 0; i < q.size(); ++i) {
            const bool a = fp32[i] > 0.3f, b = q[i] > 0.3f;
            inter += a && b;
            uni += a || b;
            fpOn += a;
        }
        const double iou = uni ? double(inter) / uni : 1.0;
        qInfo("det: %lld FP32 text pixels, IoU ANA8 vs FP32 %.4f", static_cast<long long>(fpOn), iou);
        QVERIFY(fpOn > 1000);
        QVERIFY2(iou >= 0.95, qPrintable(QString::number(iou)));
        QVERIFY(!r.smoothing.empty()); // what brought it from 0.91 (docs/quantization.md)
    }
};

QTEST_APPLESS_MAIN(TestPtqOcr)
#include "test_ptq_ocr.moc"
