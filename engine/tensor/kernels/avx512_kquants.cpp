// K-quant matrix products and the Q8_K quantizer, AVX-512 (F/BW/VL/DQ). Built twice:
// PARETO_VNNI=0 (registers avx512_kquants) and PARETO_VNNI=1 with -mavx512vnni
// (registers avx512vnni_kquants).
//
// Every type is decoded into 4 zmm of unsigned quants (256 values, "kernel order":
// natural, except Q4_K/Q5_K whose 32-value quarters of each 128 run 0,2,1,3 so that
// one zmm load of packed nibbles needs no lane shuffle; activations are permuted to
// match), a vector of integer sub-block scales and the min/offset coefficients.
//
// Integer part of a block in the decode path (exact, as in the scalar reference):
//   VNNI:  t_c = dpbusd(0, q_c, a_c) (int32 sums of 4 products, |t| <= 4*63*128 fits
//          int16) -> packs(t0,t1), packs(t2,t3) -> madd / dpwssd with the sub-block
//          scales laid out to match: 4 dpbusd + 2 packs + 2 multiply-adds per block.
//   plain: maddubs(q_c, a_c) (int16 pair sums, |.| <= 2*63*128, no saturation) ->
//          madd with the scales -> add.
// (The prompt path pairs chunks first, see "Unpacked layouts" below.) Min terms:
// Q2_K/Q4_K/Q5_K (separate float dmin) and the Q3_K/Q6_K offsets (4, 32) come from the
// activation's bsums. Then y += (d * da) * float(isum) per block.
//
// n_tok < 9 (decode, short batches): passes over the rows with up to 4 tokens each,
// every block decoded once in registers and dotted with each token. Larger n_tok
// (prompts): tiles of 64 tokens x 16 rows; the rows' blocks are unpacked once per tile
// into a scratch buffer (quants, ready scale vectors, d) and reused by a 2-row x
// 4-token register micro-kernel, while the next tile's weights are prefetched into L2;
// the min terms of the whole tile are one small float GEMM, (dmin * m) x (da * bsum).
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/kernels.h"
#include "tensor/kernels/kquants_common.h"
#include "tensor/quant.h"

#ifndef PARETO_VNNI
#define PARETO_VNNI 0
#endif

namespace pareto {
namespace {

thread_local KqScratch t_act_scratch, t_wts_scratch;

inline __m512i bcast256(const uint8_t* p) {
    return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
// Lower 256 bits one value, upper 256 bits another.
inline __m512i halves_epi8(int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(lo)), _mm256_set1_epi8(static_cast<char>(hi)), 1);
}
inline __m512i halves_epi16(int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(lo)), _mm256_set1_epi16(static_cast<short>(hi)), 1);
}

// ---- kernel order and scale-vector layouts ---------------------------------------------

constexpr int kNScv = PARETO_VNNI ? 2 : 4;  // scale vectors (32 x int16) per block

struct ScvIndex {
    short v[kNScv][32];
};
// For each int16 lane of the products the scale vector multiplies, the index of its
// sub-block scale in the decoder's scale vector (16-value sub-block >> shift).
constexpr ScvIndex make_scv_index(bool perm, int shift) {
    ScvIndex ix{};
    for (int c = 0; c < kNScv; ++c)
        for (int e = 0; e < 32; ++e) {
#if PARETO_VNNI
            // packs(t_{2c}, t_{2c+1}): 128-bit lane k = e / 8 holds t_{2c} lanes 4k..4k+3
            // then t_{2c+1} lanes 4k..4k+3; an int32 lane of t covers 4 positions.
            const int k = e / 8, u = e % 8;
            const int p = 128 * c + 64 * (u / 4) + 16 * k + 4 * (u % 4);
#else
            const int p = 64 * c + 2 * e;  // maddubs: int16 lane e covers positions 2e, 2e+1
#endif
            ix.v[c][e] = static_cast<short>((kq_value_at(perm, p) / 16) >> shift);
        }
    return ix;
}

template <bool Perm, int Shift>
struct ScvTable {
    static constexpr ScvIndex ix = make_scv_index(Perm, Shift);
};

template <class K>
inline void scale_vectors(__m256i sc, __m512i scv[kNScv]) {
    const __m512i src = _mm512_castsi256_si512(sc);
    for (int c = 0; c < kNScv; ++c)
        scv[c] = _mm512_permutexvar_epi16(
            _mm512_loadu_si512(ScvTable<K::kPerm, K::kScShift>::ix.v[c]), src);
}

