// AVX-512 (F, BW, VL, DQ) matrix products for the float and legacy block types, and
// the Q8A quantizer. Built twice: PARETO_VNNI=0 registers kernel_registry::avx512_legacy,
// PARETO_VNNI=1 (with -mavx512vnni) kernel_registry::avx512vnni_legacy; all else is in
// an anonymous namespace so the two builds do not clash.
//
// Two shapes of product, picked by the number of tokens:
//   * Few tokens (decode, n_tok < kOuterMinTok): dot products. Weights are read in place,
//     four blocks at a time (a "quad", 2 x 64 bytes after unpacking), for tiles of 1 row
//     x 1 token, 4 rows x 2 tokens or 2 rows x 3-4 tokens, so each unpacked quad serves
//     every token and each activation quad every row; activations are rearranged once
//     per call to match (QuadAct). Weight rows are prefetched ahead in software.
//   * Many tokens (prompts): tokens in the vector lanes. The weights of a cache block are
//     unpacked once into bytes + float scales and broadcast 4 bytes at a time against
//     16 tokens' interleaved activations, so the int32 -> float scaling costs 3 ops per
//     8 VNNI dot products and no horizontal sums are needed; a micro-tile is 4 rows x
//     32 tokens (8 rows x 48 tokens for the float types).
// Integer sums are exact in int32 in both (the offsets of the unsigned weight forms are
// taken back out in integers); only the float scaling and summation order differ from
// the scalar reference.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "tensor/kernels.h"
#include "tensor/kernels/legacy_common.h"

#ifndef PARETO_VNNI
#define PARETO_VNNI 0
#endif

namespace pareto {
namespace {

// ---- small helpers -----------------------------------------------------------------

inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// acc + the sums of 4 unsigned x signed byte products per int32 lane, of (u0, s0) and
// (u1, s1). Without VNNI the pairs go through int16 (vpmaddubsw) and the pair sums of
// both are added before widening: exact while |u0 s0 + u1 s1| <= 16383 per pair, which
// holds for weights up to 31 and |q| <= 127.
inline __m512i dot4x2(__m512i acc, __m512i u0, __m512i s0, __m512i u1, __m512i s1) {
#if PARETO_VNNI
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc, u0, s0), u1, s1);
#else
    const __m512i p = _mm512_add_epi16(_mm512_maddubs_epi16(u0, s0), _mm512_maddubs_epi16(u1, s1));
    return _mm512_add_epi32(acc, _mm512_madd_epi16(p, _mm512_set1_epi16(1)));
#endif
}

// 16 halves (as words of a ymm) to floats.
inline __m512 half16(__m256i h) { return _mm512_cvtph_ps(h); }

// Where the micro-kernels of the many-token paths put a tile of 4 * NR4 rows x 16 * TG
// tokens. Partial sums over the cache blocks of n go to C (row r at c + r * c_stride);
// the last cache block adds them and writes y[t * y_stride + r] itself, a few stores
// at a time between the arithmetic rather than all at the end.
struct TileOut {
    float* c;
    size_t c_stride;
    bool first;  // C holds nothing yet
    float* y;    // set for the last cache block
    int64_t y_stride;
    int rows;    // rows of the tile that exist
    int toks;    // tokens of the tile that exist
};

template <int NR4, int TG>
inline void finish_tile(__m512 (&acc)[4 * NR4][TG], const TileOut& o) {
    if (!o.first)
        for (int r = 0; r < 4 * NR4; ++r)
            for (int g = 0; g < TG; ++g)
                acc[r][g] = _mm512_add_ps(acc[r][g], _mm512_load_ps(o.c + r * o.c_stride + 16 * g));
    if (!o.y) {
        for (int r = 0; r < 4 * NR4; ++r)
            for (int g = 0; g < TG; ++g) _mm512_store_ps(o.c + r * o.c_stride + 16 * g, acc[r][g]);
        return;
    }
    for (int q = 0; q < NR4; ++q) {
        const int nrow = std::min(4, o.rows - 4 * q);
        if (nrow <= 0) break;
        const __mmask8 km = static_cast<__mmask8>((1u << nrow) - 1);
        float* yq = o.y + 4 * q;
        for (int g = 0; g < TG; ++g) {
            // 4 rows x 16 tokens -> 16 tokens x 4 rows: v[k] lane L is token 4L + k
            const __m512* a = &acc[4 * q][g];
            const __m512 a0 = a[0], a1 = a[TG], a2 = a[2 * TG], a3 = a[3 * TG];
            const __m512 t0 = _mm512_unpacklo_ps(a0, a1), t1 = _mm512_unpackhi_ps(a0, a1);
            const __m512 t2 = _mm512_unpacklo_ps(a2, a3), t3 = _mm512_unpackhi_ps(a2, a3);
            const __m512 v[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xee),
                                 _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xee)};
            const int base = 16 * g;
            for (int k = 0; k < 4; ++k) {
                const __m128 l[4] = {_mm512_castps512_ps128(v[k]), _mm512_extractf32x4_ps(v[k], 1),
                                     _mm512_extractf32x4_ps(v[k], 2), _mm512_extractf32x4_ps(v[k], 3)};
                for (int L = 0; L < 4; ++L) {
                    const int t = base + 4 * L + k;
                    if (t < o.toks) _mm_mask_storeu_ps(yq + t * o.y_stride, km, l[L]);
                }
            }
        }
    }
}

// Prefetches bytes [p, p + bytes) into L1, for a short run of a weight row read next.
inline void prefetch_run(const uint8_t* p, size_t bytes) {
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(p) + off, _MM_HINT_T0);
}

// ---- Q8A activations ---------------------------------------------------------------

