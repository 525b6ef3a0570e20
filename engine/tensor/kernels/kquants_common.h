#pragma once
// Private to the K-quant kernels (scalar_kquants.cpp, avx2_kquants.cpp,
// avx512_kquants.cpp): the block formats written out once as plain integer code.
//
// Every K type is decoded into one common form per 256-value block:
//   q[i]   unsigned quantized value, natural order (0..3, 0..7, 0..15, 0..31, 0..63)
//   sc[j]  integer scale of values 16j..16j+15 (the 32-value scales of Q4_K/Q5_K twice)
//   mn[j]  integer min of values 16j..16j+15 (Q2_K, Q4_K, Q5_K; else 0)
//   off    integer offset of q (Q3_K: 4, Q6_K: 32; else 0)
//   d, dmin the block's float scales
// so that value i = d * sc[j] * (q[i] - off) - dmin * mn[j]. Against a Q8_K block
// (x = da * a) the dot product is, with bsum[j] = sum of a over values 16j..16j+15,
//   da * (d * isum - dmin * imin),
//   isum = sum_j sc[j] * (sum_{i in j} q[i] a[i] - off * bsum[j]),  imin = sum_j mn[j] * bsum[j]
// both exact in int32 for any int8 a (|isum| < 2^28).
//
// Everything here has internal linkage (anonymous namespace): the SIMD sources are
// compiled with other -m flags, and an inline function with external linkage could be
// merged by the linker into a copy that uses instructions the CPU lacks.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "tensor/kernels.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

struct KDecoded {
    uint8_t q[kQK_K];
    int32_t sc[16];
    int32_t mn[16];
    int32_t off;
    float d, dmin;
};