// Integer dot of one block: sum over sub-blocks of scale * (q . a).
inline __m512i dot_block(const __m512i q[4], const uint8_t* a, const __m512i* scv) {
    const __m512i a0 = _mm512_load_si512(a), a1 = _mm512_load_si512(a + 64);
    const __m512i a2 = _mm512_load_si512(a + 128), a3 = _mm512_load_si512(a + 192);
#if PARETO_VNNI
    const __m512i z = _mm512_setzero_si512();
    const __m512i p01 = _mm512_packs_epi32(_mm512_dpbusd_epi32(z, q[0], a0), _mm512_dpbusd_epi32(z, q[1], a1));
    const __m512i p23 = _mm512_packs_epi32(_mm512_dpbusd_epi32(z, q[2], a2), _mm512_dpbusd_epi32(z, q[3], a3));
    return _mm512_dpwssd_epi32(_mm512_madd_epi16(p01, scv[0]), p23, scv[1]);
#else
    const __m512i s0 = _mm512_madd_epi16(_mm512_maddubs_epi16(q[0], a0), scv[0]);
    const __m512i s1 = _mm512_madd_epi16(_mm512_maddubs_epi16(q[1], a1), scv[1]);
    const __m512i s2 = _mm512_madd_epi16(_mm512_maddubs_epi16(q[2], a2), scv[2]);
    const __m512i s3 = _mm512_madd_epi16(_mm512_maddubs_epi16(q[3], a3), scv[3]);
    return _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));
#endif
}

// ---- decoders ----------------------------------------------------------------------
// decode(block, q, sc, mn, d, dmin):
//   q   4 zmm of unsigned quants in kernel order
//   sc  int16 scales, index (16-value sub-block >> kScShift)
//   mn  int16 min coefficients (kMin == KqMin::Float8: lanes 8..15 hold the 8 mins of
//       the 32-value sub-blocks, lanes 0..7 anything; Float16: one per 16 values)
// kMin == KqMin::Offset: no mins, the quants carry an offset kOff (power of two).

struct Q2K {
    static constexpr int kMaxQ = 3;
    using Block = BlockQ2_K;
    static constexpr bool kPerm = false;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Float16;
    static constexpr int kOffShift = 0;
    static void decode(const uint8_t* b, __m512i q[4], __m256i& sc, __m256i& mn, float& d, float& dmin) {
        const __m512i m3 = _mm512_set1_epi8(3), sh = halves_epi16(0, 2);
        for (int h = 0; h < 2; ++h) {
            const __m512i s = _mm512_srlv_epi16(bcast256(b + 16 + 32 * h), sh);  // [j=0 | j=1] bits low
            q[2 * h] = _mm512_and_si512(s, m3);
            q[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(s, 4), m3);  // [j=2 | j=3]
        }
        kq_q2_scales(b, sc, mn);
        kq_f16x2(b + 80, d, dmin);
    }
};

struct Q3K {
    static constexpr int kMaxQ = 7;
    using Block = BlockQ3_K;
    static constexpr bool kPerm = false;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Offset;
    static constexpr int kOffShift = 2;  // offset 4
    static void decode(const uint8_t* b, __m512i q[4], __m256i& sc, __m256i& mn, float& d, float& dmin) {
        const __m512i m3 = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4), sh = halves_epi16(0, 2);
        const __m512i hm = bcast256(b);
        for (int h = 0; h < 2; ++h) {
            const __m512i s = _mm512_srlv_epi16(bcast256(b + 32 + 32 * h), sh);
            const __m512i lo = _mm512_and_si512(s, m3);
            const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(s, 4), m3);
            const __mmask64 klo = _mm512_test_epi8_mask(hm, halves_epi8(1 << (4 * h), 1 << (4 * h + 1)));
            const __mmask64 khi = _mm512_test_epi8_mask(hm, halves_epi8(1 << (4 * h + 2), 1 << (4 * h + 3)));
            q[2 * h] = _mm512_mask_add_epi8(lo, klo, lo, four);
            q[2 * h + 1] = _mm512_mask_add_epi8(hi, khi, hi, four);
        }
        sc = kq_q3_scales(b);
        mn = sc;
        d = kq_f16x1(b + 108);
        dmin = 0.0f;
    }
};

struct Q4K {
    static constexpr int kMaxQ = 15;
    using Block = BlockQ4_K;
    static constexpr bool kPerm = true;
    static constexpr int kScShift = 1;
    static constexpr KqMin kMin = KqMin::Float8;
    static constexpr int kOffShift = 0;
    static void decode(const uint8_t* b, __m512i q[4], __m256i& sc, __m256i& mn, float& d, float& dmin) {
        const __m512i m4 = _mm512_set1_epi8(0x0F);
        const __m512i v0 = _mm512_loadu_si512(b + 16), v1 = _mm512_loadu_si512(b + 80);
        q[0] = _mm512_and_si512(v0, m4);
        q[1] = _mm512_and_si512(_mm512_srli_epi16(v0, 4), m4);
        q[2] = _mm512_and_si512(v1, m4);
        q[3] = _mm512_and_si512(_mm512_srli_epi16(v1, 4), m4);
        sc = mn = kq_k4_scales(b + 4);
        kq_f16x2(b, d, dmin);
    }
};

