// AVX2 (+FMA, F16C) matrix products for the float and legacy block types, and the Q8A
// quantizer. The same scheme as avx512_legacy.cpp at half the width and with 16
// registers: few tokens use dot products over pairs of blocks (tiles of 4 rows x 1-2
// tokens or 2 rows x 3-4 tokens); from kOuterMinTok tokens on, 8 tokens go in the lanes
// of a vector against broadcast weights unpacked once per cache block (micro-tile 4 rows
// x 16 tokens, for the float types 4 rows x 16 tokens of F32). There is no VNNI here:
// byte products go through vpmaddubsw (unsigned x signed, int16 pair sums), and every
// use below keeps |u0 s0 + u1 s1| and the int16 sums of several within int16, so the
// integer part stays exact.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "tensor/kernels.h"
#include "tensor/kernels/legacy_common.h"

namespace pareto {
namespace {

inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 32 bits to 32 bytes: byte j is 0xff where bit j is set.
inline __m256i bits_to_bytes(uint32_t bits) {
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                          _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll,
                                                             0x0303030303030303ll));
    const __m256i sel = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, sel), sel);
}

// Where the micro-kernels of the many-token paths put a tile of 4 rows x 8 * TG tokens
// (see avx512_legacy.cpp): partial sums to C, or, for the last cache block of n, the
// sum transposed into y.
struct TileOut {
    float* c;
    size_t c_stride;
    bool first;  // C holds nothing yet
    float* y;    // set for the last cache block
    int64_t y_stride;
    int rows;    // rows of the tile that exist
    int toks;    // tokens of the tile that exist
};

template <int TG>
inline void finish_tile(__m256 (&acc)[4][TG], const TileOut& o) {
    if (!o.first)
        for (int r = 0; r < 4; ++r)
            for (int g = 0; g < TG; ++g)
                acc[r][g] = _mm256_add_ps(acc[r][g], _mm256_load_ps(o.c + r * o.c_stride + 8 * g));
    if (!o.y) {
        for (int r = 0; r < 4; ++r)
            for (int g = 0; g < TG; ++g) _mm256_store_ps(o.c + r * o.c_stride + 8 * g, acc[r][g]);
        return;
    }
    const __m128i km = _mm_cmpgt_epi32(_mm_set1_epi32(o.rows), _mm_setr_epi32(0, 1, 2, 3));
    for (int g = 0; g < TG; ++g) {
        // 4 rows x 8 tokens -> 8 tokens x 4 rows: v[k] half L is token 4L + k
        const __m256 t0 = _mm256_unpacklo_ps(acc[0][g], acc[1][g]), t1 = _mm256_unpackhi_ps(acc[0][g], acc[1][g]);
        const __m256 t2 = _mm256_unpacklo_ps(acc[2][g], acc[3][g]), t3 = _mm256_unpackhi_ps(acc[2][g], acc[3][g]);
        const __m256 v[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xee),
                             _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xee)};
        for (int k = 0; k < 4; ++k) {
            const __m128 l[2] = {_mm256_castps256_ps128(v[k]), _mm256_extractf128_ps(v[k], 1)};
            for (int L = 0; L < 2; ++L) {
                const int t = 8 * g + 4 * L + k;
                if (t < o.toks) _mm_maskstore_ps(o.y + t * o.y_stride, km, l[L]);
            }
        }
    }
}

// Prefetches bytes [p, p + bytes) into L1, for a short run of a weight row read next.
inline void prefetch_run(const uint8_t* p, size_t bytes) {
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(p) + off, _MM_HINT_T0);
}

// ---- Q8A activations ---------------------------------------------------------------