// Bit-identical to the scalar quantizer: true division, max/min that drop a NaN the
// way std::fmax/fmin do, truncation then round half away from zero.
void quantize_q8a(const float* x, uint8_t* out, int64_t n) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / 32; ++i) {
        const __m512 x0 = _mm512_loadu_ps(x + 32 * i), x1 = _mm512_loadu_ps(x + 32 * i + 16);
        // max_ps returns its second operand when either is NaN: a NaN |x| is dropped.
        __m512 m = _mm512_max_ps(_mm512_andnot_ps(sign, x0), _mm512_setzero_ps());
        m = _mm512_max_ps(_mm512_andnot_ps(sign, x1), m);
        const float d = _mm512_reduce_max_ps(m) / 127.0f;
        BlockQ8A b;
        b.d = d;
        if (d == 0.0f) {
            std::memset(b.qs, 0, 32);
            b.s = 0.0f;
        } else {
            const __m512 vd = _mm512_set1_ps(d);
            __m512i q[2];
            const __m512 xs[2] = {x0, x1};
            for (int h = 0; h < 2; ++h) {
                __m512 v = _mm512_div_ps(xs[h], vd);
                v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
                __m512i t = _mm512_cvttps_epi32(v);
                const __m512 frac = _mm512_sub_ps(v, _mm512_cvtepi32_ps(t));
                const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
                const __mmask16 down = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(-0.5f), _CMP_LE_OQ);
                t = _mm512_mask_add_epi32(t, up, t, _mm512_set1_epi32(1));
                t = _mm512_mask_sub_epi32(t, down, t, _mm512_set1_epi32(1));
                q[h] = t;
            }
            _mm_storeu_si128(reinterpret_cast<__m128i*>(b.qs), _mm512_cvtepi32_epi8(q[0]));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(b.qs + 16), _mm512_cvtepi32_epi8(q[1]));
            b.s = d * static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q[0], q[1])));
        }
        std::memcpy(out + i * sizeof(BlockQ8A), &b, sizeof b);
    }
}

// ---- legacy weights: four blocks ("a quad") at a time -----------------------------------
//
// A quad of weights is unpacked into two vectors of 64 unsigned bytes: lo holds values
// 0..15 of blocks 0..3 (16 bytes each), hi values 16..31. Lane j of an int32 dot4
// accumulator then covers block j / 4 in both, so one float scale vector with each
// block's scale in 4 consecutive lanes applies to lo and hi at once. The activations
// are rearranged to match (QuadAct). The unsigned weights are the block's integers plus
// an offset kOff (8 for Q4_0 = its raw nibbles, 16 for Q5_0, 128 for Q8_0 with VNNI,
// 0 for the _1 types); QuadAct::corr = -kOff * (sum of the activations in the lane)
// starts the accumulator, so the integer result is exactly sum(w * q).

struct alignas(64) QuadAct {
    int8_t lo[64];
    int8_t hi[64];
    int32_t corr[16];
    float d[16];   // each block's d, 4 times
    float s4[16];  // each block's s / 4, 4 times (the _1 types' min term, added per lane)
};

struct Quad {
    __m512i lo, hi;
    __m512 d, m;
};

alignas(64) constexpr uint16_t kWordIdx[][32] = {
    // 0: Q4_0 d words (block = 9 words)
    {0, 0, 0, 0, 9, 9, 9, 9, 18, 18, 18, 18, 27, 27, 27, 27},
    // 1: Q4_1 d (0..15) and m (16..31) words (block = 10 words)
    {0, 0, 0, 0, 10, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30,
     1, 1, 1, 1, 11, 11, 11, 11, 21, 21, 21, 21, 31, 31, 31, 31},
    // 2: Q5_0 from (p, p + 24): d (0..15); qh low halves (16..19), high halves (20..23)
    {0, 0, 0, 0, 11, 11, 11, 11, 22, 22, 22, 22, 32 + 21, 32 + 21, 32 + 21, 32 + 21,
     1, 12, 23, 32 + 22, 2, 13, 24, 32 + 23},
    // 3: Q5_1 from (p, p + 32): d (0..15), m (16..31)
    {0, 0, 0, 0, 12, 12, 12, 12, 24, 24, 24, 24, 32 + 20, 32 + 20, 32 + 20, 32 + 20,
     1, 1, 1, 1, 13, 13, 13, 13, 25, 25, 25, 25, 32 + 21, 32 + 21, 32 + 21, 32 + 21},
    // 4: Q5_1 qh from (p, p + 32): low halves (0..3), high halves (4..7)
    {2, 14, 26, 32 + 22, 3, 15, 27, 32 + 23},
    // 5: Q8_0 d from (p, p + 64) (block = 17 words)
    {0, 0, 0, 0, 17, 17, 17, 17, 32 + 2, 32 + 2, 32 + 2, 32 + 2, 32 + 19, 32 + 19, 32 + 19, 32 + 19},
};
inline __m512i word_idx(int i) { return _mm512_load_si512(kWordIdx[i]); }

// Four 16-byte pieces at p, p + stride, ... into one vector.
inline __m512i gather4x16(const uint8_t* p, int stride) {
    const __m256i a = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(p)), load128(p + stride), 1);
    const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(load128(p + 2 * stride)),
                                              load128(p + 3 * stride), 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

inline void split_nibbles(__m512i q, Quad& o) {
    const __m512i m4 = _mm512_set1_epi8(15);
    o.lo = _mm512_and_si512(q, m4);
    o.hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
}

// Fifth bits: `qh8` holds, as 8 words, the low halves of the four blocks' qh and then
// the high halves, i.e. bit j of its first 64 bits belongs to byte j of lo and bit j of
// the next 64 to byte j of hi.
inline void add_fifth_bits(__m128i qh8, Quad& o) {
    const __mmask64 klo = _cvtu64_mask64(static_cast<uint64_t>(_mm_cvtsi128_si64(qh8)));
    const __mmask64 khi = _cvtu64_mask64(static_cast<uint64_t>(_mm_extract_epi64(qh8, 1)));
    const __m512i b4 = _mm512_set1_epi8(16);
    o.lo = _mm512_mask_add_epi8(o.lo, klo, o.lo, b4);  // bit 4 is clear: add = or
    o.hi = _mm512_mask_add_epi8(o.hi, khi, o.hi, b4);
}

struct Q4_0K {
    static constexpr int kBytes = 18;
    static constexpr int kOff = 8;
    static constexpr bool kMin = false;
    static void load(const uint8_t* p, Quad& o) {
        split_nibbles(gather4x16(p + 2, 18), o);
        o.d = half16(_mm512_castsi512_si256(_mm512_permutexvar_epi16(word_idx(0), load512(p))));
    }
};