struct Q5K {
    static constexpr int kMaxQ = 31;
    using Block = BlockQ5_K;
    static constexpr bool kPerm = true;
    static constexpr int kScShift = 1;
    static constexpr KqMin kMin = KqMin::Float8;
    static constexpr int kOffShift = 0;
    static void decode(const uint8_t* b, __m512i q[4], __m256i& sc, __m256i& mn, float& d, float& dmin) {
        const __m512i m4 = _mm512_set1_epi8(0x0F), sixteen = _mm512_set1_epi8(16);
        const __m512i v0 = _mm512_loadu_si512(b + 48), v1 = _mm512_loadu_si512(b + 112);
        const __m512i h = bcast256(b + 16);
        q[0] = _mm512_and_si512(v0, m4);
        q[1] = _mm512_and_si512(_mm512_srli_epi16(v0, 4), m4);
        q[2] = _mm512_and_si512(v1, m4);
        q[3] = _mm512_and_si512(_mm512_srli_epi16(v1, 4), m4);
        // kernel-order zmm c holds 32-value sub-blocks (lower, upper) = (0,2), (1,3), (4,6), (5,7)
        q[0] = _mm512_mask_add_epi8(q[0], _mm512_test_epi8_mask(h, halves_epi8(0x01, 0x04)), q[0], sixteen);
        q[1] = _mm512_mask_add_epi8(q[1], _mm512_test_epi8_mask(h, halves_epi8(0x02, 0x08)), q[1], sixteen);
        q[2] = _mm512_mask_add_epi8(q[2], _mm512_test_epi8_mask(h, halves_epi8(0x10, 0x40)), q[2], sixteen);
        q[3] = _mm512_mask_add_epi8(q[3], _mm512_test_epi8_mask(h, halves_epi8(0x20, 0x80)), q[3], sixteen);
        sc = mn = kq_k4_scales(b + 4);
        kq_f16x2(b, d, dmin);
    }
};

struct Q6K {
    static constexpr int kMaxQ = 63;
    using Block = BlockQ6_K;
    static constexpr bool kPerm = false;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Offset;
    static constexpr int kOffShift = 5;  // offset 32
    static void decode(const uint8_t* b, __m512i q[4], __m256i& sc, __m256i& mn, float& d, float& dmin) {
        const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30), sh = halves_epi16(0, 2);
        for (int h = 0; h < 2; ++h) {
            const __m512i l = _mm512_loadu_si512(b + 64 * h);
            // [qh | qh >> 2]: bits 0-1 / 4-5 of each byte are the high bits of the
            // lower / upper nibbles' values.
            const __m512i hb = _mm512_srlv_epi16(bcast256(b + 128 + 32 * h), sh);
            q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(l, m4), _mm512_slli_epi16(hb, 4), m30, 0xF8);
            q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), hb, m30, 0xF8);
        }
        sc = mn = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 192)));
        d = kq_f16x1(b + 208);
        dmin = 0.0f;
    }
};

// ---- decode path: few tokens, blocks decoded in registers ------------------------------

// Every cache line of the block kPrefetch bytes ahead is prefetched: rows are read one
// after the other, and the hardware prefetcher alone leaves the loop waiting on DRAM
// (bench_decode_stream, 1 GiB on 2 threads: Q4_K 8960x1536 22 -> 27 GB/s, 896x4864
// 19 -> 22-23; Q6_K 24 -> 25-28, 21 -> 23-26).
constexpr int kPrefetch = 2048;

template <class K, int T>
void gemv_rows(int64_t nb, const uint8_t* w, size_t w_stride, int64_t n_rows, const KqAct* act, float* y,
               int64_t y_stride) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t* row = w + static_cast<size_t>(r) * w_stride;
        __m512 acc[T];
        for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            __m512i q[4], scv[kNScv];
            __m256i sc, mn;
            float d, dmin;
            const uint8_t* blk = row + b * sizeof(typename K::Block);
            for (size_t off = 0; off < sizeof(typename K::Block); off += 64)
                _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetch + off, _MM_HINT_T0);
            K::decode(blk, q, sc, mn, d, dmin);
            scale_vectors<K>(sc, scv);
            for (int t = 0; t < T; ++t) {
                __m512i isum = dot_block(q, act[t].q + b * 256, scv);
                const float da = act[t].d[b];
                const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                    (K::kMin == KqMin::Float8 ? act[t].bs8 : act[t].bs) + b * 16));
                const __m256i im = _mm256_madd_epi16(mn, bs);
                if constexpr (K::kMin == KqMin::Offset) {
                    isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(_mm256_slli_epi32(im, K::kOffShift)));
                    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d * da), acc[t]);
                } else {
                    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d * da), acc[t]);
                    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_zextsi256_si512(im)),
                                             _mm512_set1_ps(-dmin * da), acc[t]);
                }
            }
        }
        for (int t = 0; t < T; ++t) y[t * y_stride + r] = _mm512_reduce_add_ps(acc[t]);
    }
}

