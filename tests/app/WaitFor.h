#pragma once
// Offscreen studio tests: process events until `done` holds (background jobs report
// through queued signals), at most `timeoutMs`.
#include <QElapsedTimer>
#include <QtTest>

#include <functional>

namespace tessera::studio::testing {

inline bool waitFor(const std::function<bool()>& done, int timeoutMs = 60000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return done();
}

} // namespace tessera::studio::testing
