// Host driver: devices, loading, blocking runs and the in-order frame queue with its
// worker threads (threading model: simulator/Driver.h, docs/host-driver.md).
#include "simulator/DriverDetail.h"

#include "core/package/PackageIO.h"
#include "core/target/Target.h"

namespace tessera::driver {

using detail::Core;
using detail::FrameState;
using detail::Model;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSimPrefix = "sim";
constexpr const char* kDefaultTarget = "m1076";

[[noreturn]] void throwClosed(const std::string& name, const char* what)
{
    throw DriverError(ErrorCode::DeviceClosed, strCat("device ", name, " is closed (", what, ")"));
}

// The core of an open device, or DeviceClosed.
Core& openCore(const std::shared_ptr<Core>& core, const char* what)
{
    if (!core)
        throwClosed("(moved from)", what);
    return *core;
}

std::shared_ptr<const Model> currentModel(const Core& core, const char* what)
{
    if (core.closed)
        throwClosed(core.name, what);
    if (!core.model)
        throw DriverError(ErrorCode::NoModel, strCat("device ", core.name, ": no model loaded (", what,
                                                     " needs load(package.tpkg) first)"));
    return core.model;
}

void finish(Core& core, FrameState& frame, Outputs outputs, std::string error)
{
    std::lock_guard lock(core.mutex);
    frame.outputs = std::move(outputs);
    frame.error = std::move(error);
    frame.stage = frame.error.empty() ? FrameStage::Done : FrameStage::Failed;
    --core.inFlight;
    core.changed.notify_all();
}

// A worker: takes queued frames in submission order and runs them until closed.
void workerLoop(Core& core)
{
    for (;;) {
        std::shared_ptr<FrameState> frame;
        {
            std::unique_lock lock(core.mutex);
            core.changed.wait(lock, [&] { return core.closed || !core.queue.empty(); });
            if (core.queue.empty())
                return; // closed (close() cancelled whatever was queued)
            frame = std::move(core.queue.front());
            core.queue.pop_front();
            frame->stage = FrameStage::Running;
            frame->started = Clock::now();
            core.changed.notify_all();
        }
        std::string error;
        Outputs outputs;
        try {
            outputs = frame->model->engine(frame->inputs, frame->run);
        } catch (const std::exception& e) {
            error = *e.what() ? e.what() : "the engine threw an exception without a message";
        } catch (...) {
            error = "the engine threw a non-standard exception";
        }
        finish(core, *frame, std::move(outputs), std::move(error));
        frame->inputs.clear();
    }
}

std::string frameLabel(const Core& core, uint64_t id) { return strCat("device ", core.name, ": frame ", id); }

// Why a wait ended without a result; caller holds the mutex.
[[noreturn]] void throwUnfinished(const Core& core, const FrameState& frame, std::chrono::milliseconds timeout)
{
    const std::string label = frameLabel(core, frame.id);
    if (frame.stage == FrameStage::Failed)
        throw FrameError(ErrorCode::ExecutionFailed, strCat(label, " failed: ", frame.error), frame.id, frame.stage);
    if (frame.stage == FrameStage::Cancelled)
        throw FrameError(ErrorCode::Cancelled, strCat(label, " cancelled: ", frame.error), frame.id, frame.stage);
    std::string where;
    if (frame.stage == FrameStage::Queued) {
        size_t ahead = 0;
        while (ahead < core.queue.size() && core.queue[ahead].get() != &frame)
            ++ahead;
        const size_t running = static_cast<size_t>(core.inFlight) - core.queue.size();
        where = strCat("still queued (", ahead, " queued and ", running, " running ahead of it)");
    } else {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - frame.started);
        where = strCat("still running (for ", ms.count(), " ms)");
    }
    throw TimeoutError(strCat(label, ": no result after ", timeout.count(), " ms, ", where), frame.id, frame.stage);
}

