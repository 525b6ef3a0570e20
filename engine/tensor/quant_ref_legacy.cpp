// Reference conversions for the plain float types (F32, F16, BF16) and the legacy
// 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1), and the dispatch behind
// quantize_row_ref / dequantize_row_ref for every type with a reference.
//
// The legacy types are plain round-to-nearest: one scale (and for _1 types a min) per
// block, from the block's extreme values. What makes the bytes match llama.cpp is the
// details: which value sets the scale, that the scale is used as computed (in float)
// while only its f16 rounding is stored, and each type's own rounding expression.

// No fused multiply-add: ggml's reference is built without FMA on x86, so a*b+c must
// round twice here too (see quant_ref_impl.h). Before any include, so every function
// in this file gets the same setting.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

#include "tensor/half.h"
#include "tensor/quant.h"
#include "tensor/quant_ref_impl.h"
#include "util/error.h"

namespace pareto {
namespace quant_ref {
namespace {

// ---- helpers -----------------------------------------------------------------------

// The value of largest magnitude, with its sign; the first of equal magnitudes wins.
// The symmetric 4/5-bit types map it to the most negative level (-8 / -16), which
// has no positive counterpart, so the sign decides which end of the range is used.
float signed_absmax(const float* x) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
        const float a = std::fabs(x[j]);
        if (amax < a) {
            amax = a;
            max = x[j];
        }
    }
    return max;
}

// Written as ggml's MAX(amax, |x|) so that even a NaN propagates the same way.
float absmax(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) {
        const float a = std::fabs(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

struct Range {
    float min = FLT_MAX;
    float max = -FLT_MAX;
};

Range value_range(const float* x) {
    Range r;
    for (int j = 0; j < kQK; ++j) {
        if (x[j] < r.min) r.min = x[j];
        if (x[j] > r.max) r.max = x[j];
    }
    return r;
}

// C's roundf (nearest, ties away from zero), which ggml's 8-bit types use, unlike the
// ties-to-even nearest_int of the K types: 2.5 must give 3 here. Written out because
// a library call per value is slow; exact for |v| < 2^23 (v - trunc(v) is exact).
inline int round_half_away(float v) {
    int t = static_cast<int>(v);
    const float frac = v - static_cast<float>(t);
    if (frac >= 0.5f) ++t;
    else if (frac <= -0.5f) --t;
    return t;
}

// 1 / d, or 0 for an all-zero block, so every value quantizes to the zero level.
inline float inverse_or_zero(float d) { return d != 0.0f ? 1.0f / d : 0.0f; }

// The Q5 types: value j keeps its low 4 bits in a nibble of qs (as in Q4) and bit 4
// in bit j of qh, a little-endian 32-bit word.
void pack_q5(const int* q, uint8_t* qs, uint8_t* qh) {
    uint32_t high = 0;
    for (int j = 0; j < kQK; ++j) high |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    for (int j = 0; j < kQK / 2; ++j) qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | ((q[j + kQK / 2] & 0x0f) << 4));
    for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(high >> (8 * k));
}

void unpack_q5(const uint8_t* qs, const uint8_t* qh, int* q) {
    const uint32_t high = static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
                          static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
    for (int j = 0; j < kQK / 2; ++j) {
        q[j] = (qs[j] & 0x0f) | static_cast<int>(((high >> j) & 1u) << 4);
        q[j + kQK / 2] = (qs[j] >> 4) | static_cast<int>(((high >> (j + kQK / 2)) & 1u) << 4);
    }
}

// ---- quantize one block of 32 --------------------------------------------------------
// In the 4/5-bit types value j and value j + 16 share byte j (low / high nibble).

// The levels are d * (q - 8) with the block's extreme value at q = 0. ggml rounds by
// truncating x/d + 8.5 (round half up, not nearest-even) and clamps 16 to 15.
BlockQ4_0 quantize_block_q4_0(const float* x) {
    const float d = signed_absmax(x) / -8.0f;
    const float id = inverse_or_zero(d);
    BlockQ4_0 b{};
    b.d = f32_to_f16(d);
    for (int j = 0; j < kQK / 2; ++j) {
        const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
        const int q1 = std::min(15, static_cast<int>(x[j + kQK / 2] * id + 8.5f));
        b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    return b;
}

BlockQ4_1 quantize_block_q4_1(const float* x) {
    const Range r = value_range(x);
    const float d = (r.max - r.min) / 15.0f;
    const float id = inverse_or_zero(d);
    BlockQ4_1 b{};
    b.d = f32_to_f16(d);
    b.m = f32_to_f16(r.min);
    for (int j = 0; j < kQK / 2; ++j) {
        const int q0 = std::min(15, static_cast<int>((x[j] - r.min) * id + 0.5f));
        const int q1 = std::min(15, static_cast<int>((x[j + kQK / 2] - r.min) * id + 0.5f));
        b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    return b;
}

BlockQ5_0 quantize_block_q5_0(const float* x) {
    const float d = signed_absmax(x) / -16.0f;
    const float id = inverse_or_zero(d);
    BlockQ5_0 b{};
    b.d = f32_to_f16(d);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = std::min(31, static_cast<int>(x[j] * id + 16.5f));
    pack_q5(q, b.qs, b.qh);
    return b;
}

// Unlike Q4_1, ggml does not clamp here: (max - min) / d lands on 31 (never 32), and
// only 5 bits are kept either way.
BlockQ5_1 quantize_block_q5_1(const float* x) {
    const Range r = value_range(x);
    const float d = (r.max - r.min) / 31.0f;
    const float id = inverse_or_zero(d);
    BlockQ5_1 b{};
    b.d = f32_to_f16(d);
    b.m = f32_to_f16(r.min);
    int q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = static_cast<int>((x[j] - r.min) * id + 0.5f);
    pack_q5(q, b.qs, b.qh);
    return b;
}

BlockQ8_0 quantize_block_q8_0(const float* x) {
    const float d = absmax(x) / 127.0f;
    const float id = inverse_or_zero(d);
    BlockQ8_0 b{};
    b.d = f32_to_f16(d);
    for (int j = 0; j < kQK; ++j) b.qs[j] = static_cast<int8_t>(round_half_away(x[j] * id));
    return b;
}

// As Q8_0, plus s = d * sum(q) from the float d (not its f16 rounding).
BlockQ8_1 quantize_block_q8_1(const float* x) {
    const float d = absmax(x) / 127.0f;
    const float id = inverse_or_zero(d);
    BlockQ8_1 b{};
    b.d = f32_to_f16(d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
        b.qs[j] = static_cast<int8_t>(round_half_away(x[j] * id));
        sum += b.qs[j];
    }
    b.s = f32_to_f16(static_cast<float>(sum) * d);
    return b;
}

// ---- dequantize one block of 32 ------------------------------------------------------
// ggml's expressions: (float)q * d, plus m for the _1 types (a separate rounding).

void dequantize_block_q4_0(const BlockQ4_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>((b.qs[j] & 0x0f) - 8) * d;
        y[j + kQK / 2] = static_cast<float>((b.qs[j] >> 4) - 8) * d;
    }
}

void dequantize_block_q4_1(const BlockQ4_1& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>(b.qs[j] & 0x0f) * d + m;
        y[j + kQK / 2] = static_cast<float>(b.qs[j] >> 4) * d + m;
    }
}

void dequantize_block_q5_0(const BlockQ5_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    int q[kQK];
    unpack_q5(b.qs, b.qh, q);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(q[j] - 16) * d;
}

void dequantize_block_q5_1(const BlockQ5_1& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    int q[kQK];
    unpack_q5(b.qs, b.qh, q);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(q[j]) * d + m;
}

void dequantize_block_q8_0(const BlockQ8_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

// ggml has no Q8_1 dequantizer (Q8_1 only ever holds activations); this is the
// obvious one, the same expression as Q8_0's. s is redundant and ignored.
void dequantize_block_q8_1(const BlockQ8_1& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

// ---- rows ----------------------------------------------------------------------------

template <class Block, Block (*quantize_block)(const float*)>
void quantize_blocks(const float* src, uint8_t* dst, int64_t blocks) {
    for (int64_t i = 0; i < blocks; ++i) store_block(quantize_block(src + i * kQK), dst + i * sizeof(Block));
}

template <class Block, void (*dequantize_block)(const Block&, float*)>
void dequantize_blocks(const uint8_t* src, float* dst, int64_t blocks) {
    for (int64_t i = 0; i < blocks; ++i) dequantize_block(load_block<Block>(src + i * sizeof(Block)), dst + i * kQK);
}

// The plain types: a "block" is one value, stored little-endian.
void quantize_f32(const float* src, uint8_t* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }
void dequantize_f32(const uint8_t* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }

template <uint16_t (*to_half)(float)>
void quantize_half(const float* src, uint8_t* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = to_half(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
    }
}

// f16_to_f32, except that a signalling NaN comes out quiet (quiet bit set) the way
// ggml's conversion (and the F16C instruction) widens it, so F16 tensors dequantize
// to the same bits as in llama.cpp for every one of the 65536 patterns.
float f16_to_f32_quiet(uint16_t h) {
    float f = f16_to_f32(h);
    if (std::isnan(f)) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        bits |= 0x00400000u;
        std::memcpy(&f, &bits, 4);
    }
    return f;
}

template <float (*from_half)(uint16_t)>
void dequantize_half(const uint8_t* src, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = from_half(h);
    }
}

// ---- dispatch ------------------------------------------------------------------------

struct Codec {
    int64_t block_elems;
    QuantizeBlocksFn quantize;
    DequantizeBlocksFn dequantize;
};

const Codec* find_codec(DType type) {
    static constexpr Codec kF32{1, quantize_f32, dequantize_f32};
    static constexpr Codec kF16{1, quantize_half<f32_to_f16>, dequantize_half<f16_to_f32_quiet>};
    static constexpr Codec kBF16{1, quantize_half<f32_to_bf16>, dequantize_half<bf16_to_f32>};
    static constexpr Codec kQ4_0{kQK, quantize_blocks<BlockQ4_0, quantize_block_q4_0>,
                                 dequantize_blocks<BlockQ4_0, dequantize_block_q4_0>};
    static constexpr Codec kQ4_1{kQK, quantize_blocks<BlockQ4_1, quantize_block_q4_1>,
                                 dequantize_blocks<BlockQ4_1, dequantize_block_q4_1>};
    static constexpr Codec kQ5_0{kQK, quantize_blocks<BlockQ5_0, quantize_block_q5_0>,
                                 dequantize_blocks<BlockQ5_0, dequantize_block_q5_0>};
    static constexpr Codec kQ5_1{kQK, quantize_blocks<BlockQ5_1, quantize_block_q5_1>,
                                 dequantize_blocks<BlockQ5_1, dequantize_block_q5_1>};
    static constexpr Codec kQ8_0{kQK, quantize_blocks<BlockQ8_0, quantize_block_q8_0>,
                                 dequantize_blocks<BlockQ8_0, dequantize_block_q8_0>};
    static constexpr Codec kQ8_1{kQK, quantize_blocks<BlockQ8_1, quantize_block_q8_1>,
                                 dequantize_blocks<BlockQ8_1, dequantize_block_q8_1>};
    static constexpr Codec kQ2_K{kQK_K, quantize_q2_K, dequantize_q2_K};
    static constexpr Codec kQ3_K{kQK_K, quantize_q3_K, dequantize_q3_K};
    static constexpr Codec kQ4_K{kQK_K, quantize_q4_K, dequantize_q4_K};
    static constexpr Codec kQ5_K{kQK_K, quantize_q5_K, dequantize_q5_K};
    static constexpr Codec kQ6_K{kQK_K, quantize_q6_K, dequantize_q6_K};
    static constexpr Codec kQ8_K{kQK_K, quantize_q8_K, dequantize_q8_K};
    switch (type) {
        case DType::F32: return &kF32;
        case DType::F16: return &kF16;
        case DType::BF16: return &kBF16;
        case DType::Q4_0: return &kQ4_0;
        case DType::Q4_1: return &kQ4_1;
        case DType::Q5_0: return &kQ5_0;
        case DType::Q5_1: return &kQ5_1;
        case DType::Q8_0: return &kQ8_0;
        case DType::Q8_1: return &kQ8_1;
        case DType::Q2_K: return &kQ2_K;
        case DType::Q3_K: return &kQ3_K;
        case DType::Q4_K: return &kQ4_K;
        case DType::Q5_K: return &kQ5_K;
        case DType::Q6_K: return &kQ6_K;
        case DType::Q8_K: return &kQ8_K;
        default: return nullptr;
    }
}

std::string type_label(DType type) {
    const auto id = static_cast<uint32_t>(type);
    const auto info = dtype_info(id);
    return info ? std::string(info->name) : "type id " + std::to_string(id);
}

// The codec for `type`, after checking that n values make whole blocks of it.
const Codec& checked_codec(const char* operation, DType type, int64_t n) {
    const Codec* codec = find_codec(type);
    if (!codec) fail(std::string(operation) + ": no reference implementation for " + type_label(type));
    if (n < 0 || n % codec->block_elems != 0)
        fail(std::string(operation) + ": " + std::to_string(n) + " values of " + type_label(type) +
             " are not a whole number of " + std::to_string(codec->block_elems) + "-value blocks");
    return *codec;
}

}  // namespace
}  // namespace quant_ref

bool dtype_has_reference(DType type) { return quant_ref::find_codec(type) != nullptr; }

void dequantize_row_ref(DType type, const uint8_t* src, float* dst, int64_t n) {
    const auto& codec = quant_ref::checked_codec("dequantize_row_ref", type, n);
    if (n > 0) codec.dequantize(src, dst, n / codec.block_elems);
}

void quantize_row_ref(DType type, const float* src, uint8_t* dst, int64_t n) {
    const auto& codec = quant_ref::checked_codec("quantize_row_ref", type, n);
    if (n > 0) codec.quantize(src, dst, n / codec.block_elems);
}

}  // namespace pareto
