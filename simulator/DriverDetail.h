#pragma once
// Internals of the host driver (simulator/Driver.cpp, DriverCheck.cpp): the shared state of
// a device, its frames, and the checks a package and an input go through. Not installed
// as API: include simulator/Driver.h.
#include "simulator/Driver.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace tessera::driver::detail {

// A loaded package: what frames run on. Shared by the device and every frame submitted
// while it was loaded.
struct Model {
    ModelInfo info;
    Engine engine;
};

struct FrameState {
    uint64_t id = 0;
    std::shared_ptr<Core> core;
    std::shared_ptr<const Model> model;
    std::vector<Tensor> inputs; // checked, in Package::inputs order
    sim::RunOptions run;        // the device's or the frame's own
    // Guarded by core->mutex:
    FrameStage stage = FrameStage::Queued;
    Outputs outputs;
    std::string error;
    std::chrono::steady_clock::time_point started;
};

struct Core {
    std::string name;   // "sim:m1076"
    std::string target; // "m1076"
    package::TargetSummary targetSummary;
    DeviceOptions options;

    mutable std::mutex mutex;
    std::condition_variable changed; // a frame changed stage, a slot freed, or closing
    std::shared_ptr<const Model> model;
    std::deque<std::shared_ptr<FrameState>> queue;
    int inFlight = 0; // queued + running
    uint64_t nextFrame = 1;
    bool closed = false;

    std::mutex joinMutex; // close() from several threads: all return after the join
    std::vector<std::thread> workers;
};

// Checks `inputs` by name against the model's input descriptors and returns them in
// descriptor order (InputError on an unknown or missing name, wrong shape or dtype).
std::vector<Tensor> checkInputs(const ModelInfo& model, const Inputs& inputs);

// Reads `path`, refusing another format version (FormatVersionError) before parsing, then
// an invalid package (PackageError).
package::Package readChecked(const std::string& path);
// Refuses a package built for another target than the device's (TargetMismatchError).
void checkTarget(const package::Package& pkg, const std::string& label, const Core& device);
// The model's descriptors from the package.
ModelInfo describeModel(const package::Package& pkg, const std::string& label);

DType codeDType(package::ElementType type);

} // namespace tessera::driver::detail