struct Q4_1K {
    static constexpr int kBytes = 20;
    static constexpr int kOff = 0;
    static constexpr bool kMin = true;
    static void load(const uint8_t* p, Quad& o) {
        split_nibbles(gather4x16(p + 4, 20), o);
        const __m512i dm = _mm512_permutexvar_epi16(word_idx(1), load512(p));
        o.d = half16(_mm512_castsi512_si256(dm));
        o.m = half16(_mm512_extracti64x4_epi64(dm, 1));
    }
};

struct Q5_0K {
    static constexpr int kBytes = 22;
    static constexpr int kOff = 16;
    static constexpr bool kMin = false;
    static void load(const uint8_t* p, Quad& o) {
        split_nibbles(gather4x16(p + 6, 22), o);
        const __m512i x = _mm512_permutex2var_epi16(load512(p), word_idx(2), load512(p + 24));
        o.d = half16(_mm512_castsi512_si256(x));
        add_fifth_bits(_mm512_extracti32x4_epi32(x, 2), o);
    }
};

struct Q5_1K {
    static constexpr int kBytes = 24;
    static constexpr int kOff = 0;
    static constexpr bool kMin = true;
    static void load(const uint8_t* p, Quad& o) {
        split_nibbles(gather4x16(p + 8, 24), o);
        const __m512i l0 = load512(p), l1 = load512(p + 32);
        const __m512i dm = _mm512_permutex2var_epi16(l0, word_idx(3), l1);
        o.d = half16(_mm512_castsi512_si256(dm));
        o.m = half16(_mm512_extracti64x4_epi64(dm, 1));
        add_fifth_bits(_mm512_castsi512_si128(_mm512_permutex2var_epi16(l0, word_idx(4), l1)), o);
    }
};

struct Q8_0K {
    static constexpr int kBytes = 34;
    static constexpr int kOff = PARETO_VNNI ? 128 : 0;
    static constexpr bool kMin = false;
    // lo / hi hold the signed weights; with VNNI they are made unsigned (+128) here,
    // without it the dot product takes their absolute values and moves their signs
    // onto the activations (|w| <= 128, so the int16 pair sums cannot saturate).
    static void load(const uint8_t* p, Quad& o) {
        const __m512i z01 = _mm512_inserti64x4(_mm512_castsi256_si512(load256(p + 2)), load256(p + 36), 1);
        const __m512i z23 = _mm512_inserti64x4(_mm512_castsi256_si512(load256(p + 70)), load256(p + 104), 1);
        o.lo = _mm512_permutex2var_epi64(z01, _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13), z23);
        o.hi = _mm512_permutex2var_epi64(z01, _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15), z23);
#if PARETO_VNNI
        o.lo = _mm512_xor_si512(o.lo, _mm512_set1_epi8(-128));
        o.hi = _mm512_xor_si512(o.hi, _mm512_set1_epi8(-128));
#endif
        o.d = half16(_mm512_castsi512_si256(_mm512_permutex2var_epi16(load512(p), word_idx(5), load512(p + 64))));
    }
};

// Integer dot product of a weight quad with an activation quad, per lane.
template <typename K>
inline __m512i quad_dot(const Quad& w, const QuadAct* a) {
    const __m512i alo = _mm512_load_si512(a->lo), ahi = _mm512_load_si512(a->hi);
    if constexpr (std::is_same_v<K, Q8_0K> && !PARETO_VNNI) {
        const __mmask64 nlo = _mm512_movepi8_mask(w.lo), nhi = _mm512_movepi8_mask(w.hi);
        const __m512i z = _mm512_setzero_si512();
        const __m512i slo = _mm512_mask_sub_epi8(alo, nlo, z, alo), shi = _mm512_mask_sub_epi8(ahi, nhi, z, ahi);
        const __m512i ones = _mm512_set1_epi16(1);
        const __m512i p0 = _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(w.lo), slo), ones);
        const __m512i p1 = _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(w.hi), shi), ones);
        return _mm512_add_epi32(p0, p1);
    } else {
        const __m512i init = K::kOff ? _mm512_load_si512(a->corr) : _mm512_setzero_si512();
        return dot4x2(init, w.lo, alo, w.hi, ahi);
    }
}

// The last quad of a row of nblk < 4 blocks, zero-padded.
inline void pack_partial_quad(const uint8_t* a, int nblk, QuadAct& o) {
    for (int k = 0; k < 4; ++k) {
        BlockQ8A b{};
        if (k < nblk) std::memcpy(&b, a + k * sizeof(BlockQ8A), sizeof b);
        std::memcpy(o.lo + 16 * k, b.qs, 16);
        std::memcpy(o.hi + 16 * k, b.qs + 16, 16);
        for (int j = 0; j < 4; ++j) {
            o.d[4 * k + j] = b.d;
            o.s4[4 * k + j] = b.s * 0.25f;
        }
    }
}

// Rearranges one token's Q8A blocks into quads. Decode packs the activations once
// per chunk of rows, so a full quad (four consecutive blocks) takes 16-byte copies
// and two permutes rather than a copy and a loop per block.
template <typename K>
void pack_quads(const uint8_t* a, int64_t nb, QuadAct* out) {
    const int64_t nq = (nb + 3) / 4;
    const __m512i repeat4 = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    for (int64_t q = 0; q < nq; ++q) {
        QuadAct& o = out[q];
        const uint8_t* p = a + 4 * q * sizeof(BlockQ8A);
        const int nblk = static_cast<int>(std::min<int64_t>(4, nb - 4 * q));
        if (nblk == 4) {
            alignas(16) float d[4], s[4];
            for (int k = 0; k < 4; ++k) {
                const uint8_t* b = p + k * sizeof(BlockQ8A);
                const uint8_t* qs = b + offsetof(BlockQ8A, qs);
                _mm_store_si128(reinterpret_cast<__m128i*>(o.lo + 16 * k),
                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
                _mm_store_si128(reinterpret_cast<__m128i*>(o.hi + 16 * k),
                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + 16)));
                std::memcpy(&d[k], b + offsetof(BlockQ8A, d), sizeof(float));
                std::memcpy(&s[k], b + offsetof(BlockQ8A, s), sizeof(float));
            }
            _mm512_store_ps(o.d, _mm512_permutexvar_ps(repeat4, _mm512_castps128_ps512(_mm_load_ps(d))));
            if constexpr (K::kMin)
                _mm512_store_ps(o.s4, _mm512_mul_ps(_mm512_permutexvar_ps(repeat4, _mm512_castps128_ps512(_mm_load_ps(s))),
                                                    _mm512_set1_ps(0.25f)));
        } else {
            pack_partial_quad(p, nblk, o);
        }
        if constexpr (K::kOff != 0) {
            const __m512i ones = _mm512_set1_epi8(1);
            __m512i sum = _mm512_setzero_si512();
            // sum of 4 signed bytes per lane: ones are the unsigned operand
            sum = _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_maddubs_epi16(ones, _mm512_load_si512(o.lo)),
                                                          _mm512_set1_epi16(1)));
            sum = _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_maddubs_epi16(ones, _mm512_load_si512(o.hi)),
                                                          _mm512_set1_epi16(1)));
            _mm512_store_si512(o.corr, _mm512_mullo_epi32(sum, _mm512_set1_epi32(-K::kOff)));
        }
    }
}

