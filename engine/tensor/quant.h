#pragma once
// Quantized block layouts, bit-compatible with GGUF (ggml), and the scalar
// reference conversions between them and float. The reference is the truth: every
// SIMD kernel is tested against it, and quantize_row_ref writes the same bytes as
// llama.cpp's reference (round-to-nearest) quantizer for the same input.
//
// Scales are IEEE half (uint16_t bits) unless noted. "q" values are the quantized
// integers; a block of the K family covers 256 values in 8 or 16 sub-blocks.
#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace pareto {

inline constexpr int kQK = 32;    // values per block, legacy types
inline constexpr int kQK_K = 256; // values per super-block, K types

struct BlockQ4_0 {            // x = d * (q - 8), q in [0, 15]
    uint16_t d;
    uint8_t qs[kQK / 2];      // value j in the low nibble of qs[j], value j+16 in the high nibble
};
struct BlockQ4_1 {            // x = d * q + m
    uint16_t d, m;
    uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {            // x = d * (q - 16), q in [0, 31]; bit 4 of value j is bit j of qh
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {            // x = d * q + m
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {            // x = d * q
    uint16_t d;
    int8_t qs[kQK];
};
struct BlockQ8_1 {            // x = d * q; s = d * sum(q)
    uint16_t d, s;
    int8_t qs[kQK];
};

struct BlockQ2_K {            // 16 sub-blocks of 16: x = d * sc * q - dmin * m, q in [0, 3]
    uint8_t scales[kQK_K / 16];  // low nibble: scale, high nibble: min
    uint8_t qs[kQK_K / 4];
    uint16_t d, dmin;
};
struct BlockQ3_K {            // 16 sub-blocks of 16: x = d * (sc - 32) * (q - 4 * !hbit), q in [0, 7]
    uint8_t hmask[kQK_K / 8];
    uint8_t qs[kQK_K / 4];
    uint8_t scales[12];       // 16 six-bit scales, packed
    uint16_t d;
};
struct BlockQ4_K {            // 8 sub-blocks of 32: x = d * sc * q - dmin * m, q in [0, 15]
    uint16_t d, dmin;
    uint8_t scales[12];       // 8 six-bit scales and 8 six-bit mins, packed
    uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {            // as Q4_K with a fifth bit per value in qh
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[kQK_K / 8];
    uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {            // 16 sub-blocks of 16: x = d * sc * (q - 32), q in [0, 63]
    uint8_t ql[kQK_K / 2];
    uint8_t qh[kQK_K / 4];
    int8_t scales[kQK_K / 16];
    uint16_t d;
};
struct BlockQ8_K {            // activations for K-type dot products: x = d * q
    float d;
    int8_t qs[kQK_K];
    int16_t bsums[kQK_K / 16];  // sum of q per 16 values
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// Types with a reference quantizer and dequantizer here: F32, F16, BF16, Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
bool dtype_has_reference(DType type);

// n must be a multiple of the type's block size; throws pareto::Error otherwise or
// for a type without a reference.
void dequantize_row_ref(DType type, const uint8_t* src, float* dst, int64_t n);
void quantize_row_ref(DType type, const float* src, uint8_t* dst, int64_t n);

}  // namespace pareto
