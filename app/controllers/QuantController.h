#pragma once
// The quantization panel's logic, without widgets (Qt Test drives it directly):
//  - the analog layers of the document and their chosen weight, DAC and ADC bits (stored in
//    the project through the SetLayerBits / SetLayerDacBits / SetLayerAdcBits undo commands:
//    undoable and saved);
//  - the sensitivity table (quant::SensitivityReport) and the measured Pareto points;
//  - an immediate estimate of accuracy drop and cost for the chosen bits;
//  - the long work (calibrate, sensitivity, mixed-precision search, evaluate) as JobManager
//    jobs; their files go to workDir() and their paths into the project's "quant" panel state.
#include "app/controllers/SqnrProfile.h"
#include "app/jobs/JobManager.h"
#include "app/model/ProjectModel.h"
#include "core/quantspec/QuantSpec.h"
#include "quant/Calibrator.h"
#include "quant/QuantizeApi.h"
#include "quant/Sensitivity.h"

#include <QObject>

#include <map>
#include <memory>
#include <optional>

namespace tessera::studio {

struct QuantLayer {
    QString name;
    NodeId node = kNoNode;
    QString opType;
    int64_t params = 0;
    int64_t macs = 0;
};

// What "Evaluate" measured for the chosen bits.
struct QuantMeasurement {
    std::map<std::string, int> weightBits;
    std::map<std::string, int> adcBits;
    std::map<std::string, int> dacBits;
    bool hasLabels = false;
    double fp32Top1 = 0.0;
    double quantTop1 = 0.0;
    double agreement = 0.0;
    std::string metric; // what `agreement` is for the output's task ("sequence_agreement", ...)
    double accuracyDrop = 0.0;
    double cost = 0.0;
    int64_t samples = 0;
    double outputSqnrDb = 0.0;
    SqnrProfile sqnr; // per-node cumulative SQNR (EvalRequest::perLayer)
};

// The chosen bits applied to a calibrated result: quant/Calibrator.h (the search uses it too).
using quant::withChosenBits;

// Parses the measured points of a mixed-precision report (toJson(MixedPrecisionReport)).
std::vector<quant::ParetoPoint> paretoFromJson(const nlohmann::json& json, const std::string& source);

class QuantController : public QObject {
    Q_OBJECT
public:
    static constexpr const char* kPanelId = "quant";

    QuantController(ProjectModel* model, JobManager* jobs, QObject* parent = nullptr);

    // Data and limits (stored in the project's "quant" panel state). Calibration data is the
    // project's dataset; evaluation data (with optional labels) defaults to it.
    void setEvalData(const QString& inputsNpy, const QString& labelsNpy);
    void setSampleLimits(int64_t calibration, int64_t evaluation);
    void setWorkDir(const QString& dir); // where quant.json, sensitivity.json... go
    // Copies results kept in the app cache (unsaved work) to <project>.quant/ (on save).
    void moveCachesInto(const QString& projectPath);
    // Samples from an .npy file or, when `inputs` is a folder, its PNG images.
    quant::DataSource dataSource(const QString& inputs, const QString& labels, int64_t limit) const;
    QString workDir() const;
    QString evalInputs() const;
    QString evalLabels() const;
    QString quantResultPath() const { return stateString("quantResultPath"); }
    QString sensitivityCachePath() const { return stateString("sensitivityCachePath"); }
    QString paretoCachePath() const { return stateString("paretoCachePath"); }
    // Reads a `tessera mixed-precision` report (e.g. an energy search with an ADC axis) as the
    // Pareto points; its path goes into the panel state. Errors via message().
    void loadParetoReport(const QString& path);
    std::vector<int> bitDepths() const { return m_bitDepths; }
    void setMaxAccuracyDrop(double fraction) { m_maxDrop = fraction; }
    // What Search ranks by (panel state "searchObjective"): weight storage, or energy per
    // frame / latency per frame priced by the project's hardware target, the search then
    // also lowering per-layer DAC and ADC bits (kSearchDacBits, kSearchAdcBits). The search
    // is quant::runMixedPrecision, the CLI's `mixed-precision --objective`.
    void setSearchObjective(quant::CostObjective objective);
    quant::CostObjective searchObjective() const;
    // The depths Sensitivity also measures, so that an energy or latency search can reuse the table.
    static const std::vector<int>& searchDacBits();
    static const std::vector<int>& searchAdcBits();
    // The request Search runs (exposed for the tests: the same as the CLI's).
    quant::MixedPrecisionRequest searchRequest() const;

