#include "core/Parallel.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera {

namespace {

thread_local bool t_insideParallel = false;

// Workers sleep until a new job generation; worker i runs chunk i + 1 of the job.
class ThreadPool {
public:
    ~ThreadPool() { resize(1); }

    int size() const { return static_cast<int>(m_workers.size()) + 1; }

    void resize(int threads)
    {
        std::lock_guard<std::mutex> use(m_useMutex);
        stopWorkers();
        // New workers wait for the next job, not the last one.
        for (int i = 1; i < threads; ++i)
            m_workers.emplace_back([this, i, seen = m_generation] { workerLoop(i, seen); });
    }

    // Runs chunk(0..count-1) with chunk 0 on the caller; false when the pool is busy.
    bool run(int count, const std::function<void(int)>& chunk)
    {
        std::unique_lock<std::mutex> use(m_useMutex, std::try_to_lock);
        if (!use.owns_lock())
            return false;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_chunk = &chunk;
            m_count = count;
            m_pending = count - 1;
            m_error = nullptr;
            ++m_generation;
        }
        m_wake.notify_all();
        runChunk(chunk, 0);
        std::unique_lock<std::mutex> lock(m_mutex);
        m_done.wait(lock, [this] { return m_pending == 0; });
        m_chunk = nullptr;
        if (m_error)
            std::rethrow_exception(m_error);
        return true;
    }

private:
    void runChunk(const std::function<void(int)>& chunk, int index)
    {
        t_insideParallel = true;
        try {
            chunk(index);
        } catch (...) {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_error)
                m_error = std::current_exception();
        }
        t_insideParallel = false;
    }

    void workerLoop(int index, uint64_t seen)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop)
                return;
            seen = m_generation;
            if (index >= m_count)
                continue;
            const std::function<void(int)>* chunk = m_chunk;
            lock.unlock();
            runChunk(*chunk, index);
            lock.lock();
            if (--m_pending == 0)
                m_done.notify_one();
        }
    }

    void stopWorkers()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (std::thread& t : m_workers)
            t.join();
        m_workers.clear();
        m_stop = false;
    }

    std::mutex m_useMutex; // one job at a time
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    std::vector<std::thread> m_workers;
    const std::function<void(int)>* m_chunk = nullptr;
    int m_count = 0, m_pending = 0;
    uint64_t m_generation = 0;
    bool m_stop = false;
    std::exception_ptr m_error;
};

ThreadPool& pool()
{
    static ThreadPool instance;
    return instance;
}

} // namespace

void setThreadCount(int count)
{
    if (count <= 0)
        count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (count != pool().size())
        pool().resize(count);
}

int threadCount() { return pool().size(); }

void parallelFor(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn)
{
    if (end <= begin)
        return;
    grain = std::max<int64_t>(1, grain);
    const int64_t units = (end - begin + grain - 1) / grain;
    const int64_t chunks = std::min<int64_t>(units, t_insideParallel ? 1 : threadCount());
    if (chunks <= 1)
        return fn(begin, end);
    // Chunk c covers units [c * units / chunks, (c + 1) * units / chunks).
    auto bound = [&](int64_t c) { return std::min(end, begin + (c * units / chunks) * grain); };
    const std::function<void(int)> chunk = [&](int c) { fn(bound(c), bound(c + 1)); };
    if (!pool().run(static_cast<int>(chunks), chunk))
        fn(begin, end);
}

} // namespace tessera