// Bit-identical to the scalar quantizer (see avx512_legacy.cpp).
void quantize_q8a(const float* x, uint8_t* out, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / 32; ++i) {
        __m256 xs[4];
        __m256 m = _mm256_setzero_ps();
        for (int h = 0; h < 4; ++h) {
            xs[h] = _mm256_loadu_ps(x + 32 * i + 8 * h);
            m = _mm256_max_ps(_mm256_andnot_ps(sign, xs[h]), m);  // a NaN |x| is dropped
        }
        const float d = hmax(m) / 127.0f;
        BlockQ8A b;
        b.d = d;
        if (d == 0.0f) {
            std::memset(b.qs, 0, 32);
            b.s = 0.0f;
        } else {
            const __m256 vd = _mm256_set1_ps(d);
            __m256i q[4];
            for (int h = 0; h < 4; ++h) {
                __m256 v = _mm256_div_ps(xs[h], vd);
                v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
                const __m256i t = _mm256_cvttps_epi32(v);
                const __m256 frac = _mm256_sub_ps(v, _mm256_cvtepi32_ps(t));
                // compare masks are -1 where true: t - up + down
                const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
                const __m256i down = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ));
                q[h] = _mm256_add_epi32(_mm256_sub_epi32(t, up), down);
            }
            const __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
            // int32 -> int8 without saturation effects (|q| <= 127), back in order
            const __m256i w01 = _mm256_packs_epi32(q[0], q[1]), w23 = _mm256_packs_epi32(q[2], q[3]);
            const __m256i b8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w01, w23),
                                                           _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(b.qs), b8);
            b.s = d * static_cast<float>(hsum_epi32(s));
        }
        std::memcpy(out + i * sizeof(BlockQ8A), &b, sizeof b);
    }
}

// ---- legacy weights, few tokens: two blocks ("a pair") at a time --------------------------
//
// A pair of weight blocks is unpacked into two vectors of 32 unsigned bytes: lo holds
// values 0..15 of both blocks, hi values 16..31, so lanes 0-3 of the int32 sums belong
// to block 0 and lanes 4-7 to block 1 in both. The unsigned weights are the block's
// integers plus kOff; PairAct::corr = -kOff * (sum of the lane's activations) restores
// sum(w * q) exactly. Q8_0 stays signed: vpmaddubsw takes |w| and the activations get
// w's sign (|w| <= 128, |q| <= 127: pair sums fit int16).

struct alignas(32) PairAct {
    int8_t lo[32];
    int8_t hi[32];
    int32_t corr[8];
    float d[8];   // each block's d, 4 times
    float s4[8];  // each block's s / 4, 4 times
};

struct Pair {
    __m256i lo, hi;
    __m256 d, m;
};

// [h0 x4, h1 x4] as floats; for the _1 types also [m0 x4, m1 x4].
inline __m256 halves_x4(uint32_t h01) {
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(h01)));
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(f), _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
}
inline void halves_x4(uint64_t h0123, __m256& a, __m256& b) {
    const __m256 f = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(h0123))));
    a = _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
    b = _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3));
}

inline void split_nibbles(__m256i q, Pair& o) {
    const __m256i m4 = _mm256_set1_epi8(15);
    o.lo = _mm256_and_si256(q, m4);
    o.hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
}

inline __m256i load2x16(const uint8_t* p, int stride) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(load128(p)), load128(p + stride), 1);
}

// Fifth bits of a Q5 pair from the two qh words.
inline void add_fifth_bits(uint32_t qh0, uint32_t qh1, Pair& o) {
    const __m256i b4 = _mm256_set1_epi8(16);
    o.lo = _mm256_or_si256(o.lo, _mm256_and_si256(bits_to_bytes((qh0 & 0xffff) | (qh1 << 16)), b4));
    o.hi = _mm256_or_si256(o.hi, _mm256_and_si256(bits_to_bytes((qh0 >> 16) | (qh1 & 0xffff0000u)), b4));
}

struct Q4_0K {
    static constexpr int kBytes = 18;
    static constexpr int kOff = 8;
    static constexpr bool kMin = false;
    static void load(const uint8_t* p, Pair& o) {
        split_nibbles(load2x16(p + 2, 18), o);
        o.d = halves_x4(load_u16(p) | static_cast<uint32_t>(load_u16(p + 18)) << 16);
    }
};