// f16 bits to float without half.h's external-linkage inline functions (see above).
inline float kq_f16(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {
        exp = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes. Sub-blocks 0..3 keep
// theirs in the low 6 bits of bytes 0..3 (scale) and 4..7 (min); sub-blocks 4..7 take
// the low and high nibble of bytes 8..11 plus the top 2 bits of bytes 0..3 / 4..7.
inline void kq_scales_k4(const uint8_t* s, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = static_cast<uint8_t>((s[j + 8] & 0xF) | ((s[j] >> 6) << 4));
        mn[j + 4] = static_cast<uint8_t>((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

// Q3_K: 16 six-bit scales (stored + 32) in 12 bytes: the low nibbles in bytes 0..7
// (scale j < 8 low nibble of byte j, j >= 8 high nibble of byte j - 8), the high two
// bits in bytes 8..11 (scale j: bits 2*(j/4).. of byte 8 + j%4). Returns sc - 32.
inline void kq_scales_q3(const uint8_t* s, int32_t sc[16]) {
    for (int j = 0; j < 16; ++j) {
        const int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
        const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        sc[j] = (lo | (hi << 4)) - 32;
    }
}

inline void kq_decode_q2_K(const BlockQ2_K& b, KDecoded& o) {
    for (int h = 0; h < 2; ++h)
        for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 32; ++l) o.q[128 * h + 32 * j + l] = (b.qs[32 * h + l] >> (2 * j)) & 3;
    for (int j = 0; j < 16; ++j) {
        o.sc[j] = b.scales[j] & 0xF;
        o.mn[j] = b.scales[j] >> 4;
    }
    o.off = 0;
    o.d = kq_f16(b.d);
    o.dmin = kq_f16(b.dmin);
}

inline void kq_decode_q3_K(const BlockQ3_K& b, KDecoded& o) {
    for (int h = 0; h < 2; ++h)
        for (int j = 0; j < 4; ++j)
            for (int l = 0; l < 32; ++l) {
                const int low = (b.qs[32 * h + l] >> (2 * j)) & 3;
                const int high = (b.hmask[l] >> (4 * h + j)) & 1;
                o.q[128 * h + 32 * j + l] = static_cast<uint8_t>(low | (high << 2));
            }
    kq_scales_q3(b.scales, o.sc);
    for (int j = 0; j < 16; ++j) o.mn[j] = 0;
    o.off = 4;
    o.d = kq_f16(b.d);
    o.dmin = 0.0f;
}

inline void kq_decode_q4_K(const BlockQ4_K& b, KDecoded& o) {
    for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
            o.q[64 * g + l] = b.qs[32 * g + l] & 0xF;
            o.q[64 * g + 32 + l] = b.qs[32 * g + l] >> 4;
        }
    uint8_t sc[8], mn[8];
    kq_scales_k4(b.scales, sc, mn);
    for (int j = 0; j < 16; ++j) {
        o.sc[j] = sc[j / 2];
        o.mn[j] = mn[j / 2];
    }
    o.off = 0;
    o.d = kq_f16(b.d);
    o.dmin = kq_f16(b.dmin);
}

inline void kq_decode_q5_K(const BlockQ5_K& b, KDecoded& o) {
    for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
            const int h = b.qh[l];
            o.q[64 * g + l] = static_cast<uint8_t>((b.qs[32 * g + l] & 0xF) | (((h >> (2 * g)) & 1) << 4));
            o.q[64 * g + 32 + l] = static_cast<uint8_t>((b.qs[32 * g + l] >> 4) | (((h >> (2 * g + 1)) & 1) << 4));
        }
    uint8_t sc[8], mn[8];
    kq_scales_k4(b.scales, sc, mn);
    for (int j = 0; j < 16; ++j) {
        o.sc[j] = sc[j / 2];
        o.mn[j] = mn[j / 2];
    }
    o.off = 0;
    o.d = kq_f16(b.d);
    o.dmin = kq_f16(b.dmin);
}

inline void kq_decode_q6_K(const BlockQ6_K& b, KDecoded& o) {
    for (int h = 0; h < 2; ++h) {
        const uint8_t* ql = b.ql + 64 * h;
        const uint8_t* qh = b.qh + 32 * h;
        uint8_t* q = o.q + 128 * h;
        for (int l = 0; l < 32; ++l) {
            q[l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
            q[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            q[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            q[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
    }
    for (int j = 0; j < 16; ++j) {
        o.sc[j] = b.scales[j];
        o.mn[j] = 0;
    }
    o.off = 32;
    o.d = kq_f16(b.d);
    o.dmin = 0.0f;
}

// Q8_K activation quantizer, shared rounding contract of every level: per block of 256,
// amax = max |x|, d = amax / 127, q = round-half-to-even(x * (127 / amax)) clamped to
// [-127, 127] (a NaN product gives -127; inputs are meant to be finite), all in float;
// an all-zero block gives d = 0 and q = 0. bsums[j] = sum of q[16j..16j+15].
inline float kq_q8k_inv(float amax) { return amax != 0.0f ? 127.0f / amax : 0.0f; }


// Natural value index at kernel-order position p. The AVX-512 kernels read Q4_K/Q5_K
// nibbles 64 bytes at a time, which puts the 32-value quarters of each 128 in the
// order 0, 2, 1, 3 ("perm"); activations are permuted the same way.
constexpr int kq_value_at(bool perm, int p) {
    if (!perm) return p;
    const int blk = (p & 127) >> 5;
    const int to = blk == 1 ? 2 : blk == 2 ? 1 : blk;
    return (p & ~127) + to * 32 + (p & 31);
}

// Per-thread 64-byte aligned buffer that only grows. No standard containers in the
// SIMD sources: a template instantiated there is compiled with their -m flags, and the
// linker may keep that copy for callers on other CPUs.
struct KqScratch {
    uint8_t* p = nullptr;
    size_t cap = 0;
    KqScratch() = default;
    KqScratch(const KqScratch&) = delete;
    KqScratch& operator=(const KqScratch&) = delete;
    ~KqScratch() { std::free(p); }
    uint8_t* get(size_t n) {
        if (n > cap) {
            std::free(p);
            cap = (n + 4095) & ~size_t{4095};
            p = static_cast<uint8_t*>(std::aligned_alloc(64, cap));
            if (!p) {
                cap = 0;
                kernel_registry::scratch_allocation_failed(n);
            }
        }
        return p;
    }
};

inline size_t kq_align64(size_t n) { return (n + 63) & ~size_t{63}; }
inline int64_t kq_min(int64_t a, int64_t b) { return a < b ? a : b; }

enum class KqMin { Float8, Float16, Offset };

#if defined(__AVX2__)
// ---- helpers shared by the AVX2 and AVX-512 sources (need AVX2 + F16C) -------------

inline float kq_f16x1(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}
inline void kq_f16x2(const uint8_t* p, float& a, float& b) {  // two adjacent halves (d, dmin)
    uint32_t v;
    std::memcpy(&v, p, 4);
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(v)));
    a = _mm_cvtss_f32(f);
    b = _mm_cvtss_f32(_mm_movehdup_ps(f));
}

// Q2_K scales: 16 bytes -> scales (low nibbles) and mins (high nibbles) as int16.
inline void kq_q2_scales(const uint8_t* s16, __m256i& sc, __m256i& mn) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s16));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    sc = _mm256_cvtepu8_epi16(_mm_and_si128(s, m4));
    mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), m4));
}

