#include "app/controllers/CompileController.h"

#include "app/controllers/QuantController.h"
#include "compiler/PackageBuilder.h"
#include "core/Error.h"
#include "core/io/FileIO.h"
#include "core/package/PackageIO.h"
#include "core/target/Target.h"
#include "quant/QuantizeApi.h"

#include <QFileInfo>
#include <QPointer>

namespace tessera::studio {

namespace {

std::string str(const QString& s) { return s.toStdString(); }

// What a compile job reads on the worker thread: plain values only.
struct CompileInput {
    std::string modelPath;
    QString target;
    std::shared_ptr<const QuantSpec> base;
    std::map<std::string, int> bits, adcBits, dacBits;
};

std::shared_ptr<CompiledModel> compileModel(const CompileInput& in, ProgressSink& sink)
{
    auto out = std::make_shared<CompiledModel>();
    out->target = in.target;
    out->bits = in.bits;
    out->adcBits = in.adcBits;
    out->dacBits = in.dacBits;
    const Target target = loadTarget(str(in.target));
    if (in.base) {
        out->graphs = std::make_shared<quant::ModelGraphs>(quant::openModelFor(in.modelPath, *in.base));
        out->graph = &out->graphs->forBatch(out->graphs->declaredBatch());
        out->spec = std::make_shared<const QuantSpec>(withChosenBits(*in.base, *out->graph, in.bits, in.adcBits, in.dacBits));
    } else {
        out->graphs = std::make_shared<quant::ModelGraphs>(in.modelPath);
        out->graph = &out->graphs->forBatch(out->graphs->declaredBatch());
    }
    out->result = compiler::compileGraph(*out->graph, target, out->spec.get(), {}, &sink);
    out->result.model = in.modelPath;
    return out;
}

QString reportPathFor(const QString& packagePath)
{
    const QFileInfo info(packagePath);
    return info.absolutePath() + "/" + info.completeBaseName() + ".report.json";
}

} // namespace

package::Package packageOf(const CompiledModel& compiled)
{
    const compiler::CompileResult& r = compiled.result;
    const compiler::PackageIdentity id{r.model, compiled.graphs->contentHash(),
                                       compiled.spec ? compiler::specContentHash(*compiled.spec) : ""};
    return compiler::buildPackage(*compiled.graph, r, compiled.spec.get(), id);
}

CompileController::CompileController(ProjectModel* model, JobManager* jobs, QuantController* quant, QObject* parent)
    : QObject(parent), m_model(model), m_jobs(jobs), m_quant(quant)
{
    connect(m_model, &ProjectModel::documentChanged, this, [this] {
        cancel();
        m_compiled.reset();
        m_pendingExport.clear();
        setStale(false);
        emit resultChanged();
    });
    connect(m_model, &ProjectModel::projectChanged, this, &CompileController::checkStale);
    if (m_quant) {
        connect(m_quant, &QuantController::bitsChanged, this, &CompileController::checkStale);
        connect(m_quant, &QuantController::calibrationChanged, this, &CompileController::checkStale);
    }
    connect(m_jobs, &JobManager::jobEnded, this, [this](int id) {
        if (id != m_job)
            return;
        m_job = 0;
        emit busyChanged(false);
        maybeRecompile(); // choices changed while it ran
    });
    connect(m_jobs, &JobManager::jobFailed, this, [this](int id, const QString&, const QString&) {
        if (id == m_job)
            m_pendingExport.clear();
    });
}

CompileController::~CompileController() = default;

QStringList CompileController::targetPresets()
{
    QStringList names;
    for (const std::string& name : listTargetPresets())
        names << QString::fromStdString(name);
    return names;
}

QString CompileController::targetName() const
{
    const QString t = m_model->project().hardwareTarget;
    return t.isEmpty() ? QString(kDefaultTarget) : t;
}

void CompileController::setTarget(const QString& nameOrPath)
{
    m_model->setHardwareTarget(nameOrPath); // projectChanged -> checkStale
}

int CompileController::startJob(const QString& title, JobWork work)
{
    m_job = m_jobs->start(title, "compile", std::move(work));
    emit busyChanged(true);
    return m_job;
}

int CompileController::compile()
{
    if (!m_model->hasDocument()) {
        emit message(tr("Compile: open a model first"), true);
        return 0;
    }
    CompileInput in{m_model->document()->sourcePath(), targetName(), nullptr, {}, {}, {}};
    if (m_quant && m_quant->baseResult()) {
        in.base = m_quant->baseResult();
        in.bits = m_quant->chosenBits();
        in.adcBits = m_quant->chosenAdcBits();
        in.dacBits = m_quant->chosenDacBits();
    }
    const QString title = tr("Compile %1 for %2").arg(QFileInfo(QString::fromStdString(in.modelPath)).fileName(), in.target);
    return startJob(title, [in, self = QPointer(this)](ProgressSink& sink) -> JobApply {
        std::shared_ptr<const CompiledModel> compiled = compileModel(in, sink);
        return [self, compiled] {
            if (!self)
                return;
            self->m_compiled = compiled;
            const compiler::CompileResult& r = compiled->result;
            emit self->message(tr("Compiled for %1 in %2 s: %3 blocks on %4 arrays, %5 tiles, %6 fps%7")
                                   .arg(compiled->target)
                                   .arg(r.compileSeconds, 0, 'f', 2)
                                   .arg(r.blocks.size())
                                   .arg(r.arrays.size())
                                   .arg(r.tilesUsed)
                                   .arg(r.fps, 0, 'f', 0)
                                   .arg(r.fits ? QString() : tr(" — does not fit: %1").arg(QString::fromStdString(r.fitMessage))),
                               !r.fits);
            self->checkStale();
            emit self->resultChanged();
            if (!self->m_pendingExport.isEmpty() && !self->m_stale) {
                const QString path = std::exchange(self->m_pendingExport, QString());
                QMetaObject::invokeMethod(self, [self, path] { if (self) self->startExport(path); }, Qt::QueuedConnection);
            }
        };
    });
}

int CompileController::exportPackage(const QString& path)
{
    if (m_compiled && !m_stale && !m_job)
        return startExport(path);
    m_pendingExport = path;
    return m_job ? m_job : compile();
}

int CompileController::startExport(const QString& path)
{
    std::shared_ptr<const CompiledModel> compiled = m_compiled;
    if (!compiled->result.fits) {
        emit message(tr("Export: %1 does not fit %2: %3")
                         .arg(QFileInfo(QString::fromStdString(compiled->result.model)).fileName(), compiled->target,
                              QString::fromStdString(compiled->result.fitMessage)),
                     true);
        return 0;
    }
    const std::string pkgPath = str(path), reportPath = str(reportPathFor(path));
    return startJob(tr("Export %1").arg(QFileInfo(path).fileName()),
                    [compiled, pkgPath, reportPath, self = QPointer(this)](ProgressSink& sink) -> JobApply {
                        sink.checkpoint(0.0, "building the package");
                        const compiler::CompileResult& r = compiled->result;
                        const package::Package pkg = packageOf(*compiled);
                        sink.checkpoint(0.8, "writing the package");
                        package::writePackage(pkgPath, pkg);
                        writeFileAtomic(reportPath, compiler::reportJson(r).dump(1) + "\n");
                        return [self, pkgPath, reportPath] {
                            if (self)
                                emit self->message(tr("Wrote %1 and %2").arg(QString::fromStdString(pkgPath),
                                                                             QString::fromStdString(reportPath)),
                                                   false);
                        };
                    });
}

void CompileController::cancel()
{
    m_pendingExport.clear();
    if (m_job)
        m_jobs->cancel(m_job);
}

void CompileController::checkStale()
{
    if (!m_compiled)
        return setStale(false);
    std::map<std::string, int> bits, adc, dac;
    if (m_quant && m_quant->baseResult()) {
        bits = m_quant->chosenBits();
        adc = m_quant->chosenAdcBits();
        dac = m_quant->chosenDacBits();
    }
    const bool calibrated = m_quant && m_quant->baseResult();
    const bool stale = m_compiled->target != targetName() || bits != m_compiled->bits || adc != m_compiled->adcBits ||
                       dac != m_compiled->dacBits ||
                       calibrated != (m_compiled->spec != nullptr);
    setStale(stale);
    maybeRecompile();
}

void CompileController::maybeRecompile()
{
    if (m_stale && !m_job && m_compiled && m_compiled->result.compileSeconds < m_autoSeconds)
        compile();
}

void CompileController::setStale(bool stale)
{
    if (m_stale == stale)
        return;
    m_stale = stale;
    emit staleChanged(stale);
}

NodeId CompileController::nodeOfLayer(int layer) const
{
    if (!m_compiled || !m_model->hasDocument() || layer < 0 || layer >= static_cast<int>(m_compiled->result.layers.size()))
        return kNoNode;
    const std::optional<NodeId> id = m_model->document()->graph().findNode(m_compiled->result.layers[layer].node);
    return id ? *id : kNoNode;
}

QVector<int> CompileController::blocksOfNode(NodeId node) const
{
    QVector<int> blocks;
    if (!m_compiled || node == kNoNode)
        return blocks;
    const auto& r = m_compiled->result;
    for (int b = 0; b < static_cast<int>(r.blocks.size()); ++b)
        if (nodeOfLayer(r.blocks[b].layer) == node)
            blocks << b;
    return blocks;
}

} // namespace tessera::studio
