#pragma once
// What the running CPU (and its OS) can execute, asked once at run time, so the compute
// kernels can pick an ISA path while the binary itself stays plain x86-64.
namespace tessera::kernels {

struct CpuFeatures {
    bool avx2 = false;
    bool avx512f = false;
    bool avx512bw = false;
    bool avx512vnni = false; // vpdpbusd on zmm registers
};

// Detected once (cpuid via __builtin_cpu_supports, which also checks that the OS saves the
// vector state); all false on non-x86 builds.
const CpuFeatures& cpuFeatures();

} // namespace tessera::kernels