struct Q4_1K {
    static constexpr int kBytes = 20;
    static constexpr int kOff = 0;
    static constexpr bool kMin = true;
    static void load(const uint8_t* p, Pair& o) {
        split_nibbles(load2x16(p + 4, 20), o);
        const uint64_t h = load_u16(p) | static_cast<uint64_t>(load_u16(p + 20)) << 16 |
                           static_cast<uint64_t>(load_u16(p + 2)) << 32 |
                           static_cast<uint64_t>(load_u16(p + 22)) << 48;
        halves_x4(h, o.d, o.m);
    }
};

struct Q5_0K {
    static constexpr int kBytes = 22;
    static constexpr int kOff = 16;
    static constexpr bool kMin = false;
    static void load(const uint8_t* p, Pair& o) {
        split_nibbles(load2x16(p + 6, 22), o);
        add_fifth_bits(load_u32(p + 2), load_u32(p + 24), o);
        o.d = halves_x4(load_u16(p) | static_cast<uint32_t>(load_u16(p + 22)) << 16);
    }
};

struct Q5_1K {
    static constexpr int kBytes = 24;
    static constexpr int kOff = 0;
    static constexpr bool kMin = true;
    static void load(const uint8_t* p, Pair& o) {
        split_nibbles(load2x16(p + 8, 24), o);
        add_fifth_bits(load_u32(p + 4), load_u32(p + 28), o);
        const uint64_t h = load_u16(p) | static_cast<uint64_t>(load_u16(p + 24)) << 16 |
                           static_cast<uint64_t>(load_u16(p + 2)) << 32 |
                           static_cast<uint64_t>(load_u16(p + 26)) << 48;
        halves_x4(h, o.d, o.m);
    }
};

struct Q8_0K {
    static constexpr int kBytes = 34;
    static constexpr int kOff = 0;
    static constexpr bool kMin = false;
    static void load(const uint8_t* p, Pair& o) {
        const __m256i y0 = load256(p + 2), y1 = load256(p + 36);
        o.lo = _mm256_permute2x128_si256(y0, y1, 0x20);
        o.hi = _mm256_permute2x128_si256(y0, y1, 0x31);
        o.d = halves_x4(load_u16(p) | static_cast<uint32_t>(load_u16(p + 34)) << 16);
    }
};

template <typename K>
inline __m256i pair_dot(const Pair& w, const PairAct* a) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i alo = _mm256_load_si256(reinterpret_cast<const __m256i*>(a->lo));
    const __m256i ahi = _mm256_load_si256(reinterpret_cast<const __m256i*>(a->hi));
    if constexpr (std::is_same_v<K, Q8_0K>) {
        const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w.lo, w.lo),
                                                                  _mm256_sign_epi8(alo, w.lo)), ones);
        const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w.hi, w.hi),
                                                                  _mm256_sign_epi8(ahi, w.hi)), ones);
        return _mm256_add_epi32(p0, p1);
    } else {
        // weights <= 31: both pair sums together stay within int16
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(w.lo, alo), _mm256_maddubs_epi16(w.hi, ahi));
        const __m256i s = _mm256_madd_epi16(p, ones);
        if constexpr (K::kOff != 0)
            return _mm256_add_epi32(s, _mm256_load_si256(reinterpret_cast<const __m256i*>(a->corr)));
        else
            return s;
    }
}

