#pragma once
// Typed errors of the host driver (simulator/Driver.h). Every one is a tessera::Error (so a
// std::runtime_error) carrying an ErrorCode and a one-line message that names what the
// caller needs: the package file, both targets, both format versions, the input, the frame
// and its stage. Catch DriverError for all of them, or a subclass for one family.
#include "core/Error.h"

#include <cstdint>
#include <string>

namespace tessera::driver {

enum class ErrorCode {
    UnknownDevice,    // Device::open: no such device or target preset
    BadOptions,       // Device::open: DeviceOptions out of range (maxInFlight < 1)
    DeviceClosed,     // any call after close() (or on a moved-from Device)
    NoModel,          // run/submit/model() before load() or after unload()
    BadPackage,       // unreadable or invalid package file
    WrongTarget,      // package built for another target
    WrongFormat,      // package format version this driver does not read
    UnknownInput,     // an input name the model does not have
    MissingInput,     // a model input not given
    WrongShape,       // input shape does not match its descriptor
    WrongDType,       // input element type is neither float32 nor the input's code type
    QueueFull,        // submit: maxInFlight frames in flight and no slot freed in time
    Timeout,          // wait: the frame is not finished within the timeout
    Cancelled,        // the frame was still queued when the device closed
    ExecutionFailed,  // the engine (simulator) threw while running the frame
    BadHandle,        // wait on an empty Frame or one from another device
};
inline constexpr int kErrorCodeCount = 16;

// "wrong_target", ... (one table, Driver.cpp).
const char* errorCodeName(ErrorCode code);

class DriverError : public Error {
public:
    DriverError(ErrorCode code, const std::string& message) : Error(message), m_code(code) {}
    ErrorCode code() const { return m_code; }

private:
    ErrorCode m_code;
};

// BadPackage, WrongTarget, WrongFormat.
class PackageError : public DriverError {
public:
    using DriverError::DriverError;
};

class TargetMismatchError : public PackageError {
public:
    TargetMismatchError(const std::string& message, std::string packageTarget, std::string deviceTarget)
        : PackageError(ErrorCode::WrongTarget, message), m_package(std::move(packageTarget)),
          m_device(std::move(deviceTarget))
    {
    }
    const std::string& packageTarget() const { return m_package; }
    const std::string& deviceTarget() const { return m_device; }

private:
    std::string m_package, m_device;
};

class FormatVersionError : public PackageError {
public:
    FormatVersionError(const std::string& message, uint32_t packageVersion)
        : PackageError(ErrorCode::WrongFormat, message), m_version(packageVersion)
    {
    }
    uint32_t packageVersion() const { return m_version; }

private:
    uint32_t m_version;
};

// UnknownInput, MissingInput, WrongShape, WrongDType.
class InputError : public DriverError {
public:
    InputError(ErrorCode code, const std::string& message, std::string input)
        : DriverError(code, message), m_input(std::move(input))
    {
    }
    const std::string& input() const { return m_input; }

private:
    std::string m_input;
};

// Where a submitted frame is.
enum class FrameStage { Queued, Running, Done, Failed, Cancelled };
const char* frameStageName(FrameStage stage); // "queued", "running", ...

// Timeout, Cancelled, ExecutionFailed: about one submitted frame.
class FrameError : public DriverError {
public:
    FrameError(ErrorCode code, const std::string& message, uint64_t frame, FrameStage stage)
        : DriverError(code, message), m_frame(frame), m_stage(stage)
    {
    }
    uint64_t frame() const { return m_frame; }
    FrameStage stage() const { return m_stage; } // at the time of the error

private:
    uint64_t m_frame;
    FrameStage m_stage;
};

// wait() gave up: the frame is still queued or running (stage()).
class TimeoutError : public FrameError {
public:
    TimeoutError(const std::string& message, uint64_t frame, FrameStage stage)
        : FrameError(ErrorCode::Timeout, message, frame, stage)
    {
    }
};

} // namespace tessera::driver
