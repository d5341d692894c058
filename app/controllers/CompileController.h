#pragma once
// The chip view's logic, without widgets (Qt Test drives it directly):
//  - the project's hardware target (ProjectFile::hardwareTarget, a preset of
//    listTargetPresets() or a target file; empty means kDefaultTarget);
//  - compiler::compileGraph as a JobManager job on the project's model, with the
//    quantization controller's calibrated result and chosen bits when there is one;
//  - staleness: a change of the chosen bits or the target marks the result stale; when the
//    last compile took less than autoRecompileSeconds() the controller recompiles by itself;
//  - the deployment package (.tpkg, compiler::buildPackage + package::writePackage, both
//    atomic) and the report JSON next to it;
//  - mapping between compiled layers/blocks and the document's nodes (linked selection).
#include "app/jobs/JobManager.h"
#include "app/model/ProjectModel.h"
#include "compiler/Compiler.h"
#include "core/package/Package.h"

#include <QObject>
#include <QVector>

#include <map>
#include <memory>

namespace tessera::quant {
class ModelGraphs;
}

namespace tessera::studio {

class QuantController;

// One finished compile: the result and what it was made from (the package needs the graph
// and the spec the result was compiled from).
struct CompiledModel {
    compiler::CompileResult result;
    std::shared_ptr<quant::ModelGraphs> graphs;
    const Graph* graph = nullptr; // owned by graphs
    std::shared_ptr<const QuantSpec> spec; // null: 8-bit weights from the model alone
    QString target;
    std::map<std::string, int> bits, adcBits, dacBits; // the choices it was compiled with
};

// The deployment package of a compile (compiler::buildPackage with the model's identity), as
// File > Export Deployment Binary writes it and the simulation panel runs it.
package::Package packageOf(const CompiledModel& compiled);

class CompileController : public QObject {
    Q_OBJECT
public:
    static constexpr const char* kDefaultTarget = "m1076";

    CompileController(ProjectModel* model, JobManager* jobs, QuantController* quant, QObject* parent = nullptr);
    ~CompileController() override;

    static QStringList targetPresets();
    QString targetName() const; // the project's, else kDefaultTarget
    void setTarget(const QString& nameOrPath); // marks the project modified

    // Background jobs; each returns the job id (0 when it cannot start: reason via message()).
    int compile();
    // Writes `path` (.tpkg) and `<path without suffix>.report.json`; compiles first when
    // the result is missing or stale.
    int exportPackage(const QString& path);
    void cancel();
    int runningJob() const { return m_job; }

    const compiler::CompileResult* result() const { return m_compiled ? &m_compiled->result : nullptr; }
    std::shared_ptr<const CompiledModel> compiled() const { return m_compiled; }
    bool isStale() const { return m_stale; }
    double autoRecompileSeconds() const { return m_autoSeconds; }
    void setAutoRecompileSeconds(double seconds) { m_autoSeconds = seconds; }

    // The document node a compiled layer is (by name; kNoNode when the document lacks it).
    NodeId nodeOfLayer(int layer) const;
    QVector<int> blocksOfNode(NodeId node) const; // indices into result()->blocks

signals:
    void resultChanged();
    void staleChanged(bool stale);
    void busyChanged(bool busy);
    void message(const QString& text, bool isError);

private:
    void checkStale();
    void setStale(bool stale);
    void maybeRecompile(); // stale and the last compile was quick
    int startJob(const QString& title, JobWork work);
    int startExport(const QString& path);

    ProjectModel* m_model;
    JobManager* m_jobs;
    QuantController* m_quant;
    std::shared_ptr<const CompiledModel> m_compiled;
    bool m_stale = false;
    double m_autoSeconds = 1.0;
    int m_job = 0;
    QString m_pendingExport;
};

} // namespace tessera::studio