template <typename K>
void pack_pairs(const uint8_t* a, int64_t nb, PairAct* out) {
    const int64_t np = (nb + 1) / 2;
    for (int64_t q = 0; q < np; ++q) {
        PairAct& o = out[q];
        const int nblk = static_cast<int>(std::min<int64_t>(2, nb - 2 * q));
        for (int k = 0; k < 2; ++k) {
            BlockQ8A b{};
            if (k < nblk) std::memcpy(&b, a + (2 * q + k) * sizeof(BlockQ8A), sizeof b);
            std::memcpy(o.lo + 16 * k, b.qs, 16);
            std::memcpy(o.hi + 16 * k, b.qs + 16, 16);
            for (int j = 0; j < 4; ++j) {
                o.d[4 * k + j] = b.d;
                o.s4[4 * k + j] = b.s * 0.25f;
            }
        }
        if constexpr (K::kOff != 0) {
            const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
            const __m256i lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(o.lo));
            const __m256i hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(o.hi));
            const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, lo), ones16),
                                                 _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, hi), ones16));
            _mm256_store_si256(reinterpret_cast<__m256i*>(o.corr), _mm256_mullo_epi32(sum, _mm256_set1_epi32(-K::kOff)));
        }
    }
}

// Software prefetch distance along each weight row, in bytes: rows are short streams
// (a few hundred bytes to a few KB), too short for the hardware prefetcher to ramp up.
// Every cache line two steps read is prefetched (four Q8_0 blocks span three lines);
// 2 KB ahead measured best streaming from DRAM (bench_decode_stream).
constexpr int kPrefetch = 2048;

template <int kStepBytes>
inline void prefetch_step(const uint8_t* p) {
    for (int off = 0; off < kStepBytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(p) + kPrefetch + off, _MM_HINT_T0);
}

template <typename K, int R, int NT>
void pair_tile(const uint8_t* w, size_t w_stride, int64_t nb, const PairAct* const* act, float* y, int64_t y_stride) {
    __m256 acc[R][NT];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm256_setzero_ps();
    auto step = [&](int r, int64_t q, const Pair& wq) {
        for (int t = 0; t < NT; ++t) {
            const PairAct* a = act[t] + q;
            const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(pair_dot<K>(wq, a)), _mm256_load_ps(a->d));
            acc[r][t] = _mm256_fmadd_ps(f, wq.d, acc[r][t]);
            if constexpr (K::kMin) acc[r][t] = _mm256_fmadd_ps(wq.m, _mm256_load_ps(a->s4), acc[r][t]);
        }
    };
    const int64_t np_full = nb / 2;
    for (int64_t q = 0; q < np_full; ++q)
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = w + r * w_stride + q * 2 * K::kBytes;
            if (q % 2 == 0) prefetch_step<4 * K::kBytes>(p);
            Pair wq;
            K::load(p, wq);
            step(r, q, wq);
        }
    if (nb % 2) {
        for (int r = 0; r < R; ++r) {
            alignas(32) uint8_t buf[2 * 34 + 32] = {};
            std::memcpy(buf, w + r * w_stride + np_full * 2 * K::kBytes, K::kBytes);
            Pair wq;
            K::load(buf, wq);
            step(r, np_full, wq);
        }
    }
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < R; ++r) y[t * y_stride + r] = hsum(acc[r][t]);
}

template <typename K, int NT>
void pair_rows(int64_t nb, const uint8_t* w, size_t w_stride, int64_t n_rows, const PairAct* const* act, float* y,
               int64_t y_stride) {
    // One token (decode) goes row by row: one sequential weight stream per thread is
    // served faster from DRAM than four interleaved ones (see avx512_legacy.cpp).
    constexpr int R = NT == 1 ? 1 : NT == 2 ? 4 : 2;
    int64_t r = 0;
    for (; r + R <= n_rows; r += R) pair_tile<K, R, NT>(w + r * w_stride, w_stride, nb, act, y + r, y_stride);
    for (; r < n_rows; ++r) pair_tile<K, 1, NT>(w + r * w_stride, w_stride, nb, act, y + r, y_stride);
}

thread_local Scratch t_act_scratch;

