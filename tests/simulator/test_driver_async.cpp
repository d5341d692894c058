// Host driver, asynchronous path, with fake engines injected through the engine seam so
// that timing is deterministic: a wait that times out names the frame and its stage, the
// in-flight bound holds (fail at once, fail after submitTimeout, or block until a slot
// frees), several threads submitting get each frame's blocking result in submission order,
// close() cancels queued frames and finishes the running one without hanging.
#include "simulator/Driver.h"

#include "core/package/PackageIO.h"

#include "DriverFixture.h"

#include <QtTest>

#include <atomic>
#include <deque>
#include <future>
#include <thread>

using namespace tessera;
using namespace tessera::driver;
using tessera::testing::driverInput;
using tessera::testing::driverTestPackage;
using tessera::testing::Gate;
using tessera::testing::gatedEngine;
using std::chrono::milliseconds;

namespace {

const package::Package& testPackage()
{
    static const package::Package pkg = driverTestPackage("m1076");
    return pkg;
}

Device openWith(EngineFactory engine, int maxInFlight = 8, milliseconds submitTimeout = milliseconds(-1))
{
    DeviceOptions o;
    o.engine = std::move(engine);
    o.maxInFlight = maxInFlight;
    o.submitTimeout = submitTimeout;
    Device dev = Device::open("sim:m1076", o);
    dev.load(testPackage(), "two_gemms.tpkg");
    return dev;
}

Inputs frameOf(const Device& dev, float value) { return {{dev.model().inputs[0].name, driverInput(value)}}; }

template <class Call>
ErrorCode errorOf(Call call)
{
    try {
        call();
    } catch (const DriverError& e) {
        return e.code();
    }
    return ErrorCode::BadHandle; // none thrown: fails every comparison below but bad_handle's
}

} // namespace