// Weights of a partial last quad, copied into a zeroed buffer (zero blocks add 0).
template <typename K>
inline void load_tail(const uint8_t* p, int nblk, Quad& o) {
    alignas(64) uint8_t buf[4 * 34 + 64] = {};
    std::memcpy(buf, p, static_cast<size_t>(nblk) * K::kBytes);
    K::load(buf, o);
}

// ---- dot-product tiles: R rows x NT tokens over all of n ----------------------------------

// Software prefetch distance along each weight row, in bytes: rows are short streams
// (a few hundred bytes to a few KB), too short for the hardware prefetcher to ramp up.
// Every cache line a step reads is prefetched (a Q8_0 quad spans three lines). 2 KB
// ahead measured best streaming 1 GiB from DRAM (bench_decode_stream: Q4_0 and Q8_0
// 21 -> 25 GB/s on 2 threads against 1 KB with one line per step).
constexpr int kPrefetch = 2048;

template <int kStepBytes>
inline void prefetch_step(const uint8_t* p) {
    for (int off = 0; off < kStepBytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(p) + kPrefetch + off, _MM_HINT_T0);
}

template <typename K, int R, int NT>
void quad_tile(const uint8_t* w, size_t w_stride, int64_t nb, const QuadAct* const* act, float* y,
               int64_t y_stride) {
    __m512 acc[R][NT];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
    const int64_t nq_full = nb / 4;
    const int tail = static_cast<int>(nb % 4);
    auto step = [&](int64_t q, const Quad* wq) {
        for (int t = 0; t < NT; ++t) {
            const QuadAct* a = act[t] + q;
            const __m512 da = _mm512_load_ps(a->d);
            for (int r = 0; r < R; ++r) {
                const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(quad_dot<K>(wq[r], a)), da);
                acc[r][t] = _mm512_fmadd_ps(f, wq[r].d, acc[r][t]);
                if constexpr (K::kMin) acc[r][t] = _mm512_fmadd_ps(wq[r].m, _mm512_load_ps(a->s4), acc[r][t]);
            }
        }
    };
    for (int64_t q = 0; q < nq_full; ++q) {
        Quad wq[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = w + r * w_stride + q * 4 * K::kBytes;
            prefetch_step<4 * K::kBytes>(p);
            K::load(p, wq[r]);
        }
        step(q, wq);
    }
    if (tail) {
        Quad wq[R];
        for (int r = 0; r < R; ++r) load_tail<K>(w + r * w_stride + nq_full * 4 * K::kBytes, tail, wq[r]);
        step(nq_full, wq);
    }
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < R; ++r) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[r][t]);
}

thread_local Scratch t_act_scratch;

template <typename K, int NT>
void quad_rows(int64_t nb, const uint8_t* w, size_t w_stride, int64_t n_rows, const QuadAct* const* act,
               float* y, int64_t y_stride) {
    // One token (decode) goes row by row: each thread then reads one sequential stream
    // of weights, which DRAM serves faster than four interleaved ones (1 GiB streamed
    // with 2 threads, bench_decode_stream: Q4_0 896x4864 18 -> 24 GB/s, 8960x1536
    // 26 -> 29 GB/s); the activations are in L1 either way.
    constexpr int R = NT == 1 ? 1 : NT == 2 ? 4 : 2;
    int64_t r = 0;
    for (; r + R <= n_rows; r += R)
        quad_tile<K, R, NT>(w + r * w_stride, w_stride, nb, act, y + r, y_stride);
    for (; r < n_rows; ++r) quad_tile<K, 1, NT>(w + r * w_stride, w_stride, nb, act, y + r, y_stride);
}

template <typename K>
void gemm_quads(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / 32, nq = (nb + 3) / 4;
    auto* packed = reinterpret_cast<QuadAct*>(
        t_act_scratch.get(static_cast<size_t>(n_tok * nq) * sizeof(QuadAct)));
    for (int64_t t = 0; t < n_tok; ++t) pack_quads<K>(a + t * a_stride, nb, packed + t * nq);
    for (int64_t t0 = 0; t0 < n_tok; t0 += 4) {
        const QuadAct* act[4];
        const int nt = static_cast<int>(std::min<int64_t>(4, n_tok - t0));
        for (int t = 0; t < nt; ++t) act[t] = packed + (t0 + t) * nq;
        float* yt = y + t0 * y_stride;
        switch (nt) {
            case 1: quad_rows<K, 1>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 2: quad_rows<K, 2>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 3: quad_rows<K, 3>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            default: quad_rows<K, 4>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
        }
    }
}