// ---- prompt path: unpacked tiles ----------------------------------------------------
//
// Unpacked layouts (per block of 256 values: 4 chunks of 64 bytes):
//   Pair   chunks 2h, 2h+1 = unpacklo / unpackhi_epi64 of the kernel-order vectors of
//          half h: byte j of both chunks lies in the same 16-value sub-block, so the
//          two chunks' products are summed per lane before the scales are applied:
//          VNNI:  u_h = dpbusd(dpbusd(0, c0, a0), c1, a1)   int32 sums of 8 products
//                 isum = madd(packs(u_0, u_1), scales)      (|u| <= 8*31*128 fits int16)
//          plain: x_h = maddubs(c0, a0) + maddubs(c1, a1)   int16 sums of 4 products
//                 isum = madd(x_0, scales_0) + madd(x_1, scales_1)   (|x| <= 4*63*128)
//   Packs  (VNNI, Q6_K: 8 products of 63 * 128 would overflow int16) kernel order and
//          the decode path's dot_block.
// Activations are rearranged the same way once per tile.

constexpr int64_t kTileTok = 64;  // tokens per activation tile
constexpr int64_t kTileRow = 16;  // rows unpacked at a time
constexpr int kMR = 2, kMT = 4;   // register micro-tile: rows x tokens

enum class Layout { Pair, Packs };

// Offset types (Q3_K, Q6_K) are unpacked as signed w = q - off against unsigned
// activations a + 128 ("bias"): sum w (a + 128) = sum w a + 128 sum w, and the second
// term, a per-block constant of the weights, is subtracted through the int32 "corr"
// of the block. So they need no min terms at all.
template <class K>
constexpr bool kBias = K::kMin == KqMin::Offset;

template <class K>
constexpr Layout gemm_layout() {
    // largest int32 lane of a Pair dpbusd (8 products) must fit int16 for packs
    constexpr int lane_max = kBias<K> ? 8 * 255 * (1 << K::kOffShift) : 8 * 128 * K::kMaxQ;
    return PARETO_VNNI && lane_max > 32767 ? Layout::Packs : Layout::Pair;
}

// Kernel-order position of byte p of a Pair-layout block.
constexpr int pair_source(int p) {
    const int h = p / 128, c = (p % 128) / 64, j = p % 64;
    const int k = j / 16, s = (j % 16) / 8;
    return 128 * h + 64 * s + 8 * (2 * k + c) + j % 8;
}

struct GemmScv {
    short v[2][32];
};
constexpr GemmScv make_gemm_scv(Layout layout, bool perm, int shift) {
    GemmScv g{};
    auto sub = [&](int kernel_pos) { return static_cast<short>((kq_value_at(perm, kernel_pos) / 16) >> shift); };
    for (int e = 0; e < 32; ++e) {
        const int k = e / 8, m = e % 8;
        if (layout == Layout::Packs) {
            for (int c = 0; c < 2; ++c) g.v[c][e] = sub(128 * c + 64 * (m / 4) + 16 * k + 4 * (m % 4));
        } else if (PARETO_VNNI) {
            const int lane = 4 * k + m % 4;  // int32 lane of u_h, h = m / 4
            g.v[0][e] = sub(pair_source(128 * (m / 4) + 4 * lane));
        } else {
            for (int h = 0; h < 2; ++h) g.v[h][e] = sub(pair_source(128 * h + 2 * e));
        }
    }
    return g;
}
template <Layout L, bool Perm, int Shift>
struct GemmScvTable {
    static constexpr GemmScv g = make_gemm_scv(L, Perm, Shift);
};

struct alignas(64) UBlock {
    uint8_t q[256];
    int16_t scv[2][32];
};

template <class K>
constexpr int min_groups() {  // float min terms per block in the prompt path
    return kBias<K> ? 0 : K::kMin == KqMin::Float8 ? 8 : 16;
}

// corr of an offset type's block: -128 * sum_j sc_j * sum_{i in j} (q_i - off), from
// the unsigned kernel-order quants (natural order for these types) and the scales.
template <class K>
inline int32_t bias_correction(const __m512i q[4], __m256i sc) {
    static_assert(!K::kPerm);
    const __m512i sc8 = _mm512_broadcast_i32x4(_mm256_cvtepi16_epi8(sc));
    __m512i acc = _mm512_setzero_si512();
    const __m512i lane = _mm512_set_epi64(0x0303030303030303LL, 0x0303030303030303LL, 0x0202020202020202LL,
                                          0x0202020202020202LL, 0x0101010101010101LL, 0x0101010101010101LL, 0, 0);
    for (int c = 0; c < 4; ++c) {
        // byte i of chunk c: the scale of sub-block 4c + i / 16
        const __m512i idx = _mm512_add_epi8(lane, _mm512_set1_epi8(static_cast<char>(4 * c)));
        const __m512i s = _mm512_shuffle_epi8(sc8, idx);
#if PARETO_VNNI
        acc = _mm512_dpbusd_epi32(acc, q[c], s);
#else
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(q[c], s), _mm512_set1_epi16(1)));
#endif
    }
    const int32_t t = _mm512_reduce_add_epi32(acc);
    const int32_t sum_sc = _mm512_reduce_add_epi32(_mm512_cvtepi16_epi32(sc));
    return -128 * (t - 16 * (1 << K::kOffShift) * sum_sc);
}

