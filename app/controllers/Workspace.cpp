#include "app/controllers/Workspace.h"

namespace tessera::studio {

Workspace::Workspace(RetrainRunner retrainRunner, QObject* parent)
    : QObject(parent), m_quant(std::make_unique<QuantController>(&m_model, &m_jobs)),
      m_compile(std::make_unique<CompileController>(&m_model, &m_jobs, m_quant.get())),
      m_simulation(std::make_unique<SimulationController>(&m_model, &m_jobs, m_quant.get(), m_compile.get())),
      m_retrain(std::make_unique<RetrainController>(&m_model, &m_jobs, m_quant.get(), std::move(retrainRunner)))
{
    connect(&m_model, &ProjectModel::documentChanged, this, &Workspace::documentChanged);
    connect(m_quant.get(), &QuantController::calibrationChanged, this, &Workspace::quantSpecChanged);
    connect(m_quant.get(), &QuantController::bitsChanged, this, &Workspace::quantSpecChanged);
    connect(m_compile.get(), &CompileController::resultChanged, this, &Workspace::compiledChanged);
    connect(m_simulation.get(), &SimulationController::resultChanged, this, &Workspace::simulationResultChanged);
}

Workspace::~Workspace()
{
    m_jobs.cancelAll();
    m_retrain.reset();
    m_simulation.reset();
    m_compile.reset();
    m_quant.reset();
}

} // namespace tessera::studio