template <typename K>
void gemm_pairs(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / 32, np = (nb + 1) / 2;
    auto* packed = reinterpret_cast<PairAct*>(t_act_scratch.get(static_cast<size_t>(n_tok * np) * sizeof(PairAct)));
    for (int64_t t = 0; t < n_tok; ++t) pack_pairs<K>(a + t * a_stride, nb, packed + t * np);
    for (int64_t t0 = 0; t0 < n_tok; t0 += 4) {
        const PairAct* act[4];
        const int nt = static_cast<int>(std::min<int64_t>(4, n_tok - t0));
        for (int t = 0; t < nt; ++t) act[t] = packed + (t0 + t) * np;
        float* yt = y + t0 * y_stride;
        switch (nt) {
            case 1: pair_rows<K, 1>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 2: pair_rows<K, 2>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 3: pair_rows<K, 3>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            default: pair_rows<K, 4>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
        }
    }
}

// ---- legacy weights, many tokens: 8 tokens in the lanes ------------------------------------
//
// As in avx512_legacy.cpp: activations of 8 tokens interleaved per 4-byte group of a
// block (OuterAct), weights unpacked per cache block into natural-order unsigned bytes
// (Q8_0 as the two nibbles of w + 128, the high one weighted 16) and broadcast. The
// int16 pair sums of up to 8 groups (4-bit weights) or 4 (5-bit) are added before
// widening, which stays within int16.

constexpr int kOuterMinTok = 8;  // below this, dot products (at 8 the packed path already wins)
constexpr int kNC = 512;  // at most this many tokens per chunk (a multiple of 8)
constexpr int kMC = 256;  // rows per chunk (a multiple of 4)
constexpr int kKC = 16;   // blocks per cache block

struct alignas(32) OuterAct {  // one block of 8 tokens
    int8_t q[8][32];           // q[g][4 * j + k] = value 4 * g + k of token j
    int32_t corr[8];
    float d[8];
    float s[8];
};

template <int P>
struct alignas(32) WBlk {
    uint8_t q[P][4][32];
    float d[4];
    float m[4];
};

inline __m256i nibbles_natural(const uint8_t* qs) {
    const __m128i x = load128(qs), m4 = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m4), _mm_and_si128(x, m4));
}
inline __m256i with_fifth_bits(__m256i v, uint32_t qh) {
    return _mm256_or_si256(v, _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(16)));
}

template <typename K>
inline __m256i unpack_natural(const uint8_t* p);
template <>
inline __m256i unpack_natural<Q4_0K>(const uint8_t* p) { return nibbles_natural(p + 2); }
template <>
inline __m256i unpack_natural<Q4_1K>(const uint8_t* p) { return nibbles_natural(p + 4); }
template <>
inline __m256i unpack_natural<Q5_0K>(const uint8_t* p) { return with_fifth_bits(nibbles_natural(p + 6), load_u32(p + 2)); }
template <>
inline __m256i unpack_natural<Q5_1K>(const uint8_t* p) { return with_fifth_bits(nibbles_natural(p + 8), load_u32(p + 4)); }
template <>
inline __m256i unpack_natural<Q8_0K>(const uint8_t* p) { return _mm256_xor_si256(load256(p + 2), _mm256_set1_epi8(-128)); }

template <typename K>
struct Outer {
    static constexpr bool kQ8 = std::is_same_v<K, Q8_0K>;
    static constexpr int kOff = kQ8 ? 128 : K::kOff;
    static constexpr int kPlanes = kQ8 ? 2 : 1;
    static constexpr int kRun = (std::is_same_v<K, Q5_0K> || std::is_same_v<K, Q5_1K>) ? 4 : 8;
    using Blk = WBlk<kPlanes>;

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

