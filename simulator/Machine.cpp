// Placeholder until the package interpreter lands: every run reports that it is missing.
#include "simulator/Machine.h"

#include "core/Error.h"

namespace tessera::sim {

struct Machine::State {
    package::Package package;
};

Machine::Machine(package::Package package) : m_state(std::make_unique<State>(State{std::move(package)})) {}
Machine::~Machine() = default;
Machine::Machine(Machine&&) noexcept = default;
Machine& Machine::operator=(Machine&&) noexcept = default;

const package::Package& Machine::package() const { return m_state->package; }

std::vector<Tensor> Machine::run(const std::vector<Tensor>&, const RunOptions&) const
{
    fail(m_state->package.header.modelName, ": the package interpreter is not built yet");
}

} // namespace tessera::sim
