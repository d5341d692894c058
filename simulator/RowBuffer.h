#pragma once
// The interpreter's batch buffers (internal to the simulator, simulator/Interpreter.cpp):
// scratch memory written before it is read, and a layer's [V, N] rows for every frame of a
// batch with lazily written zeros.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::sim {

// A buffer that is written before it is read: no zero fill.
template <class T>
struct Scratch {
    std::unique_ptr<T[]> data;
    size_t size = 0;
    T* reserve(size_t n)
    {
        if (n > size) {
            data.reset(new T[n]);
            size = n;
        }
        return data.get();
    }
};

// Rows [lo, hi) of a layer's [V, N] buffer for every frame of the batch: a tile holds only
// the vectors it works on (a replica's share), the layer's home tile all of them.
// Rows are 0 until written, but the zeros are written lazily: a row is "pending" (0, not yet
// stored) until settle() stores them just before a read, or a full overwrite (wrote()) makes
// them unnecessary. So CLEAR and a growing window cost no pass over memory.
template <class T>
struct RowBuffer {
    int64_t lo = 0, hi = 0, width = 0, frames = 0;
    std::unique_ptr<T[]> data; // [frames][hi - lo][width]
    std::vector<char> pending; // per row of the window: 0 not yet stored

    bool empty() const { return !data; }
    T* row(int64_t f, int64_t v) { return data.get() + (f * (hi - lo) + v - lo) * width; }
    bool covers(int64_t v0, int64_t count) const { return !empty() && v0 >= lo && v0 + count <= hi; }
    // Grows the window to hold rows [v0, v0 + count), new rows 0 (pending): first to exactly
    // those rows (a replica's share), on any later growth to the whole frame [0, vectors), so
    // a home tile receiving every replica's rows grows once, not once per replica.
    void cover(int64_t v0, int64_t count, int64_t w, int64_t f, int64_t vectors)
    {
        if (covers(v0, count))
            return;
        const int64_t nlo = empty() ? v0 : 0, nhi = empty() ? v0 + count : vectors;
        std::unique_ptr<T[]> next(new T[static_cast<size_t>(f * (nhi - nlo) * w)]);
        std::vector<char> nextPending(static_cast<size_t>(nhi - nlo), 1);
        for (int64_t fr = 0; fr < frames && !empty(); ++fr)
            std::copy(row(fr, lo), row(fr, lo) + (hi - lo) * w, next.get() + (fr * (nhi - nlo) + lo - nlo) * w);
        if (!empty())
            std::copy(pending.begin(), pending.end(), nextPending.begin() + (lo - nlo));
        data = std::move(next);
        pending = std::move(nextPending);
        lo = nlo;
        hi = nhi;
        width = w;
        frames = f;
    }
    // Rows [v0, v0 + count) become 0 again (CLEAR).
    void zero(int64_t v0, int64_t count) { std::fill_n(pending.begin() + (v0 - lo), count, char{1}); }
    // Stores the pending zeros of rows [v0, v0 + count) for frames [f0, f1) (the rows stay pending
    // for the others); settle() does all frames and marks the rows stored.
    void settleFrames(int64_t v0, int64_t count, int64_t f0, int64_t f1)
    {
        for (int64_t v = v0; v < v0 + count; ++v)
            if (pending[v - lo])
                for (int64_t f = f0; f < f1; ++f)
                    std::fill_n(row(f, v), width, T{0});
    }
    void settle(int64_t v0, int64_t count)
    {
        settleFrames(v0, count, 0, frames);
        wrote(v0, count);
    }
    void wrote(int64_t v0, int64_t count) { std::fill_n(pending.begin() + (v0 - lo), count, char{0}); }
    bool allPending(int64_t v0, int64_t count) const
    {
        return std::all_of(pending.begin() + (v0 - lo), pending.begin() + (v0 - lo + count), [](char p) { return p != 0; });
    }
};

} // namespace tessera::sim