    const QVector<QuantLayer>& layers() const { return m_layers; }
    int indexOfLayer(const QString& name) const;
    int indexOfNode(NodeId node) const;
    int bitsOf(const QString& layer) const;
    // Undoable (one SetLayerBits command; nothing is pushed when the bits do not change).
    void setBits(const QString& layer, int bits);
    // Undoable as one macro: sets every listed layer's weight, ADC and DAC bits (a Pareto
    // point's configuration: the search varies all three per layer).
    void applyConfiguration(const std::map<std::string, int>& weightBits, const QString& text,
                            const std::map<std::string, int>& adcBits = {},
                            const std::map<std::string, int>& dacBits = {});
    std::map<std::string, int> chosenBits() const;
    // ADC bits of a layer: the project's choice, else the calibrated result's, else 12.
    int adcBitsOf(const QString& layer) const;
    int defaultAdcBitsOf(const QString& layer) const; // the calibrated result's, else 12
    void setAdcBits(const QString& layer, int bits); // undoable (SetLayerAdcBits)
    std::map<std::string, int> chosenAdcBits() const;
    // DAC bits of a layer: the project's choice, else the calibrated result's (its input's
    // activation bits), else 8. At most the default (a DAC wider than its input reads the same codes).
    int dacBitsOf(const QString& layer) const;
    int defaultDacBitsOf(const QString& layer) const;
    void setDacBits(const QString& layer, int bits); // undoable (SetLayerDacBits)
    std::map<std::string, int> chosenDacBits() const;

    bool isCalibrated() const { return m_base != nullptr; }
    const quant::SensitivityReport* sensitivity() const { return m_sensitivity ? &*m_sensitivity : nullptr; }
    // Measured drop (fraction) of `layer` alone at `bits`; NaN when not measured.
    double measuredDrop(const QString& layer, int bits) const;
    // Estimate for the chosen bits: base drop + sum over layers of (drop at chosen bits -
    // base drop), from the sensitivity table. NaN without a table or a missing entry.
    double estimatedDrop() const;
    // Weight storage bits of the chosen configuration (quant::resultCost); NaN before
    // calibration.
    double estimatedCost() const;
    const std::vector<quant::ParetoPoint>& paretoPoints() const { return m_pareto; }
    // What the points' cost is (the report's "objective"): weight-bits, energy or latency.
    quant::CostObjective paretoObjective() const { return m_paretoObjective; }
    const std::optional<QuantMeasurement>& lastMeasurement() const { return m_measurement; }
    // The calibrated result and the batch-1 graph it was made for (null before calibration).
    std::shared_ptr<const QuantSpec> baseResult() const { return m_base; }
    std::shared_ptr<const Graph> resultGraph() const { return m_costGraph; }
    // `layer` as Evaluate would run it: chosen weight bits (scales recomputed) and ADC bits.
    std::optional<LayerQuant> chosenLayer(const QString& layer) const;

    // Background jobs; each returns the job id (0 when it cannot start: reason via message()).
    int calibrate();
    int analyzeSensitivity();
    int searchMixedPrecision();
    int evaluate();
    int runningJob() const { return m_job; }
    void cancel();

signals:
    void layersChanged();      // document replaced
    void bitsChanged();        // chosen bits (any layer) changed
    void sensitivityChanged();
    void paretoChanged();
    void measurementChanged();
    void calibrationChanged();
    void evalDataChanged(); // setEvalData
    void busyChanged(bool busy);
    void message(const QString& text);

private:
    void rebuildLayers();
    void loadCaches();
    QString stateString(const QString& key) const;
    void setState(const QString& key, const QJsonValue& value);
    QString modelPath() const;
    bool checkReady(bool needCalibration, bool needSensitivity);
    int startJob(const QString& title, JobWork work);

    ProjectModel* m_model;
    JobManager* m_jobs;
    QVector<QuantLayer> m_layers;
    std::shared_ptr<const QuantSpec> m_base;
    std::shared_ptr<const Graph> m_costGraph; // batch-1 graph for resultCost
    std::optional<quant::SensitivityReport> m_sensitivity;
    std::vector<quant::ParetoPoint> m_pareto;
    quant::CostObjective m_paretoObjective = quant::CostObjective::WeightBits;
    std::optional<QuantMeasurement> m_measurement;
    std::vector<int> m_bitDepths{8, 6, 4, 3, 2};
    double m_maxDrop = 0.01;
    int m_job = 0;
};

} // namespace tessera::studio