// Unpacks one row: blocks, d per block, min coefficients (float) per block and group.
template <class K>
void unpack_row(const uint8_t* row, int64_t nb, UBlock* ub, float* wd, int32_t* wc, float* am) {
    constexpr int G = min_groups<K>();
    constexpr Layout L = gemm_layout<K>();
    constexpr const GemmScv& tab = GemmScvTable<L, K::kPerm, K::kScShift>::g;
    for (int64_t b = 0; b < nb; ++b) {
        __m512i q[4];
        __m256i sc, mn;
        float d, dmin;
        K::decode(row + b * sizeof(typename K::Block), q, sc, mn, d, dmin);
        if constexpr (kBias<K>) {
            wc[b] = bias_correction<K>(q, sc);
            for (int c = 0; c < 4; ++c) q[c] = _mm512_sub_epi8(q[c], _mm512_set1_epi8(1 << K::kOffShift));
        } else {
            wc[b] = 0;
        }
        if constexpr (L == Layout::Pair) {
            for (int h = 0; h < 2; ++h) {
                _mm512_store_si512(ub[b].q + 128 * h, _mm512_unpacklo_epi64(q[2 * h], q[2 * h + 1]));
                _mm512_store_si512(ub[b].q + 128 * h + 64, _mm512_unpackhi_epi64(q[2 * h], q[2 * h + 1]));
            }
        } else {
            for (int c = 0; c < 4; ++c) _mm512_store_si512(ub[b].q + 64 * c, q[c]);
        }
        const __m512i src = _mm512_castsi256_si512(sc);
        for (int c = 0; c < (L == Layout::Pair && PARETO_VNNI ? 1 : 2); ++c)
            _mm512_store_si512(ub[b].scv[c], _mm512_permutexvar_epi16(_mm512_loadu_si512(tab.v[c]), src));
        wd[b] = d;
        float* m = am + b * G;
        if constexpr (K::kMin == KqMin::Float8) {
            const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(mn, 1)));
            _mm256_storeu_ps(m, _mm256_mul_ps(f, _mm256_set1_ps(-dmin)));
        } else if constexpr (K::kMin == KqMin::Float16) {
            _mm512_storeu_ps(m, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(mn)), _mm512_set1_ps(-dmin)));
        }
    }
}

// Integer dot of one unpacked block with one token's block; corr: the block's bias
// correction in lane 0 (Bias), else unused.
template <Layout L, bool Bias>
inline __m512i dot_unpacked(const __m512i q[4], const uint8_t* a, const UBlock& ub, __m512i corr) {
    const __m512i* scv = reinterpret_cast<const __m512i*>(ub.scv);
    const __m512i a0 = _mm512_load_si512(a), a1 = _mm512_load_si512(a + 64);
    const __m512i a2 = _mm512_load_si512(a + 128), a3 = _mm512_load_si512(a + 192);
    // (unsigned, signed) operands: (quants, activations), or with Bias the other way
#if PARETO_VNNI
    const __m512i z = _mm512_setzero_si512();
    auto dp = [](__m512i acc, __m512i w, __m512i x) {
        return Bias ? _mm512_dpbusd_epi32(acc, x, w) : _mm512_dpbusd_epi32(acc, w, x);
    };
    if constexpr (L == Layout::Packs) {
        const __m512i p01 = _mm512_packs_epi32(dp(z, q[0], a0), dp(z, q[1], a1));
        const __m512i p23 = _mm512_packs_epi32(dp(z, q[2], a2), dp(z, q[3], a3));
        const __m512i first = Bias ? _mm512_dpwssd_epi32(corr, p01, scv[0]) : _mm512_madd_epi16(p01, scv[0]);
        return _mm512_dpwssd_epi32(first, p23, scv[1]);
    } else {
        const __m512i u0 = dp(dp(z, q[0], a0), q[1], a1);
        const __m512i u1 = dp(dp(z, q[2], a2), q[3], a3);
        const __m512i s = _mm512_madd_epi16(_mm512_packs_epi32(u0, u1), scv[0]);
        return Bias ? _mm512_add_epi32(s, corr) : s;
    }
#else
    static_assert(L == Layout::Pair);
    auto mb = [](__m512i w, __m512i x) { return Bias ? _mm512_maddubs_epi16(x, w) : _mm512_maddubs_epi16(w, x); };
    const __m512i x0 = _mm512_add_epi16(mb(q[0], a0), mb(q[1], a1));
    const __m512i x1 = _mm512_add_epi16(mb(q[2], a2), mb(q[3], a3));
    const __m512i s = _mm512_add_epi32(_mm512_madd_epi16(x0, scv[0]), _mm512_madd_epi16(x1, scv[1]));
    return Bias ? _mm512_add_epi32(s, corr) : s;
#endif
}