    static void pack_acts(const uint8_t* a, size_t a_stride, int64_t t0, int64_t n_tok, int ng, int64_t nb,
                          OuterAct* out) {
        for (int g = 0; g < ng; ++g) {
            const int64_t tg = t0 + 8 * g;
            const int nt = static_cast<int>(std::min<int64_t>(8, n_tok - tg));
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
                    __m256i sum = _mm256_setzero_si256();
                    for (int gg = 0; gg < 8; ++gg)
                        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(
                            _mm256_maddubs_epi16(_mm256_set1_epi8(1),
                                                 _mm256_load_si256(reinterpret_cast<const __m256i*>(o.q[gg]))),
                            _mm256_set1_epi16(1)));
                    _mm256_store_si256(reinterpret_cast<__m256i*>(o.corr),
                                       _mm256_mullo_epi32(sum, _mm256_set1_epi32(-kOff)));
                }
            }
        }
    }

    // Rows 0..3 of the tile x tokens of TG groups of 8, over nbk blocks, to `out`.
    // Activations are memory operands: 16 registers hold the accumulators and sums.
    template <int TG>
    static void micro(const Blk* wt, const OuterAct* const* at, int nbk, const TileOut& out) {
        const __m256i ones = _mm256_set1_epi16(1);
        __m256 acc[4][TG];
        for (int r = 0; r < 4; ++r)
            for (int t = 0; t < TG; ++t) acc[r][t] = _mm256_setzero_ps();
        for (int b = 0; b < nbk; ++b) {
            const Blk& wb = wt[b];
            for (int r = 0; r < 4; ++r) {
                __m256i isum[TG];
                for (int t = 0; t < TG; ++t)
                    isum[t] = _mm256_load_si256(reinterpret_cast<const __m256i*>(at[t][b].corr));
                for (int pl = 0; pl < kPlanes; ++pl)
                    for (int g0 = 0; g0 < 8; g0 += kRun) {
                        __m256i s16[TG];
                        for (int g = g0; g < g0 + kRun; ++g) {
                            const __m256i wv = _mm256_set1_epi32(static_cast<int>(load_u32(wb.q[pl][r] + 4 * g)));
                            for (int t = 0; t < TG; ++t) {
                                const __m256i pr = _mm256_maddubs_epi16(
                                    wv, _mm256_load_si256(reinterpret_cast<const __m256i*>(at[t][b].q[g])));
                                s16[t] = g == g0 ? pr : _mm256_add_epi16(s16[t], pr);
                            }
                        }
                        for (int t = 0; t < TG; ++t) {
                            __m256i s32 = _mm256_madd_epi16(s16[t], ones);
                            if (pl == 1) s32 = _mm256_slli_epi32(s32, 4);
                            isum[t] = _mm256_add_epi32(isum[t], s32);
                        }
                    }
                const __m256 dw = _mm256_set1_ps(wb.d[r]);
                for (int t = 0; t < TG; ++t) {
                    const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_load_ps(at[t][b].d));
                    acc[r][t] = _mm256_fmadd_ps(f, dw, acc[r][t]);
                    if constexpr (K::kMin)
                        acc[r][t] = _mm256_fmadd_ps(_mm256_load_ps(at[t][b].s), _mm256_set1_ps(wb.m[r]), acc[r][t]);
                }
            }
        }
        finish_tile<TG>(acc, out);
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
    const int64_t nc = std::clamp<int64_t>((int64_t{4} << 20) / (nb * (sizeof(OuterAct) / 8)) / 8 * 8, 8, kNC);
    const int64_t nc_max = std::min<int64_t>(nc, (n_tok + 7) / 8 * 8);
    auto* A = reinterpret_cast<OuterAct*>(t_outer_a.get(static_cast<size_t>(nc_max / 8 * nb) * sizeof(OuterAct)));
    auto* W = reinterpret_cast<Blk*>(t_outer_w.get(static_cast<size_t>(kMC / 4 * kKC) * sizeof(Blk)));
    const size_t c_stride = static_cast<size_t>(nc_max);
    float* C = nb > kKC ? reinterpret_cast<float*>(t_outer_c.get(static_cast<size_t>(kMC) * c_stride * sizeof(float)))
                        : nullptr;
    for (int64_t t0 = 0; t0 < n_tok; t0 += nc) {
        const int64_t nt = std::min<int64_t>(nc, n_tok - t0);
        const int ng = static_cast<int>((nt + 7) / 8);
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
                        out.c = C ? C + 4 * rt * c_stride + 8 * g : nullptr;
                        out.c_stride = c_stride;
                        out.first = b0 == 0;
                        out.y = last ? y + (t0 + 8 * g) * y_stride + r0 + 4 * rt : nullptr;
                        out.y_stride = y_stride;
                        out.rows = static_cast<int>(std::min<int64_t>(4, nr - 4 * rt));
                        out.toks = static_cast<int>(std::min<int64_t>(16, nt - 8 * g));
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
    else gemm_pairs<K>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
}

