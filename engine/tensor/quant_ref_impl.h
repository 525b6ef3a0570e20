#pragma once
// Private to the reference quantizers (quant_ref_legacy.cpp, quant_ref_kquants.cpp):
// the per-type block codecs behind quantize_row_ref / dequantize_row_ref and the
// rounding and block-access helpers they share.
//
// Byte compatibility with llama.cpp rests on doing the same float operations in the
// same order. Two things outside the code could still change the results:
//  - contraction of a*b+c into a fused multiply-add (GCC contracts by default in C++
//    whenever the target has FMA: aarch64, or x86 with -mfma / -march=native). The
//    .cpp files switch it off with a pragma before including anything;
//  - -ffast-math style reassociation, which the build never enables.
#include <cstdint>
#include <cstring>

#include "tensor/half.h"
#include "tensor/quant.h"

namespace pareto::quant_ref {

// Rounds to nearest, ties to even, the way ggml's K-quant code does: adding 1.5 * 2^23
// leaves no fraction bits in the sum, so the FPU's round-to-nearest-even rounds, and
// the integer is read back from the low mantissa bits. Ties (x.5) go to the even
// neighbour, unlike std::round, so std::round / lround here would change bytes. Exact
// for |v| < 2^22; beyond that the result is garbage, but the same garbage as ggml's.
inline int nearest_int(float v) {
    const float biased = v + 12582912.0f;
    uint32_t bits;
    std::memcpy(&bits, &biased, sizeof bits);
    return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}

// Blocks are read and written through memcpy so callers may pass any byte pointer
// (tensor data in a mapped file, a row at an odd offset in a buffer): no alignment
// requirement and no type-punning of the caller's storage. Compilers turn the copies
// into plain loads and stores.
template <class Block>
inline Block load_block(const uint8_t* src) {
    Block b;
    std::memcpy(&b, src, sizeof b);
    return b;
}

template <class Block>
inline void store_block(const Block& b, uint8_t* dst) {
    std::memcpy(dst, &b, sizeof b);
}

// Codecs for whole rows of `blocks` blocks. Arguments are already validated.
using QuantizeBlocksFn = void (*)(const float* src, uint8_t* dst, int64_t blocks);
using DequantizeBlocksFn = void (*)(const uint8_t* src, float* dst, int64_t blocks);

void quantize_q2_K(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q3_K(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q4_K(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q5_K(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q6_K(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q8_K(const float* src, uint8_t* dst, int64_t blocks);

void dequantize_q2_K(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q3_K(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q4_K(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q5_K(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q6_K(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q8_K(const uint8_t* src, float* dst, int64_t blocks);

}  // namespace pareto::quant_ref