// ---- many tokens: packed blocks, tokens in the vector lanes --------------------------------
//
// For n_tok >= kOuterMinTok the weights are unpacked once per cache block (kMC rows x kKC
// blocks) into plain bytes with float scales, and the activations of 16 tokens are
// interleaved so that one vector holds the same 4 values of a block for each of 16
// tokens (OuterAct). A broadcast 4-byte group of one weight row times such a vector is
// one dot4 for 16 tokens, and the block's float scaling is then paid once per 16
// tokens instead of once per 4 lanes. The micro-kernel computes 4 rows x 32 tokens
// (two groups; 16 at the end) over kKC blocks: 64 vpdpbusd and 24 float ops per block.
// Partial sums over the cache blocks of n go to a float tile C[row][token] (L2); the
// last cache block writes y itself (TileOut).
//
// Loop nest (per call): token chunks of up to kNC (bounded so that the interleaved
// activations of all of n, A, take ~4 MB); per chunk, row chunks of kMC; per kKC blocks
// the weights of the row chunk are unpacked (W, ~160 KB, L2); per pair of token groups
// (their A blocks, 22 KB, stay in L1) the rows go by 4 (their W blocks stream from L2).

constexpr int kOuterMinTok = 16;  // below this, dot products (measured crossover 8..16)
constexpr int kNC = 512;  // at most this many tokens per chunk (a multiple of 16)
constexpr int kMC = 256;  // rows per chunk (a multiple of 4)
constexpr int kKC = 16;   // blocks per cache block

struct alignas(64) OuterAct {  // one block of 16 tokens
    int8_t q[8][64];           // q[g][4 * j + k] = value 4 * g + k of token j
    int32_t corr[16];          // -kOff * sum(q) per token
    float d[16];
    float s[16];
};

// Weights of 4 rows for one block: kPlanes planes of unsigned bytes in natural order
// (the non-VNNI Q8_0 splits w + 128 into its nibbles: plane 0 the low, plane 1 the
// high, weight 16), and the scales.
template <int P>
struct alignas(32) WBlk {
    uint8_t q[P][4][32];
    float d[4];
    float m[4];
};

// Natural-order unsigned bytes of one block (for the single-plane layouts).
template <typename K>
inline __m256i unpack_natural(const uint8_t* p);

inline __m256i nibbles_natural(const uint8_t* qs) {
    const __m128i x = load128(qs), m4 = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m4), _mm_and_si128(x, m4));
}
template <>
inline __m256i unpack_natural<Q4_0K>(const uint8_t* p) { return nibbles_natural(p + 2); }
template <>
inline __m256i unpack_natural<Q4_1K>(const uint8_t* p) { return nibbles_natural(p + 4); }
template <>
inline __m256i unpack_natural<Q5_0K>(const uint8_t* p) {
    const __m256i v = nibbles_natural(p + 6);
    return _mm256_mask_add_epi8(v, _cvtu32_mask32(load_u32(p + 2)), v, _mm256_set1_epi8(16));
}
template <>
inline __m256i unpack_natural<Q5_1K>(const uint8_t* p) {
    const __m256i v = nibbles_natural(p + 8);
    return _mm256_mask_add_epi8(v, _cvtu32_mask32(load_u32(p + 4)), v, _mm256_set1_epi8(16));
}
template <>
inline __m256i unpack_natural<Q8_0K>(const uint8_t* p) {
    return _mm256_xor_si256(load256(p + 2), _mm256_set1_epi8(-128));
}

template <typename K>
struct Outer {
    // Offset of the unsigned weights: Q8_0 is always stored as w + 128 here.
    static constexpr int kOff = std::is_same_v<K, Q8_0K> ? 128 : K::kOff;
    static constexpr int kPlanes = std::is_same_v<K, Q8_0K> && !PARETO_VNNI ? 2 : 1;
    static constexpr int kMaxU = std::is_same_v<K, Q8_0K> ? (PARETO_VNNI ? 255 : 15)
                                 : (std::is_same_v<K, Q5_0K> || std::is_same_v<K, Q5_1K>) ? 31 : 15;
    using Blk = WBlk<kPlanes>;

    // Rows [r0, r0 + 4) (those < n_rows; the others zero) x blocks [b0, b0 + nbk).
    static void unpack(const uint8_t* w, size_t w_stride, int64_t r0, int64_t n_rows, int64_t b0, int nbk, Blk* out) {
        for (int64_t r = r0 + 4; r < std::min(r0 + 8, n_rows); ++r)  // the next call's rows
            prefetch_run(w + r * w_stride + b0 * K::kBytes, static_cast<size_t>(nbk) * K::kBytes);
        for (int b = 0; b < nbk; ++b) {
            Blk& o = out[b];
            for (int r = 0; r < 4; ++r) {
                if (r0 + r >= n_rows) {  // rows past the end: zero, never stored
                    for (int pl = 0; pl < kPlanes; ++pl) std::memset(o.q[pl][r], 0, 32);
                    o.d[r] = o.m[r] = 0.0f;
                    continue;
                }
                const uint8_t* p = w + (r0 + r) * w_stride + (b0 + b) * K::kBytes;
                const __m256i v = unpack_natural<K>(p);
                if constexpr (kPlanes == 2) {
                    const __m256i m4 = _mm256_set1_epi8(15);
                    _mm256_store_si256(reinterpret_cast<__m256i*>(o.q[0][r]), _mm256_and_si256(v, m4));
                    _mm256_store_si256(reinterpret_cast<__m256i*>(o.q[1][r]),
                                       _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
                } else {
                    _mm256_store_si256(reinterpret_cast<__m256i*>(o.q[0][r]), v);
                }
                o.d[r] = _cvtsh_ss(load_u16(p));
                o.m[r] = K::kMin ? _cvtsh_ss(load_u16(p + 2)) : 0.0f;
            }
        }
    }

    // Tokens [t0, t0 + 16 * ng) (those < n_tok; the others zero) x all nb blocks, into
    // out[g * nb + b].
    static void pack_acts(const uint8_t* a, size_t a_stride, int64_t t0, int64_t n_tok, int ng, int64_t nb,
                          OuterAct* out) {
        for (int g = 0; g < ng; ++g) {
            const int64_t tg = t0 + 16 * g;
            const int nt = static_cast<int>(std::min<int64_t>(16, n_tok - tg));
            for (int64_t b = 0; b < nb; ++b) {
                OuterAct& o = out[g * nb + b];
                std::memset(&o, 0, sizeof o);
                for (int j = 0; j < nt; ++j) {
                    const uint8_t* blk = a + (tg + j) * a_stride + b * sizeof(BlockQ8A);
                    std::memcpy(&o.d[j], blk, 4);
                    std::memcpy(&o.s[j], blk + 4, 4);
                    for (int gg = 0; gg < 8; ++gg) std::memcpy(&o.q[gg][4 * j], blk + 8 + 4 * gg, 4);
                }
                if constexpr (kOff != 0) {
                    __m512i sum = _mm512_setzero_si512();
                    for (int gg = 0; gg < 8; ++gg)
                        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(
                            _mm512_maddubs_epi16(_mm512_set1_epi8(1), _mm512_load_si512(o.q[gg])),
                            _mm512_set1_epi16(1)));
                    _mm512_store_si512(o.corr, _mm512_mullo_epi32(sum, _mm512_set1_epi32(-kOff)));
                }
            }
        }
    }