// ---- float weights (F32, F16, BF16) with F32 activations ------------------------------------

struct F32L {
    static constexpr int kSize = 4;
    static __m256 load(const uint8_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }
};
struct F16L {
    static constexpr int kSize = 2;
    static __m256 load(const uint8_t* p) { return _mm256_cvtph_ps(load128(p)); }
};
struct BF16L {
    static constexpr int kSize = 2;
    static __m256 load(const uint8_t* p) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
    }
};

// The last n % 8 values of a row, zero-padded to 8.
template <typename L>
inline __m256 load_tail(const uint8_t* p, int count) {
    alignas(32) uint8_t buf[32] = {};
    std::memcpy(buf, p, static_cast<size_t>(count) * L::kSize);
    return L::load(buf);
}

// R rows x NT tokens, dot products over all of n.
template <typename L, int R, int NT>
void float_tile(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* const* act, float* y, int64_t y_stride) {
    __m256 acc[R][NT];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wv[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* p = w + r * w_stride + i * L::kSize;
            if (L::kSize == 4 || i % 16 == 0) _mm_prefetch(reinterpret_cast<const char*>(p) + kPrefetch, _MM_HINT_T0);
            wv[r] = L::load(p);
        }
        for (int t = 0; t < NT; ++t) {
            const __m256 av = F32L::load(act[t] + 4 * i);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], av, acc[r][t]);
        }
    }
    if (i < n) {
        const int rest = static_cast<int>(n - i);
        __m256 wv[R];
        for (int r = 0; r < R; ++r) wv[r] = load_tail<L>(w + r * w_stride + i * L::kSize, rest);
        for (int t = 0; t < NT; ++t) {
            const __m256 av = load_tail<F32L>(act[t] + 4 * i, rest);
            for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], av, acc[r][t]);
        }
    }
    for (int t = 0; t < NT; ++t)
        for (int r = 0; r < R; ++r) y[t * y_stride + r] = hsum(acc[r][t]);
}

template <typename L, int NT>
void float_rows(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* const* act, float* y,
                int64_t y_stride) {
    constexpr int R = NT <= 2 ? 4 : (NT == 3 ? 3 : 2);
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

// Many tokens: 8 tokens in the lanes (A[g][i][8]), weights broadcast; F16 / BF16 rows
// converted per cache block (see avx512_legacy.cpp).
constexpr int kFR = 4;     // rows per micro-tile
constexpr int kFTG = 2;    // token groups of 8 per micro-tile
constexpr int kFMC = 192;  // rows per chunk (a multiple of kFR)
constexpr int kFKC = 256;  // values per cache block (A: kFTG * 8 * kFKC floats in L1)

inline __m256 bcast_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_ps(v);
}

template <int TG>
void float_micro(const uint8_t* const* wr, const float* at, size_t g_stride, int nk, const TileOut& out) {
    static_assert(kFR == 4);
    __m256 acc[kFR][TG];
    for (int r = 0; r < kFR; ++r)
        for (int t = 0; t < TG; ++t) acc[r][t] = _mm256_setzero_ps();
    for (int i = 0; i < nk; ++i) {
        __m256 av[TG];
        for (int t = 0; t < TG; ++t) av[t] = _mm256_load_ps(at + t * g_stride + 8 * i);
        for (int r = 0; r < kFR; ++r) {
            const __m256 wb = bcast_f32(wr[r] + 4 * i);
            for (int t = 0; t < TG; ++t) acc[r][t] = _mm256_fmadd_ps(wb, av[t], acc[r][t]);
        }
    }
    finish_tile<TG>(acc, out);
}

