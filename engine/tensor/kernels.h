#pragma once
// Compute kernels with runtime dispatch. One KernelTable per SIMD level holds, for
// each weight type, the matrix product against activations in that type's partner
// format, the activation quantizers, and the vectorized float ops. kernels() picks
// the best level this CPU supports (CPUID / HWCAP), or the one named by the
// PARETO_SIMD environment variable (scalar, avx2, avx512, avx512vnni, neon) so tests
// can force every path. The scalar table is the reference.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensor/dtype.h"

namespace pareto {

enum class SimdLevel { Scalar, AVX2, AVX512, AVX512_VNNI, NEON };
std::string_view simd_name(SimdLevel level);
bool simd_supported(SimdLevel level);  // by this CPU and this build
SimdLevel simd_best();                 // the best supported level

// How activations are given to a weight type's kernel:
//   F32  — plain floats (F32, F16, BF16 weights);
//   Q8A  — blocks of 32 int8 with a float scale and the scaled sum (legacy types);
//   Q8K  — BlockQ8_K, 256 int8 with a float scale and 16 partial sums (K types).
enum class ActFormat { F32, Q8A, Q8K };

struct BlockQ8A {  // x = d * q; s = d * sum(q) (for types with an offset or a min)
    float d;
    float s;
    int8_t qs[32];
};
static_assert(sizeof(BlockQ8A) == 40);

ActFormat act_format(DType weight);            // throws for types without kernels
size_t act_row_bytes(ActFormat fmt, int64_t n);  // bytes of n activations in fmt
int64_t act_block_elems(ActFormat fmt);

// y[t * y_stride + r] = sum_i W[r, i] * A[t, i] for r < n_rows, t < n_tok, where row r
// of W starts at w + r * w_stride (n values of the weight type) and row t of the
// activations at a + t * a_stride (n values in act_format(type)). n is a multiple of
// the weight type's block size.
using GemmFn = void (*)(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                        size_t a_stride, int64_t n_tok, float* y, int64_t y_stride);
// Converts n floats (a multiple of the format's block) to the activation format.
using QuantizeActFn = void (*)(const float* x, uint8_t* out, int64_t n);

struct FloatKernels {
    float (*dot)(const float* a, const float* b, int64_t n) = nullptr;
    void (*axpy)(float alpha, const float* x, float* y, int64_t n) = nullptr;    // y += alpha x
    void (*scale)(float alpha, float* x, int64_t n) = nullptr;                   // x *= alpha
    void (*add)(const float* x, float* y, int64_t n) = nullptr;                   // y += x
    float (*sum_squares)(const float* x, int64_t n) = nullptr;
    void (*mul)(const float* x, const float* w, float alpha, float* out, int64_t n) = nullptr;  // out = x*w*alpha
    void (*swiglu)(const float* gate, const float* up, float* out, int64_t n) = nullptr;        // silu(g)*u
    float (*max)(const float* x, int64_t n) = nullptr;
    float (*exp_sum)(float* x, float shift, int64_t n) = nullptr;  // x = exp(x - shift), returns the sum
    // RoPE on one head of 2*half rotated values with angles' cos/sin [half]:
    // pairs (v[2i], v[2i+1]) ("normal", GGUF llama) or (v[i], v[i+half]) (NeoX).
    void (*rope_pairs)(float* v, const float* cos, const float* sin, int64_t half) = nullptr;
    void (*rope_halves)(float* v, const float* cos, const float* sin, int64_t half) = nullptr;
};

struct KernelTable {
    SimdLevel level = SimdLevel::Scalar;
    std::array<GemmFn, 64> gemm{};                // by GGUF type id; null: no kernel
    std::array<QuantizeActFn, 3> quantize_act{};  // by ActFormat (F32's is a copy)
    FloatKernels f;

    GemmFn gemm_for(DType type) const;            // throws when there is none
};

const KernelTable& kernels();                    // PARETO_SIMD or the best level
const KernelTable& kernels(SimdLevel level);     // throws when not supported here

// Registration: each kernel source file fills in the entries it implements. The
// table of a level is built as scalar, then each level it includes, in order.
namespace kernel_registry {
void scalar_float(KernelTable& t);
void scalar_legacy(KernelTable& t);   // F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; Q8A quantizer
void scalar_kquants(KernelTable& t);  // Q2_K .. Q6_K; Q8K quantizer
#if defined(__x86_64__) || defined(_M_X64)
void avx2_float(KernelTable& t);
void avx2_legacy(KernelTable& t);
void avx2_kquants(KernelTable& t);
void avx512_float(KernelTable& t);
void avx512_legacy(KernelTable& t);
void avx512_kquants(KernelTable& t);
void avx512vnni_legacy(KernelTable& t);   // the avx512 sources built again with VNNI
void avx512vnni_kquants(KernelTable& t);
#endif
#if defined(__aarch64__)
void neon_float(KernelTable& t);
void neon_legacy(KernelTable& t);
void neon_kquants(KernelTable& t);
#endif

// Throws the error for kernel scratch that cannot be allocated. Out of line, in
// baseline code: a throw in a SIMD source would emit the exception's inline
// constructor there, a weak symbol the linker may keep for every caller
// (tests/build/check_isa_objects.sh).
[[noreturn]] void scratch_allocation_failed(size_t bytes);
}  // namespace kernel_registry

}  // namespace pareto