    // Integer dot products of row r of a weight block with TG token groups.
    template <int TG>
    static inline void block_dot(const Blk& wb, int r, const __m512i (*av)[8], __m512i* acc) {
#if PARETO_VNNI
        for (int g = 0; g < 8; ++g) {
            const __m512i wv = _mm512_set1_epi32(static_cast<int>(load_u32(wb.q[0][r] + 4 * g)));
            for (int t = 0; t < TG; ++t) acc[t] = _mm512_dpbusd_epi32(acc[t], wv, av[t][g]);
        }
#else
        const __m512i ones = _mm512_set1_epi16(1);
        for (int pl = 0; pl < kPlanes; ++pl) {
            // int16 sums of maddubs pairs: up to 8 groups for 4-bit weights, 4 for 5-bit
            constexpr int kRun = kMaxU <= 15 ? 8 : 4;
            for (int g0 = 0; g0 < 8; g0 += kRun) {
                __m512i s16[TG];
                for (int g = g0; g < g0 + kRun; ++g) {
                    const __m512i wv = _mm512_set1_epi32(static_cast<int>(load_u32(wb.q[pl][r] + 4 * g)));
                    for (int t = 0; t < TG; ++t) {
                        const __m512i pr = _mm512_maddubs_epi16(wv, av[t][g]);
                        s16[t] = g == g0 ? pr : _mm512_add_epi16(s16[t], pr);
                    }
                }
                for (int t = 0; t < TG; ++t) {
                    __m512i s32 = _mm512_madd_epi16(s16[t], ones);
                    if (pl == 1) s32 = _mm512_slli_epi32(s32, 4);
                    acc[t] = _mm512_add_epi32(acc[t], s32);
                }
            }
        }
#endif
    }

    // Rows 0..3 of the tile x tokens of TG groups, over nbk blocks, to `out`.
    template <int TG>
    static void micro(const Blk* wt, const OuterAct* const* at, int nbk, const TileOut& out) {
        __m512 acc[4][TG];
        for (int r = 0; r < 4; ++r)
            for (int t = 0; t < TG; ++t) acc[r][t] = _mm512_setzero_ps();
        for (int b = 0; b < nbk; ++b) {
            const Blk& wb = wt[b];
            __m512i av[TG][8];
            for (int t = 0; t < TG; ++t)
                for (int g = 0; g < 8; ++g) av[t][g] = _mm512_load_si512(at[t][b].q[g]);
            for (int r = 0; r < 4; ++r) {
                __m512i isum[TG];
                for (int t = 0; t < TG; ++t)
                    isum[t] = kOff ? _mm512_load_si512(at[t][b].corr) : _mm512_setzero_si512();
                block_dot<TG>(wb, r, av, isum);
                const __m512 dw = _mm512_set1_ps(wb.d[r]);
                for (int t = 0; t < TG; ++t) {
                    const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_load_ps(at[t][b].d));
                    acc[r][t] = _mm512_fmadd_ps(f, dw, acc[r][t]);
                    if constexpr (K::kMin)
                        acc[r][t] = _mm512_fmadd_ps(_mm512_load_ps(at[t][b].s), _mm512_set1_ps(wb.m[r]), acc[r][t]);
                }
            }
        }
        finish_tile<1, TG>(acc, out);
    }
};

thread_local Scratch t_outer_a, t_outer_w, t_outer_c;

template <typename K>
void gemm_outer(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    using O = Outer<K>;
    using Blk = typename O::Blk;
    const int64_t nb = n / 32;
    // Token chunk: the interleaved activations of all of n take at most ~4 MB.
    const int64_t nc = std::clamp<int64_t>((int64_t{4} << 20) / (nb * (sizeof(OuterAct) / 16)) / 16 * 16, 16, kNC);
    const int64_t nc_max = std::min<int64_t>(nc, (n_tok + 15) / 16 * 16);
    auto* A = reinterpret_cast<OuterAct*>(t_outer_a.get(static_cast<size_t>(nc_max / 16 * nb) * sizeof(OuterAct)));
    auto* W = reinterpret_cast<Blk*>(t_outer_w.get(static_cast<size_t>(kMC / 4 * kKC) * sizeof(Blk)));
    const size_t c_stride = static_cast<size_t>(nc_max);
    float* C = nb > kKC ? reinterpret_cast<float*>(t_outer_c.get(static_cast<size_t>(kMC) * c_stride * sizeof(float)))
                        : nullptr;
    for (int64_t t0 = 0; t0 < n_tok; t0 += nc) {
        const int64_t nt = std::min<int64_t>(nc, n_tok - t0);
        const int ng = static_cast<int>((nt + 15) / 16);
        O::pack_acts(a, a_stride, t0, n_tok, ng, nb, A);
        for (int64_t r0 = 0; r0 < n_rows; r0 += kMC) {
            const int64_t nr = std::min<int64_t>(kMC, n_rows - r0);
            const int64_t ntile = (nr + 3) / 4;
            for (int64_t b0 = 0; b0 < nb; b0 += kKC) {
                const int nbk = static_cast<int>(std::min<int64_t>(kKC, nb - b0));
                const bool last = b0 + nbk == nb;
                for (int64_t rt = 0; rt < ntile; ++rt)
                    O::unpack(w, w_stride, r0 + 4 * rt, n_rows, b0, nbk, W + rt * kKC);
                for (int g = 0; g < ng; g += 2) {
                    const OuterAct* at[2] = {A + g * nb + b0, A + (g + 1) * nb + b0};
                    for (int64_t rt = 0; rt < ntile; ++rt) {
                        TileOut out;
                        out.c = C ? C + 4 * rt * c_stride + 16 * g : nullptr;
                        out.c_stride = c_stride;
                        out.first = b0 == 0;
                        out.y = last ? y + (t0 + 16 * g) * y_stride + r0 + 4 * rt : nullptr;
                        out.y_stride = y_stride;
                        out.rows = static_cast<int>(std::min<int64_t>(4, nr - 4 * rt));
                        out.toks = static_cast<int>(std::min<int64_t>(32, nt - 16 * g));
                        if (g + 1 < ng) O::template micro<2>(W + rt * kKC, at, nbk, out);
                        else O::template micro<1>(W + rt * kKC, at, nbk, out);
                    }
                }
            }
        }
    }
}