package::TargetSummary deviceTarget(const std::string& name, std::string& spec)
{
    const std::string prefix = kSimPrefix;
    if (name == prefix)
        spec = kDefaultTarget;
    else if (name.rfind(prefix + ":", 0) == 0 && name.size() > prefix.size() + 1)
        spec = name.substr(prefix.size() + 1);
    else
        throw DriverError(ErrorCode::UnknownDevice, strCat("unknown device '", name, "'; devices: sim (= sim:",
                                                           kDefaultTarget, "), sim:<preset>, sim:<target.json>"));
    try {
        return package::summarizeTarget(loadTarget(spec), false);
    } catch (const Error& e) {
        std::string presets;
        for (const std::string& p : listTargetPresets())
            presets += (presets.empty() ? "" : ", ") + p;
        throw DriverError(ErrorCode::UnknownDevice,
                          strCat("device '", name, "': ", e.what(), " (target presets: ", presets, ")"));
    }
}

} // namespace

Engine simulatorEngine(const package::Package& package)
{
    auto machine = std::make_shared<const sim::Machine>(package);
    return [machine](const std::vector<Tensor>& inputs, const sim::RunOptions& options) {
        return machine->run(inputs, options);
    };
}

// ---- Frame ----

uint64_t Frame::id() const { return m_state ? m_state->id : 0; }

FrameStage Frame::stage() const
{
    if (!m_state)
        throw DriverError(ErrorCode::BadHandle, "an empty Frame has no stage (it was not returned by submit())");
    std::lock_guard lock(m_state->core->mutex);
    return m_state->stage;
}

// ---- Device ----

Device::Device(std::shared_ptr<Core> core) : m_core(std::move(core)) {}
Device::Device(Device&&) noexcept = default;
Device& Device::operator=(Device&& other) noexcept
{
    if (this != &other) {
        close();
        m_core = std::move(other.m_core);
    }
    return *this;
}
Device::~Device() { close(); }

Device Device::open(const std::string& name, DeviceOptions options)
{
    if (options.maxInFlight < 1)
        throw DriverError(ErrorCode::BadOptions,
                          strCat("device '", name, "': maxInFlight is ", options.maxInFlight, ", it must be >= 1"));
    if (options.workers < 1)
        throw DriverError(ErrorCode::BadOptions,
                          strCat("device '", name, "': workers is ", options.workers, ", it must be >= 1"));
    auto core = std::make_shared<Core>();
    std::string spec;
    core->targetSummary = deviceTarget(name, spec);
    core->target = core->targetSummary.name;
    core->name = strCat(kSimPrefix, ":", spec);
    if (!options.engine)
        options.engine = simulatorEngine;
    core->options = std::move(options);
    for (int i = 0; i < core->options.workers; ++i)
        core->workers.emplace_back(workerLoop, std::ref(*core));
    return Device(std::move(core));
}

std::vector<std::string> Device::deviceNames()
{
    std::vector<std::string> names;
    for (const std::string& p : listTargetPresets())
        names.push_back(strCat(kSimPrefix, ":", p));
    return names;
}

const std::string& Device::name() const { return openCore(m_core, "name").name; }
const std::string& Device::target() const { return openCore(m_core, "target").target; }

bool Device::isOpen() const
{
    if (!m_core)
        return false;
    std::lock_guard lock(m_core->mutex);
    return !m_core->closed;
}

void Device::load(const std::string& packagePath)
{
    Core& core = openCore(m_core, "load");
    if (!isOpen())
        throwClosed(core.name, "load");
    install(core, detail::readChecked(packagePath), packagePath); // the reader validated it
}

void Device::load(package::Package package, const std::string& label)
{
    Core& core = openCore(m_core, "load");
    try {
        package::validatePackage(package, label);
    } catch (const Error& e) {
        throw PackageError(ErrorCode::BadPackage, e.what());
    }
    install(core, std::move(package), label);
}

void Device::install(Core& core, package::Package package, const std::string& label)
{
    detail::checkTarget(package, label, core);
    auto model = std::make_shared<Model>();
    model->info = detail::describeModel(package, label);
    try {
        model->engine = core.options.engine(package);
    } catch (const Error& e) {
        throw PackageError(ErrorCode::BadPackage, strCat(label, ": ", e.what()));
    }
    std::lock_guard lock(core.mutex);
    if (core.closed)
        throwClosed(core.name, "load");
    core.model = std::move(model);
}

void Device::unload()
{
    Core& core = openCore(m_core, "unload");
    std::lock_guard lock(core.mutex);
    if (core.closed)
        throwClosed(core.name, "unload");
    core.model.reset();
}

