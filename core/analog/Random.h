#pragma once
// A small, fully specified random generator for the non-ideality models. std::mt19937 is
// portable but std::normal_distribution is not (each standard library draws differently),
// so the quantizer and the simulator would disagree; this generator is defined here once:
// SplitMix64 for the bits, Box-Muller (one value per two draws) for normals.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace tessera::analog {

class Random {
public:
    explicit Random(uint64_t seed) : m_state(seed) {}

    // Combines seeds and salts (layer index, row block, call counter) into one seed.
    static uint64_t mix(uint64_t a, uint64_t b)
    {
        uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
        return finalize(z);
    }

    // Counter-based draws: a value as a pure function of its key, with no stream state, so
    // any executor that computes the draws of a block in any order, on any tile, in any
    // batch split, draws the same values (the simulator relies on it). Keys are built
    // with key() from (seed, layer, kind, row block, column, ...).
    static uint64_t key(std::initializer_list<uint64_t> parts)
    {
        uint64_t k = 0x243f6a8885a308d3ULL; // pi
        for (uint64_t p : parts)
            k = mix(k, p);
        return k;
    }
    // Standard normal N(0, 1) of `key`: Box-Muller on two uniforms drawn from the key.
    static double normalAt(uint64_t key)
    {
        Random r(key);
        return r.normal();
    }
    // A 64-bit key of a name (FNV-1a): layers are keyed by name, not by list position.
    static uint64_t nameKey(const std::string& name)
    {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (unsigned char c : name)
            h = (h ^ c) * 0x100000001b3ULL;
        return h;
    }

    uint64_t nextU64()
    {
        m_state += 0x9e3779b97f4a7c15ULL;
        return finalize(m_state);
    }
    // Uniform in (0, 1): 53 random bits, never exactly 0 (log() below stays finite).
    double uniform() { return (static_cast<double>(nextU64() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    // Standard normal N(0, 1).
    double normal()
    {
        const double u1 = uniform();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
    }

private:
    static uint64_t finalize(uint64_t z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t m_state;
};

} // namespace tessera::analog