template <typename K>
void gemm_legacy(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                 int64_t n_tok, float* y, int64_t y_stride) {
    if (n == 0) return zero_output(n_rows, n_tok, y, y_stride);
    if (n_tok >= kOuterMinTok) gemm_outer<K>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
    else gemm_quads<K>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
}

// ---- float weights (F32, F16, BF16) with F32 activations ------------------------------------

struct F32L {
    static constexpr int kSize = 4;
    static __m512 load(const uint8_t* p) { return _mm512_loadu_ps(p); }
    static __m512 load_tail(const uint8_t* p, __mmask16 k) { return _mm512_maskz_loadu_ps(k, p); }
};
struct F16L {
    static constexpr int kSize = 2;
    static __m512 load(const uint8_t* p) { return _mm512_cvtph_ps(load256(p)); }
    static __m512 load_tail(const uint8_t* p, __mmask16 k) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, p)); }
};
struct BF16L {
    static constexpr int kSize = 2;
    static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
    static __m512 load(const uint8_t* p) { return widen(load256(p)); }
    static __m512 load_tail(const uint8_t* p, __mmask16 k) { return widen(_mm256_maskz_loadu_epi16(k, p)); }
};

// R rows x NT tokens, dot products over all of n.
template <typename L, int R, int NT>
void float_tile(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* const* act, float* y, int64_t y_stride) {
    __m512 acc[R][NT];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 wv[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = w + r * w_stride + i * L::kSize;
            _mm_prefetch(reinterpret_cast<const char*>(p) + kPrefetch, _MM_HINT_T0);
            wv[r] = L::load(p);
        }
        for (int t = 0; t < NT; ++t) {
            const __m512 av = _mm512_loadu_ps(act[t] + 4 * i);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], av, acc[r][t]);
        }
    }
    if (i < n) {
        const __mmask16 k = static_cast<__mmask16>((1u << (n - i)) - 1);
        __m512 wv[R];
        for (int r = 0; r < R; ++r) wv[r] = L::load_tail(w + r * w_stride + i * L::kSize, k);
        for (int t = 0; t < NT; ++t) {
            const __m512 av = _mm512_maskz_loadu_ps(k, act[t] + 4 * i);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], av, acc[r][t]);
        }
    }
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < R; ++r) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[r][t]);
}

template <typename L, int NT>
void float_rows(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* const* act, float* y,
                int64_t y_stride) {
    constexpr int R = 4;
    int64_t r = 0;
    for (; r + R <= n_rows; r += R) float_tile<L, R, NT>(n, w + r * w_stride, w_stride, act, y + r, y_stride);
    for (; r < n_rows; ++r) float_tile<L, 1, NT>(n, w + r * w_stride, w_stride, act, y + r, y_stride);
}

template <typename L>
void gemm_float_dot(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                    int64_t n_tok, float* y, int64_t y_stride) {
    for (int64_t t0 = 0; t0 < n_tok; t0 += 4) {
        const uint8_t* act[4];
        const int nt = static_cast<int>(std::min<int64_t>(4, n_tok - t0));
        for (int t = 0; t < nt; ++t) act[t] = a + (t0 + t) * a_stride;
        float* yt = y + t0 * y_stride;
        switch (nt) {
            case 1: float_rows<L, 1>(n, w, w_stride, n_rows, act, yt, y_stride); break;
            case 2: float_rows<L, 2>(n, w, w_stride, n_rows, act, yt, y_stride); break;
            case 3: float_rows<L, 3>(n, w, w_stride, n_rows, act, yt, y_stride); break;
            default: float_rows<L, 4>(n, w, w_stride, n_rows, act, yt, y_stride); break;
        }
    }
}

// Many tokens: as for the block types, tokens in the lanes. The activations of 16
// tokens are interleaved per value (A[g][i][16]) and each weight is broadcast, so the
// micro-kernel is kFR x 16 * TG fused multiply-adds per value, no horizontal sums. F32
// rows are read in place; F16 / BF16 rows are converted per cache block of kFMC rows x
// kFKC values (into W, L2), so the conversion is paid once per token chunk.
constexpr int kFR = 8;     // rows per micro-tile (a multiple of 4)
constexpr int kFTG = 3;    // token groups of 16 per micro-tile
constexpr int kFMC = 192;  // rows per chunk (a multiple of kFR)
constexpr int kFKC = 128;  // values per cache block (A: kFTG * 16 * kFKC floats in L1)

inline __m512 bcast_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_ps(v);
}

// Rows wr[0..kFR) (F32, at the block's first value) x TG token groups, to `out`.
template <int TG>
void float_micro(const uint8_t* const* wr, const float* at, size_t g_stride, int nk, const TileOut& out) {
    __m512 acc[kFR][TG];
    for (int r = 0; r < kFR; ++r)
        for (int t = 0; t < TG; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int i = 0; i < nk; ++i) {
        __m512 av[TG];
        for (int t = 0; t < TG; ++t) av[t] = _mm512_load_ps(at + t * g_stride + 16 * i);
        for (int r = 0; r < kFR; ++r) {
            const __m512 wb = bcast_f32(wr[r] + 4 * i);
            for (int t = 0; t < TG; ++t) acc[r][t] = _mm512_fmadd_ps(wb, av[t], acc[r][t]);
        }
    }
    finish_tile<kFR / 4, TG>(acc, out);
}

