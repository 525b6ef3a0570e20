#pragma once
// Helpers shared by the NEON kernel sources (AArch64 Advanced SIMD only).
//
// The NEON level has two builds of its integer kernels (engine/CMakeLists.txt):
//   PARETO_DOTPROD=0  plain ARMv8.0-A (Cortex-A53/A72, e.g. Raspberry Pi 3/4): the
//                     float ops, the activation quantizers, every gemm;
//   PARETO_DOTPROD=1  ARMv8.2-A + the dot-product extension (SDOT; Cortex-A55/A76
//                     and later, Apple, Neoverse): the integer gemms again, put in the
//                     table over the plain ones when neon::has_dotprod() (HWCAP).
// Both compute the same exact integer sums, so they give bit-identical results.
//
// Everything here has internal linkage (an anonymous namespace): this header is
// compiled with and without +dotprod, and an inline function with external linkage
// could be merged by the linker into the copy that uses SDOT. For the same reason the
// kernel sources use no standard-library templates in their hot code.
#if !defined(__aarch64__)
#error "neon_common.h is for AArch64 only"
#endif

#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

#ifndef PARETO_DOTPROD
#define PARETO_DOTPROD 0
#endif
#if PARETO_DOTPROD && !defined(__ARM_FEATURE_DOTPROD)
#error "PARETO_DOTPROD=1 needs -march=armv8.2-a+dotprod"
#endif

namespace pareto {

struct KernelTable;

namespace kernel_registry {
// The +dotprod builds of neon_legacy.cpp / neon_kquants.cpp; the plain builds call
// them after their own registration when the CPU has SDOT.
void neon_dotprod_legacy(KernelTable& t);
void neon_dotprod_kquants(KernelTable& t);
}  // namespace kernel_registry

namespace neon {
namespace {

// The CPU implements SDOT/UDOT (FEAT_DotProd).
inline bool has_dotprod() {
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__ARM_FEATURE_DOTPROD)
    return true;
#else
    return false;
#endif
}

// acc (4 lanes) += the 16 products a[i] * b[i], in some grouping: only the sum of
// the four lanes is defined, and it is exact (the caller keeps it within int32).
inline int32x4_t dot_s8(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if PARETO_DOTPROD
    return vdotq_s32(acc, a, b);
#else
    // |a * b| <= 128 * 128 fits int16; pairs are added after widening to int32.
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

// [sum a, sum b, sum c, sum d] of four 4-lane accumulators.
inline int32x4_t reduce4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

inline float32x4_t zero_f32() { return vdupq_n_f32(0.0f); }
inline int32x4_t zero_s32() { return vdupq_n_s32(0); }

inline float hsum(float32x4_t v) { return vaddvq_f32(v); }

// Unaligned loads and stores, with the byte pointers the block formats give.
inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
inline uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}
inline float32x4_t load4_f32(const uint8_t* p) { return vreinterpretq_f32_u8(vld1q_u8(p)); }

// IEEE half -> float, exactly (FCVT: subnormals kept, NaN made quiet, as half.h).
inline float32x4_t half4_to_f32(const uint8_t* p) { return vcvt_f32_f16(vreinterpret_f16_u8(vld1_u8(p))); }
inline float32x4_t half4_to_f32(uint16x4_t h) { return vcvt_f32_f16(vreinterpret_f16_u16(h)); }
inline float half_to_f32(uint16_t h) { return vgetq_lane_f32(half4_to_f32(vdup_n_u16(h)), 0); }
inline float32x4_t bf16x4_to_f32(const uint8_t* p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_u8(vld1_u8(p)), 16));
}
inline float bf16_to_f32(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Stores the first `count` (1..4) lanes of v at y.
inline void store_lanes(float* y, float32x4_t v, int count) {
    if (count == 4) {
        vst1q_f32(y, v);
        return;
    }
    float tmp[4];
    vst1q_f32(tmp, v);
    for (int k = 0; k < count; ++k) y[k] = tmp[k];
}

// exp(x) for each lane, single precision, about 1 ulp (Cephes-style): x = n ln2 + r
// with |r| <= ln2 / 2 (ln2 split in two so n * C1 is exact), exp(r) by a degree-7
// polynomial, then the scale 2^n applied as two factors 2^(n/2) * 2^(n - n/2) so
// results underflow gradually to subnormals and zero (x below about -103.97) and
// overflow to infinity (above about 88.72), as std::exp does. NaN stays NaN.
inline float32x4_t exp_f32(float32x4_t x) {
    x = vminq_f32(x, vdupq_n_f32(89.0f));
    x = vmaxq_f32(x, vdupq_n_f32(-104.0f));
    const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
    // n is in [-150, 128]; each half is a normal power of two.
    const int32x4_t ni = vcvtq_s32_f32(n);
    const int32x4_t n1 = vshrq_n_s32(ni, 1);
    const int32x4_t n2 = vsubq_s32(ni, n1);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

}  // namespace
}  // namespace neon
}  // namespace pareto