bool Device::hasModel() const
{
    Core& core = openCore(m_core, "hasModel");
    std::lock_guard lock(core.mutex);
    return core.model != nullptr;
}

ModelInfo Device::model() const
{
    Core& core = openCore(m_core, "model");
    std::lock_guard lock(core.mutex);
    return currentModel(core, "model()")->info;
}

Outputs Device::run(const Inputs& inputs) const { return run(inputs, openCore(m_core, "run").options.run); }

Outputs Device::run(const Inputs& inputs, const sim::RunOptions& options) const
{
    Core& core = openCore(m_core, "run");
    std::shared_ptr<const Model> model;
    {
        std::lock_guard lock(core.mutex);
        model = currentModel(core, "run");
    }
    const std::vector<Tensor> ordered = detail::checkInputs(model->info, inputs);
    return model->engine(ordered, options);
}

Frame Device::submit(const Inputs& inputs) { return submit(inputs, openCore(m_core, "submit").options.run); }

Frame Device::submit(const Inputs& inputs, const sim::RunOptions& options)
{
    Core& core = openCore(m_core, "submit");
    auto frame = std::make_shared<FrameState>();
    frame->run = options;
    {
        std::lock_guard lock(core.mutex);
        frame->model = currentModel(core, "submit");
    }
    for (const Tensor& t : detail::checkInputs(frame->model->info, inputs))
        frame->inputs.push_back(t.clone()); // the caller may reuse its buffers at once
    frame->core = m_core;

    std::unique_lock lock(core.mutex);
    const int limit = core.options.maxInFlight;
    const std::chrono::milliseconds timeout = core.options.submitTimeout;
    auto slotOrClosed = [&] { return core.closed || core.inFlight < limit; };
    if (timeout.count() < 0)
        core.changed.wait(lock, slotOrClosed);
    else
        core.changed.wait_for(lock, timeout, slotOrClosed);
    if (core.closed)
        throwClosed(core.name, "submit");
    if (core.inFlight >= limit)
        throw DriverError(ErrorCode::QueueFull,
                          strCat("device ", core.name, ": ", core.inFlight, " frames in flight, the limit (maxInFlight ",
                                 limit, "); no slot freed within ", timeout.count(), " ms (submitTimeout)"));
    frame->id = core.nextFrame++;
    ++core.inFlight;
    core.queue.push_back(frame);
    core.changed.notify_all();
    Frame handle;
    handle.m_state = std::move(frame);
    return handle;
}

Outputs Device::wait(const Frame& frame, std::chrono::milliseconds timeout) const
{
    Core& core = openCore(m_core, "wait");
    if (!frame.m_state || frame.m_state->core.get() != &core)
        throw DriverError(ErrorCode::BadHandle, strCat("device ", core.name, ": wait on ",
                                                       frame.m_state ? "a frame of another device"
                                                                     : "an empty Frame (not returned by submit())"));
    FrameState& state = *frame.m_state;
    std::unique_lock lock(core.mutex);
    core.changed.wait_for(lock, timeout, [&] {
        return state.stage != FrameStage::Queued && state.stage != FrameStage::Running;
    });
    if (state.stage == FrameStage::Done)
        return state.outputs;
    throwUnfinished(core, state, timeout);
}

int Device::inFlight() const
{
    Core& core = openCore(m_core, "inFlight");
    std::lock_guard lock(core.mutex);
    return core.inFlight;
}

void Device::close()
{
    if (!m_core)
        return;
    Core& core = *m_core;
    {
        std::lock_guard lock(core.mutex);
        if (!core.closed) {
            core.closed = true;
            for (const std::shared_ptr<FrameState>& f : core.queue) {
                f->stage = FrameStage::Cancelled;
                f->error = "the device was closed before it ran";
                f->inputs.clear();
            }
            core.inFlight -= static_cast<int>(core.queue.size());
            core.queue.clear();
            core.model.reset();
        }
        core.changed.notify_all();
    }
    std::lock_guard join(core.joinMutex);
    for (std::thread& w : core.workers)
        if (w.joinable())
            w.join();
}

} // namespace tessera::driver