using FloatMicroFn = void (*)(const uint8_t* const*, const float*, size_t, int, const TileOut&);
constexpr FloatMicroFn kFloatMicros[kFTG + 1] = {nullptr, float_micro<1>, float_micro<2>, float_micro<3>};

thread_local Scratch t_float_a, t_float_w, t_float_c;

template <typename L>
void gemm_float_outer(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                      size_t a_stride, int64_t n_tok, float* y, int64_t y_stride) {
    // Token chunk: the interleaved activations of all of n take at most ~4 MB.
    const int64_t nc = std::clamp<int64_t>((int64_t{1} << 20) / n / 16 * 16, 16, 256);
    const int64_t nc_max = std::min<int64_t>(nc, (n_tok + 15) / 16 * 16);
    const int64_t n_pad = (n + kFKC - 1) / kFKC * kFKC;
    // floats per token group; the extra line keeps the groups off the same L1 sets
    const size_t g_stride = static_cast<size_t>(n_pad) * 16 + 16;
    auto* A = reinterpret_cast<float*>(t_float_a.get(static_cast<size_t>(nc_max / 16) * g_stride * sizeof(float)));
    constexpr bool kConvert = L::kSize != 4;
    // converted rows, then one zero row for the padding rows of the last micro-tile
    auto* W = reinterpret_cast<float*>(t_float_w.get(static_cast<size_t>(kFMC + 1) * kFKC * sizeof(float)));
    float* zero_row = W + kFMC * kFKC;
    std::memset(zero_row, 0, kFKC * sizeof(float));
    const size_t c_stride = static_cast<size_t>(nc_max);
    float* C = n > kFKC ? reinterpret_cast<float*>(t_float_c.get(static_cast<size_t>(kFMC) * c_stride * sizeof(float)))
                        : nullptr;
    for (int64_t t0 = 0; t0 < n_tok; t0 += nc) {
        const int64_t nt = std::min<int64_t>(nc, n_tok - t0);
        const int ng = static_cast<int>((nt + 15) / 16);
        for (int g = 0; g < ng; ++g) {  // interleave (zero for tokens past the end and n..n_pad)
            float* ag = A + g * g_stride;
            std::memset(ag, 0, g_stride * sizeof(float));
            const int64_t gt = std::min<int64_t>(16, nt - 16 * g);
            for (int64_t j = 0; j < gt; ++j) {
                const uint8_t* row = a + (t0 + 16 * g + j) * a_stride;
                for (int64_t i = 0; i < n; ++i) std::memcpy(ag + 16 * i + j, row + 4 * i, 4);
            }
        }
        for (int64_t r0 = 0; r0 < n_rows; r0 += kFMC) {
            const int64_t nr = std::min<int64_t>(kFMC, n_rows - r0);
            const int64_t ntile = (nr + kFR - 1) / kFR;
            for (int64_t i0 = 0; i0 < n; i0 += kFKC) {
                const int nk = static_cast<int>(std::min<int64_t>(kFKC, n - i0));
                for (int64_t r = 0; r < nr; ++r) {
                    const uint8_t* src = w + (r0 + r) * w_stride + i0 * L::kSize;
                    if (r + 4 < nr) prefetch_run(src + 4 * w_stride, static_cast<size_t>(nk) * L::kSize);
                    if constexpr (kConvert) {
                        float* dst = W + r * kFKC;
                        int i = 0;
                        for (; i + 16 <= nk; i += 16) _mm512_store_ps(dst + i, L::load(src + i * L::kSize));
                        if (i < nk)
                            _mm512_store_ps(dst + i, L::load_tail(src + i * L::kSize,
                                                                  static_cast<__mmask16>((1u << (nk - i)) - 1)));
                    }
                }
                for (int g = 0; g < ng; g += kFTG) {
                    const int tg = std::min(kFTG, ng - g);
                    const float* at = A + g * g_stride + 16 * i0;
                    for (int64_t rt = 0; rt < ntile; ++rt) {
                        const uint8_t* wr[kFR];
                        for (int r = 0; r < kFR; ++r) {
                            const int64_t row = rt * kFR + r;
                            if (row >= nr) wr[r] = reinterpret_cast<const uint8_t*>(zero_row);
                            else if (kConvert) wr[r] = reinterpret_cast<const uint8_t*>(W + row * kFKC);
                            else wr[r] = w + (r0 + row) * w_stride + i0 * 4;
                        }
                        TileOut out;
                        out.c = C ? C + rt * kFR * c_stride + 16 * g : nullptr;
                        out.c_stride = c_stride;
                        out.first = i0 == 0;
                        out.y = i0 + nk == n ? y + (t0 + 16 * g) * y_stride + r0 + rt * kFR : nullptr;
                        out.y_stride = y_stride;
                        out.rows = static_cast<int>(std::min<int64_t>(kFR, nr - rt * kFR));
                        out.toks = static_cast<int>(std::min<int64_t>(16 * tg, nt - 16 * g));
                        kFloatMicros[tg](wr, at, g_stride, nk, out);
                    }
                }
            }
        }
    }
}

template <typename L>
void gemm_float(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    if (n == 0) return zero_output(n_rows, n_tok, y, y_stride);
    if (n_tok >= kOuterMinTok) gemm_float_outer<L>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
    else gemm_float_dot<L>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
}

}  // namespace

#if PARETO_VNNI
void kernel_registry::avx512vnni_legacy(KernelTable& t) {
#else
void kernel_registry::avx512_legacy(KernelTable& t) {
#endif
    auto set = [&](DType type, GemmFn fn) { t.gemm[static_cast<size_t>(type)] = fn; };
    set(DType::F32, gemm_float<F32L>);
    set(DType::F16, gemm_float<F16L>);
    set(DType::BF16, gemm_float<BF16L>);
    set(DType::Q4_0, gemm_legacy<Q4_0K>);
    set(DType::Q4_1, gemm_legacy<Q4_1K>);
    set(DType::Q5_0, gemm_legacy<Q5_0K>);
    set(DType::Q5_1, gemm_legacy<Q5_1K>);
    set(DType::Q8_0, gemm_legacy<Q8_0K>);
    t.quantize_act[static_cast<size_t>(ActFormat::Q8A)] = quantize_q8a;
}

}  // namespace pareto
