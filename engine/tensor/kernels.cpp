#include "tensor/kernels.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include "util/error.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace pareto {
namespace {

constexpr SimdLevel kAllLevels[] = {SimdLevel::Scalar, SimdLevel::AVX2, SimdLevel::AVX512,
                                    SimdLevel::AVX512_VNNI, SimdLevel::NEON};

#if defined(__x86_64__) || defined(_M_X64)
// CPUID directly: clang before 16 has no "f16c" for __builtin_cpu_supports. Asked
// once: in a virtual machine CPUID traps to the hypervisor, and kernels() is on
// every op's path (uncached, it made decode about 90x slower).
bool cpu_has_f16c() {
    static const bool has = [] {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
    }();
    return has;
}
#endif

bool cpu_has(SimdLevel level) {
    switch (level) {
        case SimdLevel::Scalar: return true;
#if defined(__x86_64__) || defined(_M_X64)
        case SimdLevel::AVX2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
        case SimdLevel::AVX512:
            return cpu_has(SimdLevel::AVX2) && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("avx512dq");
        case SimdLevel::AVX512_VNNI:
            return cpu_has(SimdLevel::AVX512) && __builtin_cpu_supports("avx512vnni");
#endif
#if defined(__aarch64__)
        case SimdLevel::NEON: return true;  // Advanced SIMD is mandatory on AArch64
#endif
        default: return false;
    }
}

KernelTable build(SimdLevel level) {
    namespace reg = kernel_registry;
    KernelTable t;
    t.level = level;
    reg::scalar_float(t);
    reg::scalar_legacy(t);
    reg::scalar_kquants(t);
#if defined(__x86_64__) || defined(_M_X64)
    if (level == SimdLevel::AVX2 || level == SimdLevel::AVX512 || level == SimdLevel::AVX512_VNNI) {
        reg::avx2_float(t);
        reg::avx2_legacy(t);
        reg::avx2_kquants(t);
    }
    if (level == SimdLevel::AVX512 || level == SimdLevel::AVX512_VNNI) {
        reg::avx512_float(t);
        reg::avx512_legacy(t);
        reg::avx512_kquants(t);
    }
    if (level == SimdLevel::AVX512_VNNI) {
        reg::avx512vnni_legacy(t);
        reg::avx512vnni_kquants(t);
    }
#endif
#if defined(__aarch64__)
    if (level == SimdLevel::NEON) {
        reg::neon_float(t);
        reg::neon_legacy(t);
        reg::neon_kquants(t);
    }
#endif
    return t;
}

SimdLevel level_from_env() {
    const char* env = std::getenv("PARETO_SIMD");
    if (!env || !*env) return simd_best();
    for (SimdLevel l : kAllLevels)
        if (simd_name(l) == env) {
            if (!simd_supported(l))
                fail("PARETO_SIMD=" + std::string(env) + " is not supported by this CPU or build");
            return l;
        }
    fail("PARETO_SIMD=" + std::string(env) + " is unknown (scalar, avx2, avx512, avx512vnni, neon)");
}

}  // namespace

void kernel_registry::scratch_allocation_failed(size_t bytes) {
    fail("cannot allocate " + std::to_string(bytes) + " bytes of kernel scratch: out of memory");
}

std::string_view simd_name(SimdLevel level) {
    switch (level) {
        case SimdLevel::Scalar: return "scalar";
        case SimdLevel::AVX2: return "avx2";
        case SimdLevel::AVX512: return "avx512";
        case SimdLevel::AVX512_VNNI: return "avx512vnni";
        case SimdLevel::NEON: return "neon";
    }
    return "unknown";
}

bool simd_supported(SimdLevel level) { return cpu_has(level); }

SimdLevel simd_best() {
    SimdLevel best = SimdLevel::Scalar;
    for (SimdLevel l : kAllLevels)
        if (cpu_has(l)) best = l;  // levels are listed from least to most capable
    return best;
}

ActFormat act_format(DType weight) {
    switch (weight) {
        case DType::F32: case DType::F16: case DType::BF16: return ActFormat::F32;
        case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: case DType::Q8_0:
            return ActFormat::Q8A;
        case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
            return ActFormat::Q8K;
        default:
            fail("no compute kernels for tensor type " + std::string(dtype_name(weight)));
    }
}

int64_t act_block_elems(ActFormat fmt) {
    switch (fmt) {
        case ActFormat::F32: return 1;
        case ActFormat::Q8A: return 32;
        case ActFormat::Q8K: return 256;
    }
    return 1;
}

size_t act_row_bytes(ActFormat fmt, int64_t n) {
    switch (fmt) {
        case ActFormat::F32: return static_cast<size_t>(n) * sizeof(float);
        case ActFormat::Q8A: return static_cast<size_t>(n / 32) * sizeof(BlockQ8A);
        case ActFormat::Q8K: return static_cast<size_t>(n / 256) * 292;
    }
    return 0;
}

GemmFn KernelTable::gemm_for(DType type) const {
    const auto id = static_cast<uint32_t>(type);
    if (id >= gemm.size() || !gemm[id])
        fail("no " + std::string(simd_name(level)) + " kernel for tensor type " + std::string(dtype_name(type)));
    return gemm[id];
}

const KernelTable& kernels(SimdLevel level) {
    static KernelTable tables[std::size(kAllLevels)];
    static std::once_flag once[std::size(kAllLevels)];
    const auto i = static_cast<size_t>(level);
    if (i >= std::size(kAllLevels)) fail("unknown SIMD level");
    if (!simd_supported(level))
        fail("SIMD level " + std::string(simd_name(level)) + " is not supported by this CPU or build");
    std::call_once(once[i], [&] { tables[i] = build(level); });
    return tables[i];
}

const KernelTable& kernels() {
    static const SimdLevel chosen = level_from_env();
    return kernels(chosen);
}

}  // namespace pareto