// Operands of one register micro-tile: R rows (unpacked) x T tokens over all blocks.
// pf: if not null, R rows of weights (bb bytes per block) to prefetch into L2 on the
// way, for the unpacking of the next row tile.
struct Micro {
    int64_t nb;
    const UBlock* const* wb;
    const float* const* wd;
    const int32_t* const* wc;
    const uint8_t* const* aq;
    const float* const* ad;
    float* c;
    int64_t ldc;
    const uint8_t* const* pf;
    size_t bb;
};

template <int R>
inline void prefetch_rows(const Micro& m, int64_t b) {
    if (!m.pf) return;
    for (int i = 0; i < R; ++i)
        for (size_t off = static_cast<size_t>(b) * m.bb; off < static_cast<size_t>(b + 1) * m.bb; off += 64)
            _mm_prefetch(reinterpret_cast<const char*>(m.pf[i] + off), _MM_HINT_T1);
}

template <Layout L, bool Bias, int R, int T>
void micro(const Micro& m) {
    __m512 acc[R][T];
    for (int i = 0; i < R; ++i)
        for (int t = 0; t < T; ++t) acc[i][t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < m.nb; ++b) {
        prefetch_rows<R>(m, b);
        __m512i q[R][4], corr[R];
        __m512 dw[R];
        for (int i = 0; i < R; ++i) {
            for (int k = 0; k < 4; ++k) q[i][k] = _mm512_load_si512(m.wb[i][b].q + 64 * k);
            dw[i] = _mm512_set1_ps(m.wd[i][b]);
            corr[i] = Bias ? _mm512_zextsi128_si512(_mm_cvtsi32_si128(m.wc[i][b])) : _mm512_setzero_si512();
        }
        for (int t = 0; t < T; ++t) {
            const __m512 da = _mm512_set1_ps(m.ad[t][b]);
            const uint8_t* a = m.aq[t] + b * 256;
            for (int i = 0; i < R; ++i) {
                const __m512i isum = dot_unpacked<L, Bias>(q[i], a, m.wb[i][b], corr[i]);
                acc[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(dw[i], da), acc[i][t]);
            }
        }
    }
    for (int i = 0; i < R; ++i)
        for (int t = 0; t < T; ++t) m.c[i * m.ldc + t] = _mm512_reduce_add_ps(acc[i][t]);
}

template <Layout L, bool Bias, int R, int T = kMT>
void micro_tok(int64_t nt, const Micro& m) {
    if constexpr (T > 1) {
        if (nt < T) {
            micro_tok<L, Bias, R, T - 1>(nt, m);
            return;
        }
    }
    micro<L, Bias, R, T>(m);
}

// The tile's min terms, ctile[i][t] += sum_k wm[i][k] * bm[k][t] for t < 16 NV: RM rows
// x NV vectors of 16 tokens per pass, enough independent sums to hide the FMA latency.
template <int RM, int NV>
void min_terms_rows(int64_t ng, const float* const* wm, const float* bm, float* ctile) {
    __m512 s[RM][NV];
    for (int i = 0; i < RM; ++i)
        for (int v = 0; v < NV; ++v) s[i][v] = _mm512_setzero_ps();
    for (int64_t k = 0; k < ng; ++k) {
        __m512 b[NV];
        for (int v = 0; v < NV; ++v) b[v] = _mm512_load_ps(bm + k * kTileTok + 16 * v);
        for (int i = 0; i < RM; ++i) {
            const __m512 wv = _mm512_set1_ps(wm[i][k]);
            for (int v = 0; v < NV; ++v) s[i][v] = _mm512_fmadd_ps(wv, b[v], s[i][v]);
        }
    }
    for (int i = 0; i < RM; ++i)
        for (int v = 0; v < NV; ++v) {
            float* c = ctile + i * kTileTok + 16 * v;
            _mm512_store_ps(c, _mm512_add_ps(_mm512_load_ps(c), s[i][v]));
        }
}

template <int NV>
void min_terms_nv(int64_t rt, int64_t ng, const float* const* wm, const float* bm, float* ctile) {
    constexpr int RM = NV >= 4 ? 2 : 8 / NV;
    int64_t i = 0;
    for (; i + RM <= rt; i += RM) min_terms_rows<RM, NV>(ng, wm + i, bm, ctile + i * kTileTok);
    for (; i < rt; ++i) min_terms_rows<1, NV>(ng, wm + i, bm, ctile + i * kTileTok);
}

