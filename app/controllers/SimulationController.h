#pragma once
// The simulation panel's logic, without widgets (Qt Test drives it directly):
//  - the compiled model of the chip view (CompileController) turned into its deployment
//    package (packageOf, as File > Export Deployment Binary) and run on the virtual chip
//    (sim::Machine) over the quantization dock's evaluation data (first N samples), as a
//    JobManager job with progress and cancel;
//  - the outputs against the FP32 executor and the quantized reference executor (top-1
//    agreement, accuracy with labels, bit identity with the quantized reference);
//  - with noise on (off / default / a noise-model file, as `tessera simulate --noise`), the
//    package once more per seed (sim::sweepSeeds, simulator/SeedSweep.h): accuracy as mean,
//    spread, min and max next to the noise-off figures;
//  - the performance model (sim::modelPerformance) of the same package: latency, frames/s,
//    energy, power, bottleneck, per-tile busy fractions and the first frame's timeline;
//  - before/after: when a layer's bits change, the chip view recompiles and this controller
//    simulates again; the previous result is kept next to the new one.
#include "app/controllers/CompileController.h"
#include "simulator/PerfModel.h"
#include "simulator/SeedSweep.h"

#include <QObject>

#include <map>
#include <memory>
#include <optional>

namespace tessera::studio {

class QuantController;

struct SimulationResult {
    std::shared_ptr<const CompiledModel> compiled; // what was simulated
    sim::PerfReport perf;
    int64_t frames = 0; // 0: performance model only (no data run)
    bool hasLabels = false;
    double simTop1 = 0, fp32Top1 = 0, quantTop1 = 0; // fractions, with labels
    double agreementFp32 = 0;                        // top-1 agreement of the simulator with FP32
    double agreementQuant = 0;                       // ... with the quantized reference
    std::optional<bool> bitIdentical;                // with the quantized reference (none: not calibrated)
    int64_t differingValues = 0;                     // output values that differ from it
    double simSeconds = 0;                           // wall time of the simulator's frames
    // Noise on: the choice it ran with ("default", a file), the model drawn and accuracy()
    // per seed (none: noise off or no data run).
    std::string noise = "off";
    analog::NonIdealities noiseModel;
    std::optional<sim::SeedSpread> noisy;
    double noisySeconds = 0; // wall time of the seed runs
    // Accuracy to compare configurations: top-1 with labels, else agreement with FP32.
    double accuracy() const { return hasLabels ? simTop1 : agreementFp32; }
};

// The layers whose weight/ADC bits differ between two compiles ("/c2/Conv 8→4 bits").
QString describeBitChanges(const CompiledModel& before, const CompiledModel& after);

class SimulationController : public QObject {
    Q_OBJECT
public:
    static constexpr const char* kPanelId = "simulation";

    SimulationController(ProjectModel* model, JobManager* jobs, QuantController* quant, CompileController* compile,
                         QObject* parent = nullptr);

    // First N samples of the evaluation data (0: all); stored in the project's panel state.
    int64_t sampleLimit() const;
    void setSampleLimit(int64_t samples);
    QString dataPath() const; // the quantization dock's evaluation inputs (default: the dataset)
    // Noise of the data runs, stored in the panel state: "off", "default" or "file" (the
    // noise-model file noiseFile(), a JSON of non_idealities or a quantization spec), and the
    // number of seeds (default 5). noiseArgument(): the choice as `tessera simulate --noise`.
    QString noise() const;
    QString noiseFile() const;
    void setNoise(const QString& choice, const QString& file = {});
    int seeds() const;
    void setSeeds(int seeds);
    QString noiseArgument() const;

    // Simulates the current compile (compiling first when it is missing or stale); once run,
    // every later compile is simulated again (the before/after row). Returns the job id
    // (0 when it cannot start or waits for the compile; reason via message()).
    int run();
    // Performance model only (no data): after a compile when nothing was simulated yet.
    int runPerformance();
    void cancel();
    int runningJob() const { return m_job; }
    bool isWaitingForCompile() const { return m_pendingRun; }

    const SimulationResult* result() const { return m_current.get(); }
    const SimulationResult* previous() const { return m_previous.get(); }

    // Per-tile busy fraction of the last result, by compiled tile index (empty without one).
    QVector<double> tileBusy() const;
    // Index into the compiled tiles of a performance-model tile id (-1 when none).
    int compiledTileOf(int64_t perfTile) const;
    // The document node of a layer or op name of the performance model (kNoNode if none).
    NodeId nodeOfName(const std::string& name) const;

signals:
    void resultChanged();
    void settingsChanged(); // samples, noise or seeds
    void busyChanged(bool busy);
    void progress(double fraction, const QString& text);
    void message(const QString& text, bool isError);

private:
    int startJob(bool withData);
    void onCompiled();
    void apply(std::shared_ptr<const SimulationResult> result);

    ProjectModel* m_model;
    JobManager* m_jobs;
    QuantController* m_quant;
    CompileController* m_compile;
    std::shared_ptr<const SimulationResult> m_current, m_previous;
    bool m_follow = false;     // a data run was done: simulate every new compile
    bool m_pendingRun = false; // run() waits for a compile
    int m_job = 0;
};

} // namespace tessera::studio