// Q3_K scales: 12 bytes at b + 96 of a 110-byte block -> 16 x int16 (sc - 32). Loads
// bytes 94..109 so nothing past the block is read.
inline __m256i kq_q3_scales(const uint8_t* block) {
    const __m128i s = _mm_srli_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 94)), 2);
    const __m128i lo = _mm_and_si128(
        _mm_srlv_epi32(_mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 1, 0)), _mm_set_epi32(4, 4, 0, 0)), _mm_set1_epi8(0x0F));
    const __m128i hi = _mm_slli_epi32(
        _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(s, _MM_SHUFFLE(2, 2, 2, 2)), _mm_set_epi32(6, 4, 2, 0)),
                      _mm_set1_epi8(0x03)),
        4);
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_or_si128(lo, hi)), _mm256_set1_epi16(32));
}

// Q4_K / Q5_K scales: 12 bytes -> [sc0..sc7, m0..m7] as int16. Reads 16 bytes (the
// block's quants follow the scales).
inline __m256i kq_k4_scales(const uint8_t* s12) {
    const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s12));
    const __m128i a = _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 1, 2, 0));  // U0 U2 U1 U2
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(a, _mm_set_epi32(4, 0, 0, 0)),
                                     _mm_set_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
    const __m128i b = _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 1, 0, 0));  // U0 U0 U1 U1
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_set_epi32(0x30303030, 0, 0x30303030, 0));
    return _mm256_cvtepu8_epi16(_mm_or_si128(lo, hi));
}

// One token's activations laid out for the decode kernels: quants in kernel order
// (64-byte aligned), and per block d, the 16 bsums, and [0 x 8, bs[2j] + bs[2j+1] x 8]
// (for the Q4_K/Q5_K mins, which sit in lanes 8..15 of their scale vector).
struct KqAct {
    const uint8_t* q;
    const float* d;
    const int16_t* bs;
    const int16_t* bs8;
};

inline size_t kq_act_bytes(int64_t nb) { return kq_align64(static_cast<size_t>(nb) * (256 + 32 + 32 + 4)); }

template <bool Perm>
KqAct kq_prep_act(const uint8_t* src, int64_t nb, uint8_t* buf) {
    uint8_t* q = buf;
    auto* bs = reinterpret_cast<int16_t*>(buf + nb * 256);
    auto* bs8 = bs + nb * 16;
    auto* d = reinterpret_cast<float*>(bs8 + nb * 16);
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = src + b * sizeof(BlockQ8_K);
        std::memcpy(&d[b], blk, 4);
        for (int part = 0; part < 8; ++part) {
            const int from = 128 * (part / 4) + kq_value_at(Perm, 32 * (part % 4));
            _mm256_store_si256(reinterpret_cast<__m256i*>(q + b * 256 + 32 * part),
                               _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 4 + from)));
        }
        const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 260));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(bs + b * 16), s);
        const __m256i pairs = _mm256_madd_epi16(s, _mm256_set1_epi16(1));  // |.| <= 4096
        const __m128i p8 = _mm_packs_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(bs8 + b * 16),
                            _mm256_inserti128_si256(_mm256_setzero_si256(), p8, 1));
    }
    return KqAct{q, d, bs, bs8};
}

// Activation tile for the prompt kernels: per token the quants in kernel order and d
// per block; bm[(b * G + j) * ld + t] = da * (sum of group j of block b), G = 8
// (pairs of bsums) or 16, columns t >= tt zero up to a multiple of 16.
template <bool Perm, int G>
void kq_prep_tile(const uint8_t* a, size_t a_stride, int64_t tt, int64_t nb, uint8_t* qbuf, size_t q_stride,
                  float* dbuf, size_t d_stride, float* bm, int64_t ld) {
    const int64_t tpad = (tt + 15) & ~int64_t{15};
    for (int64_t t = 0; t < tt; ++t) {
        const uint8_t* src = a + static_cast<size_t>(t) * a_stride;
        uint8_t* qdst = qbuf + static_cast<size_t>(t) * q_stride;
        float* ddst = dbuf + static_cast<size_t>(t) * d_stride;
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = src + b * sizeof(BlockQ8_K);
            std::memcpy(&ddst[b], blk, 4);
            for (int part = 0; part < 8; ++part) {
                const int from = 128 * (part / 4) + kq_value_at(Perm, 32 * (part % 4));
                _mm256_store_si256(reinterpret_cast<__m256i*>(qdst + b * 256 + 32 * part),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 4 + from)));
            }
            int16_t bs[16];
            std::memcpy(bs, blk + 260, 32);
            for (int j = 0; j < G; ++j) {
                const int s = G == 8 ? bs[2 * j] + bs[2 * j + 1] : bs[j];
                bm[(b * G + j) * ld + t] = ddst[b] * static_cast<float>(s);
            }
        }
    }
    for (int64_t k = 0; k < nb * G; ++k)
        for (int64_t t = tt; t < tpad; ++t) bm[k * ld + t] = 0.0f;
}
#endif  // __AVX2__

}  // namespace
}  // namespace pareto