void min_terms(int64_t rt, int64_t ng, int64_t nv, const float* const* wm, const float* bm, float* ctile) {
    static_assert(kTileTok == 64);
    switch (nv) {
        case 1: min_terms_nv<1>(rt, ng, wm, bm, ctile); break;
        case 2: min_terms_nv<2>(rt, ng, wm, bm, ctile); break;
        case 3: min_terms_nv<3>(rt, ng, wm, bm, ctile); break;
        default: min_terms_nv<4>(rt, ng, wm, bm, ctile); break;
    }
}

template <class K>
void gemm_tiled(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    constexpr int G = min_groups<K>();
    constexpr Layout L = gemm_layout<K>();
    const int64_t nb = n / kQK_K;
    const int64_t ng = nb * G;
    // activation tile: per token quants + d; bm[k][t] = da * group sum, 16-token padded
    const size_t a_q = kq_align64(static_cast<size_t>(nb) * 256);
    const size_t a_d = kq_align64(static_cast<size_t>(nb) * 4);
    const size_t a_bm = static_cast<size_t>(ng) * kTileTok * 4;
    uint8_t* abuf = t_act_scratch.get(kTileTok * (a_q + a_d) + a_bm);
    float* bm = reinterpret_cast<float*>(abuf + kTileTok * (a_q + a_d));
    // weight tile: per row unpacked blocks, d, min coefficients; and the output tile
    const size_t w_u = static_cast<size_t>(nb) * sizeof(UBlock);
    const size_t w_d = kq_align64(static_cast<size_t>(nb) * 4);  // d, then corr
    const size_t w_m = kq_align64(static_cast<size_t>(ng) * 4);
    const size_t w_row = w_u + 2 * w_d + w_m;
    uint8_t* wbuf = t_wts_scratch.get(kTileRow * w_row + kTileRow * kTileTok * 4);
    float* ctile = reinterpret_cast<float*>(wbuf + kTileRow * w_row);

    for (int64_t t0 = 0; t0 < n_tok; t0 += kTileTok) {
        const int64_t tt = kq_min(kTileTok, n_tok - t0);
        const int64_t tpad = (tt + 15) & ~int64_t{15};
        kq_prep_tile<K::kPerm, G>(a + static_cast<size_t>(t0) * a_stride, a_stride, tt, nb, abuf, a_q + a_d,
                                  reinterpret_cast<float*>(abuf + a_q), (a_q + a_d) / 4, bm, kTileTok);
        const uint8_t* aq[kTileTok];
        const float* ad[kTileTok];
        for (int64_t t = 0; t < tt; ++t) {
            uint8_t* q = abuf + t * (a_q + a_d);
            const __m512i flip = _mm512_set1_epi8(kBias<K> ? static_cast<char>(0x80) : 0);  // a + 128
            for (int64_t h = 0; h < 2 * nb; ++h) {
                __m512i v0 = _mm512_xor_si512(_mm512_load_si512(q + 128 * h), flip);
                __m512i v1 = _mm512_xor_si512(_mm512_load_si512(q + 128 * h + 64), flip);
                if constexpr (L == Layout::Pair) {
                    const __m512i lo = _mm512_unpacklo_epi64(v0, v1);
                    v1 = _mm512_unpackhi_epi64(v0, v1);
                    v0 = lo;
                }
                _mm512_store_si512(q + 128 * h, v0);
                _mm512_store_si512(q + 128 * h + 64, v1);
            }
            aq[t] = q;
            ad[t] = reinterpret_cast<const float*>(q + a_q);
        }

        for (int64_t r0 = 0; r0 < n_rows; r0 += kTileRow) {
            const int64_t rt = kq_min(kTileRow, n_rows - r0);
            const UBlock* wb[kTileRow];
            const float* wd[kTileRow];
            const int32_t* wc[kTileRow];
            const float* wm[kTileRow];
            for (int64_t i = 0; i < rt; ++i) {
                uint8_t* base = wbuf + i * w_row;
                auto* ub = reinterpret_cast<UBlock*>(base);
                auto* d = reinterpret_cast<float*>(base + w_u);
                auto* c = reinterpret_cast<int32_t*>(base + w_u + w_d);
                auto* m = reinterpret_cast<float*>(base + w_u + 2 * w_d);
                unpack_row<K>(w + static_cast<size_t>(r0 + i) * w_stride, nb, ub, d, c, m);
                wb[i] = ub;
                wd[i] = d;
                wc[i] = c;
                wm[i] = m;
            }
            // integer part; while the first token micro-tile runs, prefetch the rows
            // unpacked next: the next row tile, or the first of the next token tile
            const int64_t nr0 = r0 + kTileRow < n_rows ? r0 + kTileRow : (t0 + kTileTok < n_tok ? 0 : -1);
            const uint8_t* pf[kTileRow];
            for (int64_t i = 0; i < rt; ++i)
                pf[i] = w + static_cast<size_t>(nr0 >= 0 && nr0 + i < n_rows ? nr0 + i : 0) * w_stride;
            for (int64_t tm = 0; tm < tt; tm += kMT) {
                const int64_t nt = kq_min(kMT, tt - tm);
                Micro m{nb,      nullptr,  nullptr, nullptr, aq + tm, ad + tm,
                        nullptr, kTileTok, nullptr, sizeof(typename K::Block)};
                for (int64_t i = 0; i < rt;) {
                    m.wb = wb + i;
                    m.wd = wd + i;
                    m.wc = wc + i;
                    m.c = ctile + i * kTileTok + tm;
                    m.pf = tm == 0 && nr0 >= 0 ? pf + i : nullptr;
                    if (i + kMR <= rt) {
                        micro_tok<L, kBias<K>, kMR>(nt, m);
                        i += kMR;
                    } else {
                        micro_tok<L, kBias<K>, 1>(nt, m);
                        ++i;
                    }
                }
            }
            if constexpr (G > 0) min_terms(rt, ng, tpad / 16, wm, bm, ctile);
            for (int64_t t = 0; t < tt; ++t)
                for (int64_t i = 0; i < rt; ++i) y[(t0 + t) * y_stride + r0 + i] = ctile[i * kTileTok + t];
        }
    }
}