thread_local Scratch t_float_a, t_float_w, t_float_c;

template <typename L>
void gemm_float_outer(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a,
                      size_t a_stride, int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nc = std::clamp<int64_t>((int64_t{1} << 20) / n / 8 * 8, 8, 256);
    const int64_t nc_max = std::min<int64_t>(nc, (n_tok + 7) / 8 * 8);
    const int64_t n_pad = (n + kFKC - 1) / kFKC * kFKC;
    const size_t g_stride = static_cast<size_t>(n_pad) * 8 + 16;  // +: groups off the same L1 sets
    auto* A = reinterpret_cast<float*>(t_float_a.get(static_cast<size_t>(nc_max / 8) * g_stride * sizeof(float)));
    constexpr bool kConvert = L::kSize != 4;
    auto* W = reinterpret_cast<float*>(t_float_w.get(static_cast<size_t>(kFMC + 1) * kFKC * sizeof(float)));
    float* zero_row = W + kFMC * kFKC;
    std::memset(zero_row, 0, kFKC * sizeof(float));
    const size_t c_stride = static_cast<size_t>(nc_max);
    float* C = n > kFKC ? reinterpret_cast<float*>(t_float_c.get(static_cast<size_t>(kFMC) * c_stride * sizeof(float)))
                        : nullptr;
    for (int64_t t0 = 0; t0 < n_tok; t0 += nc) {
        const int64_t nt = std::min<int64_t>(nc, n_tok - t0);
        const int ng = static_cast<int>((nt + 7) / 8);
        for (int g = 0; g < ng; ++g) {
            float* ag = A + g * g_stride;
            std::memset(ag, 0, g_stride * sizeof(float));
            const int64_t gt = std::min<int64_t>(8, nt - 8 * g);
            for (int64_t j = 0; j < gt; ++j) {
                const uint8_t* row = a + (t0 + 8 * g + j) * a_stride;
                for (int64_t i = 0; i < n; ++i) std::memcpy(ag + 8 * i + j, row + 4 * i, 4);
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
                        for (; i + 8 <= nk; i += 8) _mm256_store_ps(dst + i, L::load(src + i * L::kSize));
                        if (i < nk) _mm256_store_ps(dst + i, load_tail<L>(src + i * L::kSize, nk - i));
                    }
                }
                for (int g = 0; g < ng; g += kFTG) {
                    const float* at = A + g * g_stride + 8 * i0;
                    for (int64_t rt = 0; rt < ntile; ++rt) {
                        const uint8_t* wr[kFR];
                        for (int r = 0; r < kFR; ++r) {
                            const int64_t row = rt * kFR + r;
                            if (row >= nr) wr[r] = reinterpret_cast<const uint8_t*>(zero_row);
                            else if (kConvert) wr[r] = reinterpret_cast<const uint8_t*>(W + row * kFKC);
                            else wr[r] = w + (r0 + row) * w_stride + i0 * 4;
                        }
                        TileOut out;
                        out.c = C ? C + rt * kFR * c_stride + 8 * g : nullptr;
                        out.c_stride = c_stride;
                        out.first = i0 == 0;
                        out.y = i0 + nk == n ? y + (t0 + 8 * g) * y_stride + r0 + rt * kFR : nullptr;
                        out.y_stride = y_stride;
                        out.rows = static_cast<int>(std::min<int64_t>(kFR, nr - rt * kFR));
                        out.toks = static_cast<int>(std::min<int64_t>(8 * kFTG, nt - 8 * g));
                        if (g + 1 < ng) float_micro<2>(wr, at, g_stride, nk, out);
                        else float_micro<1>(wr, at, g_stride, nk, out);
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

void kernel_registry::avx2_legacy(KernelTable& t) {
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
