#pragma once
// The host driver: what a deployment engineer's program uses to run a package (.tpkg) on a
// device. Here the device is the simulator (sim::Machine) emulating a target preset:
//
//     using namespace tessera;
//     driver::Device dev = driver::Device::open("sim:m1076");
//     dev.load("mnist.tpkg");                         // refuses another target / format
//     for (const driver::TensorInfo& in : dev.model().inputs)
//         std::cout << in.describe() << "\n";         // "input [1,1,28,28] float32 -> uint8 ..."
//     Tensor x = readNpy("digit.npy");                // float32 values, or the input's codes
//     std::vector<Tensor> y = dev.run({{"input", x}}); // blocking, on this thread
//     driver::Frame f = dev.submit({{"input", x}});   // asynchronous, up to maxInFlight
//     y = dev.wait(f, std::chrono::seconds(5));       // TimeoutError names frame and stage
//     dev.close();                                    // or the destructor
//
// Inputs are float32 values (the device quantizes them by the input's descriptor) or codes
// already in the input's element type; outputs come back dequantized as float32, one tensor
// per model output in model().outputs order. An input's leading dimension may be a multiple
// of its descriptor's: that many frames, run as one call, outputs stacked the same way.
//
// Threading (docs/host-driver.md): every member of Device may be called from any number of
// threads at once (except moving and destroying it). run() executes on the calling thread;
// submit() queues the frame for the device's worker threads (DeviceOptions::workers, default
// 1), which take frames in submission order; with one worker they also finish in that order,
// with more several run at once and may finish in any order. Both call the same engine, with
// the device's options or the frame's own (run/submit with sim::RunOptions: its seed, its
// frame index for the noise), so a frame's result is the same whichever way it ran. At most maxInFlight submitted frames are queued or
// running; submit() on a full device blocks until a slot frees (submitTimeout bounds that,
// then QueueFullError). close() cancels queued frames (their wait throws Cancelled), lets
// the running one finish, joins the worker and returns: it never hangs on a frame.
#include "core/Tensor.h"
#include "core/package/Package.h"
#include "simulator/DriverErrors.h"
#include "simulator/Machine.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tessera::driver {

// One model input or output, from the package's I/O descriptor.
struct TensorInfo {
    std::string name;
    Shape shape;                     // one call's shape; the leading dim may be a multiple
    DType codeType = DType::Float32; // element type of the codes the device stores
    package::TensorQuantization quant; // quantized: real = (code - quant.zeroPoint) * quant.scale
    // "input [1,1,28,28] float32 -> uint8 codes (scale 0.00392, 8 bits, unsigned)"
    std::string describe() const;
};

struct ModelInfo {
    std::string name;          // the package's model name
    std::string packagePath;   // as given to load() (or the label of an in-memory package)
    std::string target;        // target the package was built for (= the device's)
    uint32_t formatVersion = 0;
    std::string tesseraVersion; // release that wrote the package
    std::vector<TensorInfo> inputs;
    std::vector<TensorInfo> outputs;
};

// Host-side quantization, for a program that quantizes once and submits codes: float32
// values -> codes in info.codeType by core's rule saturate(roundHalfEven(x / scale)) over the
// descriptor's code range (core/analog/Numerics.h), and codes -> float32 (code x scale).
// InputError(WrongDType) for a descriptor that is not quantized or a tensor of another type.
Tensor quantize(const TensorInfo& info, const Tensor& values);
Tensor dequantize(const TensorInfo& info, const Tensor& codes);

using Inputs = std::map<std::string, Tensor>; // by input name
using Outputs = std::vector<Tensor>;          // in ModelInfo::outputs order

// What executes frames: the seam between the driver and the device. The default is
// sim::Machine (simulatorEngine); tests inject slow or failing fakes. An engine must be
// callable from several threads at once. Inputs arrive checked, in Package::inputs order.
using Engine = std::function<Outputs(const std::vector<Tensor>& inputs, const sim::RunOptions& options)>;
using EngineFactory = std::function<Engine(const package::Package& package)>;
Engine simulatorEngine(const package::Package& package);

struct DeviceOptions {
    // Submitted frames queued or running at once (>= 1). Frames done but not yet waited
    // for do not count: their results live in the Frame handle.
    int maxInFlight = 8;
    // submit() on a full device: negative waits until a slot frees (the worker always
    // finishes its frame, so this ends), 0 throws QueueFullError at once, positive waits
    // that long, then throws QueueFullError.
    std::chrono::milliseconds submitTimeout{-1};
    // Passed to the engine for every frame that brings no options of its own (noise, seed,
    // frame index of the noise, threads per call).
    sim::RunOptions run;
    // Worker threads running submitted frames (>= 1). On the simulator one frame runs on one
    // thread, so 2 workers use both cores of this machine for a stream of frames.
    int workers = 1;
    // Empty: simulatorEngine.
    EngineFactory engine;
};

namespace detail {
struct Core;
struct FrameState;
} // namespace detail

// Handle to a submitted frame. Cheap to copy; the result stays in it until the last copy
// goes, so frames done but never waited for cost only their outputs' memory.
class Frame {
public:
    Frame() = default;
    bool valid() const { return m_state != nullptr; }
    uint64_t id() const;       // 1, 2, ... in submission order per device; 0 if !valid()
    FrameStage stage() const;  // now (throws BadHandle if !valid())

private:
    friend class Device;
    std::shared_ptr<detail::FrameState> m_state;
};

class Device {
public:
    // "sim" (the simulator emulating m1076), "sim:<preset>" (listTargetPresets()), or
    // "sim:<target.json>". Throws DriverError(UnknownDevice) naming the known devices.
    static Device open(const std::string& name, DeviceOptions options = {});
    static std::vector<std::string> deviceNames(); // "sim:m1076", ...

    Device(Device&&) noexcept;
    Device& operator=(Device&&) noexcept;
    ~Device(); // close()

    const std::string& name() const;   // "sim:m1076"
    const std::string& target() const; // "m1076"
    bool isOpen() const;

    // Reads and validates a package file (or validates an in-memory package), refusing one
    // built for another target or in a format version this driver does not read
    // (PackageError and subclasses). Replaces the loaded model; frames already submitted
    // finish on the model they were submitted to.
    void load(const std::string& packagePath);
    void load(package::Package package, const std::string& label = "package");
    void unload();
    bool hasModel() const;
    ModelInfo model() const; // throws NoModel

    // Checks the inputs against the descriptors (InputError), then runs them on this thread,
    // with the device's options or the given ones.
    Outputs run(const Inputs& inputs) const;
    Outputs run(const Inputs& inputs, const sim::RunOptions& options) const;
    // Checks and copies the inputs and queues them (see DeviceOptions::submitTimeout); the
    // frame runs with the device's options or its own (e.g. a seed or frame index per frame).
    Frame submit(const Inputs& inputs);
    Frame submit(const Inputs& inputs, const sim::RunOptions& options);
    // The frame's outputs; rethrows its failure (ExecutionFailed, Cancelled). Throws
    // TimeoutError (naming the frame and whether it is queued or running) if it is not
    // finished within `timeout`; the frame keeps going and may be waited for again.
    Outputs wait(const Frame& frame, std::chrono::milliseconds timeout) const;
    int inFlight() const; // queued + running

    void close();

private:
    explicit Device(std::shared_ptr<detail::Core> core);
    static void install(detail::Core& core, package::Package package, const std::string& label);
    std::shared_ptr<detail::Core> m_core;
};

} // namespace tessera::driver