class TestDriverAsync : public QObject {
    Q_OBJECT
private slots:
    void timeoutNamesTheFrameAndItsStage()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate));
        const Frame first = dev.submit(frameOf(dev, 1)), second = dev.submit(frameOf(dev, 2));
        gate.waitEntered(1);
        try {
            dev.wait(second, milliseconds(20));
            QFAIL("wait on a queued frame returned");
        } catch (const TimeoutError& e) {
            QCOMPARE(e.frame(), uint64_t(2));
            QCOMPARE(e.stage(), FrameStage::Queued);
            QVERIFY2(std::string(e.what()) == "device sim:m1076: frame 2: no result after 20 ms, still queued "
                                               "(0 queued and 1 running ahead of it)", e.what());
        }
        try {
            dev.wait(first, milliseconds(5));
            QFAIL("wait on a running frame returned");
        } catch (const TimeoutError& e) {
            QCOMPARE(e.stage(), FrameStage::Running);
            QVERIFY2(std::string(e.what()).find("frame 1: no result after 5 ms, still running (for ") != std::string::npos,
                     e.what());
        }
        QCOMPARE(first.stage(), FrameStage::Running);
        gate.open();
        QCOMPARE(dev.wait(second, milliseconds(5000))[0].data<float>()[0], 4.0f); // 2 x input 2
        QCOMPARE(first.stage(), FrameStage::Done);
    }

    void boundsTheFramesInFlight()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate), 4, milliseconds(0));
        std::vector<Frame> frames;
        for (int i = 0; i < 4; ++i)
            frames.push_back(dev.submit(frameOf(dev, float(i))));
        QCOMPARE(dev.inFlight(), 4);
        try {
            dev.submit(frameOf(dev, 9));
            QFAIL("a fifth frame was accepted with maxInFlight 4");
        } catch (const DriverError& e) {
            QCOMPARE(e.code(), ErrorCode::QueueFull);
            QVERIFY2(std::string(e.what()).find("4 frames in flight, the limit (maxInFlight 4)") != std::string::npos,
                     e.what());
        }
        gate.open();
        for (const Frame& f : frames)
            dev.wait(f, milliseconds(5000));
        QCOMPARE(dev.inFlight(), 0);
        dev.submit(frameOf(dev, 9)); // slots freed
    }

    void submitTimeoutBoundsTheWaitForASlot()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate), 1, milliseconds(30));
        const Frame f = dev.submit(frameOf(dev, 1));
        const auto t0 = std::chrono::steady_clock::now();
        QCOMPARE(errorOf([&] { dev.submit(frameOf(dev, 2)); }), ErrorCode::QueueFull);
        QVERIFY(std::chrono::steady_clock::now() - t0 >= milliseconds(30));
        gate.open();
        dev.wait(f, milliseconds(5000));
    }

    // Default (negative submitTimeout): submit blocks until the worker frees a slot.
    void submitBlocksUntilASlotFrees()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate), 1);
        const Frame first = dev.submit(frameOf(dev, 1));
        std::atomic<bool> submitted{false};
        auto blocked = std::async(std::launch::async, [&] {
            Frame f = dev.submit(frameOf(dev, 2));
            submitted = true;
            return f;
        });
        QVERIFY(blocked.wait_for(milliseconds(50)) == std::future_status::timeout);
        QVERIFY(!submitted);
        gate.open();
        const Frame second = blocked.get();
        QCOMPARE(second.id(), uint64_t(2));
        QCOMPARE(dev.wait(second, milliseconds(5000))[0].data<float>()[0], 4.0f);
        QCOMPARE(dev.wait(first, milliseconds(5000))[0].data<float>()[0], 2.0f);
    }

    // Several threads submit at once; each frame's result equals its own blocking run, and
    // the worker ran them in frame-id order.
    void concurrentSubmittersGetTheirBlockingResults()
    {
        std::mutex orderMutex;
        std::vector<float> ranValues; // first input value of each frame, in execution order
        EngineFactory recording = [&](const package::Package&) {
            return [&](const std::vector<Tensor>& in, const sim::RunOptions&) {
                std::lock_guard lock(orderMutex);
                ranValues.push_back(in[0].data<float>()[0]);
                return testing::doubled(in);
            };
        };
        Device dev = openWith(recording, 4);
        constexpr int kThreads = 4, kFrames = 25;
        std::vector<std::vector<std::pair<Frame, float>>> submitted(kThreads);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < kFrames; ++i) {
                    const float value = float(t * 1000 + i);
                    submitted[t].emplace_back(dev.submit(frameOf(dev, value)), value);
                }
            });
        for (std::thread& t : threads)
            t.join();
        std::map<uint64_t, std::pair<float, Outputs>> byId;
        for (const auto& list : submitted)
            for (const auto& [frame, value] : list)
                byId[frame.id()] = {value, dev.wait(frame, milliseconds(10000))};
        QCOMPARE(byId.size(), size_t(kThreads * kFrames));
        std::vector<float> inIdOrder;
        for (const auto& [id, result] : byId)
            inIdOrder.push_back(result.first);
        {
            std::lock_guard lock(orderMutex);
            QCOMPARE(ranValues, inIdOrder);
        }
        for (const auto& [id, result] : byId) {
            const Outputs want = dev.run(frameOf(dev, result.first));
            QCOMPARE(result.second[0].numel(), want[0].numel());
            for (int64_t i = 0; i < want[0].numel(); ++i)
                QCOMPARE(result.second[0].data<float>()[i], want[0].data<float>()[i]);
        }
    }

    // Two workers: two frames are inside the engine at once (each waits on the gate, so one
    // worker alone could never let the second in), and both finish once it opens.
    void twoWorkersRunTwoFramesAtOnce()
    {
        Gate gate;
        DeviceOptions o;
        o.engine = gatedEngine(gate);
        o.workers = 2;
        Device dev = Device::open("sim:m1076", o);
        dev.load(testPackage(), "two_gemms.tpkg");
        const Frame a = dev.submit(frameOf(dev, 1)), b = dev.submit(frameOf(dev, 2)), c = dev.submit(frameOf(dev, 3));
        gate.waitEntered(2);
        QCOMPARE(a.stage(), FrameStage::Running);
        QCOMPARE(b.stage(), FrameStage::Running);
        QCOMPARE(c.stage(), FrameStage::Queued);
        gate.open();
        for (const Frame& f : {a, b, c})
            QCOMPARE(dev.wait(f, milliseconds(10000))[0].data<float>()[0], 2.0f * float(f.id()));
        o.workers = 0;
        QCOMPARE(errorOf([&] { Device::open("sim:m1076", o); }), ErrorCode::BadOptions);
    }

    // Each frame's own RunOptions reach the engine (run and submit); without them, the device's.
    void framesCarryTheirOwnRunOptions()
    {
        std::mutex m;
        std::vector<uint64_t> seeds;
        EngineFactory recording = [&](const package::Package&) {
            return [&](const std::vector<Tensor>& in, const sim::RunOptions& ro) {
                std::lock_guard lock(m);
                seeds.push_back(ro.seed);
                return testing::doubled(in);
            };
        };
        DeviceOptions o;
        o.engine = recording;
        o.run.seed = 5;
        Device dev = Device::open("sim:m1076", o);
        dev.load(testPackage(), "two_gemms.tpkg");
        sim::RunOptions own;
        own.seed = 9;
        dev.wait(dev.submit(frameOf(dev, 1), own), milliseconds(10000));
        dev.wait(dev.submit(frameOf(dev, 1)), milliseconds(10000));
        own.seed = 11;
        dev.run(frameOf(dev, 1), own);
        dev.run(frameOf(dev, 1));
        QCOMPARE(seeds, (std::vector<uint64_t>{9, 5, 11, 5}));
    }

    // close(): the running frame finishes, queued ones are cancelled, a blocked submitter
    // and a waiter are released; nothing hangs.
    void closeCancelsQueuedFramesAndFinishesTheRunningOne()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate), 3);
        const Frame running = dev.submit(frameOf(dev, 1));
        const Frame queued1 = dev.submit(frameOf(dev, 2)), queued2 = dev.submit(frameOf(dev, 3));
        gate.waitEntered(1);
        auto blockedSubmit = std::async(std::launch::async, [&] { return errorOf([&] { dev.submit(frameOf(dev, 4)); }); });
        auto waiter = std::async(std::launch::async, [&] { return errorOf([&] { dev.wait(queued2, milliseconds(60000)); }); });
        auto closing = std::async(std::launch::async, [&] { dev.close(); });
        QCOMPARE(blockedSubmit.get(), ErrorCode::DeviceClosed);
        QCOMPARE(waiter.get(), ErrorCode::Cancelled);
        QVERIFY(closing.wait_for(milliseconds(50)) == std::future_status::timeout); // frame 1 still running
        gate.open();
        closing.get();
        QCOMPARE(dev.wait(running, milliseconds(0))[0].data<float>()[0], 2.0f);
        try {
            dev.wait(queued1, milliseconds(0));
            QFAIL("a cancelled frame returned outputs");
        } catch (const FrameError& e) {
            QCOMPARE(e.code(), ErrorCode::Cancelled);
            QVERIFY2(std::string(e.what()) == "device sim:m1076: frame 2 cancelled: the device was closed before it ran",
                     e.what());
        }
        QCOMPARE(dev.inFlight(), 0);
    }

    void aFailingFrameNamesItselfAndTheCause()
    {
        EngineFactory failing = [](const package::Package&) {
            return [](const std::vector<Tensor>&, const sim::RunOptions&) -> Outputs { fail("ADC overflow"); };
        };
        Device dev = openWith(failing);
        const Frame f = dev.submit(frameOf(dev, 1));
        try {
            dev.wait(f, milliseconds(5000));
            QFAIL("a failed frame returned outputs");
        } catch (const FrameError& e) {
            QCOMPARE(e.code(), ErrorCode::ExecutionFailed);
            QCOMPARE(e.stage(), FrameStage::Failed);
            QVERIFY2(std::string(e.what()) == "device sim:m1076: frame 1 failed: ADC overflow", e.what());
        }
        dev.submit(frameOf(dev, 2)); // the worker survives a failed frame
    }

    void refusesHandlesItDidNotIssue()
    {
        Device a = openWith(testing::doublingEngine()), b = openWith(testing::doublingEngine());
        QCOMPARE(errorOf([&] { a.wait(Frame(), milliseconds(0)); }), ErrorCode::BadHandle);
        QCOMPARE(errorOf([&] { Frame().stage(); }), ErrorCode::BadHandle);
        const Frame fromB = b.submit(frameOf(b, 1));
        QCOMPARE(errorOf([&] { a.wait(fromB, milliseconds(0)); }), ErrorCode::BadHandle);
        QCOMPARE(b.wait(fromB, milliseconds(5000)).size(), size_t(1));
    }

    // Driver overhead per frame with an engine that only doubles its input (printed; the
    // bound is loose, for a loaded shared machine): docs/host-driver.md quotes it.
    void measuresTheQueueOverhead()
    {
        Device dev = openWith(testing::doublingEngine(), 8);
        const Inputs frame = frameOf(dev, 1);
        constexpr int kFrames = 20000;
        using Us = std::chrono::duration<double, std::micro>;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kFrames; ++i)
            dev.run(frame);
        auto t1 = std::chrono::steady_clock::now();
        std::deque<Frame> inFlight;
        for (int i = 0; i < kFrames; ++i) {
            if (inFlight.size() == 8) {
                dev.wait(inFlight.front(), milliseconds(5000));
                inFlight.pop_front();
            }
            inFlight.push_back(dev.submit(frame));
        }
        for (; !inFlight.empty(); inFlight.pop_front())
            dev.wait(inFlight.front(), milliseconds(5000));
        const double run = Us(t1 - t0).count() / kFrames, async = Us(std::chrono::steady_clock::now() - t1).count() / kFrames;
        qInfo("driver overhead: run %.2f us/frame, submit + wait %.2f us/frame (8 in flight)", run, async);
        QVERIFY(async < 1000.0);
    }

    // Frames submitted before load() replaced the model run on the model they were given to.
    void framesKeepTheirModelAcrossReload()
    {
        Gate gate;
        Device dev = openWith(gatedEngine(gate));
        const Frame f = dev.submit(frameOf(dev, 3));
        dev.unload();
        gate.open();
        QCOMPARE(dev.wait(f, milliseconds(5000))[0].data<float>()[0], 6.0f);
    }
};

QTEST_APPLESS_MAIN(TestDriverAsync)
#include "test_driver_async.moc"