constexpr int64_t kTileMin = 9;  // fewest tokens for the tiled path (measured crossover)
constexpr int64_t kGemvTok = 4;  // tokens per pass of the decode path

template <class K>
void gemm(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
          int64_t n_tok, float* y, int64_t y_stride) {
    if (n_rows <= 0 || n_tok <= 0) return;
    const int64_t nb = n / kQK_K;
    if (n_tok >= kTileMin) {
        gemm_tiled<K>(n, w, w_stride, n_rows, a, a_stride, n_tok, y, y_stride);
        return;
    }
    // few tokens: passes over the rows with up to kGemvTok tokens each
    const size_t per = kq_act_bytes(nb);
    uint8_t* buf = t_act_scratch.get(per * static_cast<size_t>(kGemvTok));
    for (int64_t t0 = 0; t0 < n_tok; t0 += kGemvTok) {
        const int64_t nt = kq_min(kGemvTok, n_tok - t0);
        KqAct act[kGemvTok];
        for (int64_t t = 0; t < nt; ++t)
            act[t] = kq_prep_act<K::kPerm>(a + static_cast<size_t>(t0 + t) * a_stride, nb, buf + per * static_cast<size_t>(t));
        float* yt = y + t0 * y_stride;
        switch (nt) {
            case 1: gemv_rows<K, 1>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 2: gemv_rows<K, 2>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            case 3: gemv_rows<K, 3>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
            default: gemv_rows<K, 4>(nb, w, w_stride, n_rows, act, yt, y_stride); break;
        }
    }
}


// ---- Q8_K quantizer (same contract and bytes as the scalar one) ------------------------

void quantize_q8k(const float* x, uint8_t* out, int64_t n) {
    const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K, out += sizeof(BlockQ8_K)) {
        __m512 m = _mm512_setzero_ps();
        for (int i = 0; i < 16; ++i) m = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + 16 * i)), m);
        const float amax = _mm512_reduce_max_ps(m);
        const float d = amax / 127.0f;
        const __m512 id = _mm512_set1_ps(kq_q8k_inv(amax));
        std::memcpy(out, &d, 4);
        alignas(32) int16_t bs[16];
        for (int i = 0; i < 16; ++i) {
            const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * i), id), lo), hi);
            const __m512i qi = _mm512_cvtps_epi32(v);  // MXCSR default: nearest, ties to even
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4 + 16 * i), _mm512_cvtepi32_epi8(qi));
            bs[i] = static_cast<int16_t>(_mm512_reduce_add_epi32(qi));
        }
        std::memcpy(out + 260, bs, 32);
    }
}

void register_all(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::Q2_K)] = gemm<Q2K>;
    t.gemm[static_cast<size_t>(DType::Q3_K)] = gemm<Q3K>;
    t.gemm[static_cast<size_t>(DType::Q4_K)] = gemm<Q4K>;
    t.gemm[static_cast<size_t>(DType::Q5_K)] = gemm<Q5K>;
    t.gemm[static_cast<size_t>(DType::Q6_K)] = gemm<Q6K>;
    t.quantize_act[static_cast<size_t>(ActFormat::Q8K)] = quantize_q8k;
}

}  // namespace

#if PARETO_VNNI
void kernel_registry::avx512vnni_kquants(KernelTable& t) { register_all(t); }
#else
void kernel_registry::avx512_kquants(KernelTable& t) { register_all(t); }
#endif

}  // namespace pareto
