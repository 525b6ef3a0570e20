// K-quant matrix products and the Q8_K quantizer, AVX2 + FMA + F16C.
//
// Every type is decoded into 8 ymm of unsigned quants in natural order (two halves of
// 128 values), a vector of integer sub-block scales and the min/offset coefficients.
// Integer part of a block in the decode path, per 32 values (exact, as in the scalar
// reference):
//   maddubs(q, a)  int16 sums of 2 products (|.| <= 2*63*128: no saturation)
//   madd(., scale) int32, the scale of the 16-value sub-block of each pair
//   add            into the block's int32 sum
// (the prompt path first adds two chunks' maddubs, see UBlock), then
// y += (d * da) * float(isum); the mins (Q2_K, Q4_K, Q5_K: a separate float dmin) and
// the Q3_K / Q6_K offsets (4, 32) come from the activation's bsums.
//
// n_tok < 8 (decode, short batches): passes over the rows with up to 4 tokens each,
// every block decoded once in registers and dotted with each token. Larger n_tok
// (prompts): tiles of 64 tokens x 16 rows; the rows' blocks are unpacked once per tile
// into a scratch buffer (quants, ready scale vectors, d) and reused by a 2-row x
// 3-token register micro-kernel, while the next tile's weights are prefetched into L2;
// the min terms of the whole tile are one small float GEMM, (dmin * m) x (da * bsum).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "tensor/kernels.h"
#include "tensor/kernels/kquants_common.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

thread_local KqScratch t_act_scratch, t_wts_scratch;

inline __m256i loadu(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// ---- scale vectors ---------------------------------------------------------------------
// Chunk c (values 32c..32c+31) after maddubs: int16 lane e covers values 32c + 2e, +1,
// sub-block (32c + 2e) / 16. Its scale is lane ((32c + 2e) / 16) >> shift of the
// decoder's 16 x int16 scale vector; all of a chunk's scales sit in one 128-bit half
// of it, so a vector is one half duplicated and one byte shuffle.

struct ScvCtrl {
    char ctrl[8][32];
    int half[8];
};
constexpr ScvCtrl make_scv_ctrl(int shift) {
    ScvCtrl s{};
    for (int c = 0; c < 8; ++c) {
        s.half[c] = ((32 * c / 16) >> shift) / 8;
        for (int e = 0; e < 16; ++e) {
            const int idx = ((32 * c + 2 * e) / 16) >> shift;
            s.ctrl[c][2 * e] = static_cast<char>(2 * (idx % 8));
            s.ctrl[c][2 * e + 1] = static_cast<char>(2 * (idx % 8) + 1);
        }
    }
    return s;
}
template <int Shift>
struct ScvTable {
    static constexpr ScvCtrl s = make_scv_ctrl(Shift);
};

struct ScaleHalves {
    __m256i lo, hi;  // the scale vector's lower / upper 128 bits in both halves
    explicit ScaleHalves(__m256i sc)
        : lo(_mm256_permute4x64_epi64(sc, 0x44)), hi(_mm256_permute4x64_epi64(sc, 0xEE)) {}
};

template <int Shift>
inline __m256i scale_vector(const ScaleHalves& h, int c) {
    const ScvCtrl& s = ScvTable<Shift>::s;
    return _mm256_shuffle_epi8(s.half[c] ? h.hi : h.lo, loadu(reinterpret_cast<const uint8_t*>(s.ctrl[c])));
}

// ---- decoders ----------------------------------------------------------------------
// scales(block, sc, mn, d, dmin):
//   sc  int16 scales, index (16-value sub-block >> kScShift)
//   mn  int16 min coefficients (Float8: lanes 8..15 the 8 mins of the 32-value
//       sub-blocks; Float16: one per 16 values; Offset: unused, the scales)
// quants(block, h, q): values 128h .. 128h + 127 as 4 ymm of unsigned quants.

struct Q2K {
    using Block = BlockQ2_K;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Float16;
    static void scales(const uint8_t* b, __m256i& sc, __m256i& mn, float& d, float& dmin) {
        kq_q2_scales(b, sc, mn);
        kq_f16x2(b + 80, d, dmin);
    }
    static void quants(const uint8_t* b, int h, __m256i q[4]) {
        const __m256i m3 = _mm256_set1_epi8(3);
        const __m256i v = loadu(b + 16 + 32 * h);
        q[0] = _mm256_and_si256(v, m3);
        q[1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), m3);
        q[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m3);
        q[3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), m3);
    }
};

struct Q3K {
    using Block = BlockQ3_K;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Offset;
    static constexpr int kOffShift = 2;  // offset 4
    static void scales(const uint8_t* b, __m256i& sc, __m256i& mn, float& d, float& dmin) {
        sc = mn = kq_q3_scales(b);
        d = kq_f16x1(b + 108);
        dmin = 0.0f;
    }
    // the high bit of value 128h + 32j + l is bit 4h + j of hmask[l]; move it to bit 2
    template <int Bit>
    static __m256i high(__m256i hm) {
        const __m256i m = _mm256_set1_epi8(4);
        if constexpr (Bit >= 2) return _mm256_and_si256(_mm256_srli_epi16(hm, Bit - 2), m);
        else return _mm256_and_si256(_mm256_slli_epi16(hm, 2 - Bit), m);
    }
    static void quants(const uint8_t* b, int h, __m256i q[4]) {
        const __m256i m3 = _mm256_set1_epi8(3);
        const __m256i hm = loadu(b);
        const __m256i v = loadu(b + 32 + 32 * h);
        q[0] = _mm256_and_si256(v, m3);
        q[1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), m3);
        q[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m3);
        q[3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), m3);
        if (h == 0) {
            q[0] = _mm256_or_si256(q[0], high<0>(hm));
            q[1] = _mm256_or_si256(q[1], high<1>(hm));
            q[2] = _mm256_or_si256(q[2], high<2>(hm));
            q[3] = _mm256_or_si256(q[3], high<3>(hm));
        } else {
            q[0] = _mm256_or_si256(q[0], high<4>(hm));
            q[1] = _mm256_or_si256(q[1], high<5>(hm));
            q[2] = _mm256_or_si256(q[2], high<6>(hm));
            q[3] = _mm256_or_si256(q[3], high<7>(hm));
        }
    }
};

struct Q4K {
    using Block = BlockQ4_K;
    static constexpr int kScShift = 1;
    static constexpr KqMin kMin = KqMin::Float8;
    static void scales(const uint8_t* b, __m256i& sc, __m256i& mn, float& d, float& dmin) {
        sc = mn = kq_k4_scales(b + 4);
        kq_f16x2(b, d, dmin);
    }
    static void quants(const uint8_t* b, int h, __m256i q[4]) {
        const __m256i m4 = _mm256_set1_epi8(0x0F);
        const __m256i v0 = loadu(b + 16 + 64 * h), v1 = loadu(b + 48 + 64 * h);
        q[0] = _mm256_and_si256(v0, m4);
        q[1] = _mm256_and_si256(_mm256_srli_epi16(v0, 4), m4);
        q[2] = _mm256_and_si256(v1, m4);
        q[3] = _mm256_and_si256(_mm256_srli_epi16(v1, 4), m4);
    }
};

struct Q5K {
    using Block = BlockQ5_K;
    static constexpr int kScShift = 1;
    static constexpr KqMin kMin = KqMin::Float8;
    static void scales(const uint8_t* b, __m256i& sc, __m256i& mn, float& d, float& dmin) {
        sc = mn = kq_k4_scales(b + 4);
        kq_f16x2(b, d, dmin);
    }
    // bit `Bit` of qh[l] is the fifth bit of value 32 * Bit + l; move it to bit 4
    template <int Bit>
    static __m256i high(__m256i qh) {
        const __m256i m = _mm256_set1_epi8(16);
        if constexpr (Bit >= 4) return _mm256_and_si256(_mm256_srli_epi16(qh, Bit - 4), m);
        else return _mm256_and_si256(_mm256_slli_epi16(qh, 4 - Bit), m);
    }
    static void quants(const uint8_t* b, int h, __m256i q[4]) {
        const __m256i m4 = _mm256_set1_epi8(0x0F);
        const __m256i qh = loadu(b + 16);
        const __m256i v0 = loadu(b + 48 + 64 * h), v1 = loadu(b + 80 + 64 * h);
        q[0] = _mm256_and_si256(v0, m4);
        q[1] = _mm256_and_si256(_mm256_srli_epi16(v0, 4), m4);
        q[2] = _mm256_and_si256(v1, m4);
        q[3] = _mm256_and_si256(_mm256_srli_epi16(v1, 4), m4);
        if (h == 0) {
            q[0] = _mm256_or_si256(q[0], high<0>(qh));
            q[1] = _mm256_or_si256(q[1], high<1>(qh));
            q[2] = _mm256_or_si256(q[2], high<2>(qh));
            q[3] = _mm256_or_si256(q[3], high<3>(qh));
        } else {
            q[0] = _mm256_or_si256(q[0], high<4>(qh));
            q[1] = _mm256_or_si256(q[1], high<5>(qh));
            q[2] = _mm256_or_si256(q[2], high<6>(qh));
            q[3] = _mm256_or_si256(q[3], high<7>(qh));
        }
    }
};

struct Q6K {
    using Block = BlockQ6_K;
    static constexpr int kScShift = 0;
    static constexpr KqMin kMin = KqMin::Offset;
    static constexpr int kOffShift = 5;  // offset 32
    static void scales(const uint8_t* b, __m256i& sc, __m256i& mn, float& d, float& dmin) {
        sc = mn = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 192)));
        d = kq_f16x1(b + 208);
        dmin = 0.0f;
    }
    static void quants(const uint8_t* b, int h, __m256i q[4]) {
        const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
        const __m256i l0 = loadu(b + 64 * h), l1 = loadu(b + 64 * h + 32), hb = loadu(b + 128 + 32 * h);
        // high bits of values l, 32 + l, 64 + l, 96 + l: bits 0-1, 2-3, 4-5, 6-7 of qh[l]
        q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
        q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                               _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
    }
};

// Offset types (Q3_K, Q6_K) take the prompt path as signed w = q - off against
// unsigned activations a + 128 ("bias"): sum w (a + 128) = sum w a + 128 sum w, the
// second term a per-block constant of the weights ("corr", added back in int32). So
// they need no min terms. |maddubs + maddubs| <= 4 * 255 * 32 still fits int16.
template <class K>
constexpr bool kBias = K::kMin == KqMin::Offset;

template <class K>
constexpr int min_groups() {  // float min terms per block in the prompt path
    return kBias<K> ? 0 : K::kMin == KqMin::Float8 ? 8 : 16;
}

// int32 sum over chunks 4h .. 4h+3 of scale * (q . a); a points at value 128h.
template <class K>
inline __m256i dot_half(const __m256i q[4], const uint8_t* a, const ScaleHalves& sh, int h) {
    __m256i s[4];
    for (int c = 0; c < 4; ++c)
        s[c] = _mm256_madd_epi16(
            _mm256_maddubs_epi16(q[c], _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 32 * c))),
            scale_vector<K::kScShift>(sh, 4 * h + c));
    return _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), _mm256_add_epi32(s[2], s[3]));
}

inline int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---- decode path: few tokens, blocks decoded in registers ------------------------------

// Every cache line of the block kPrefetch bytes ahead is prefetched (see
// avx512_kquants.cpp).
constexpr int kPrefetch = 2048;

template <class K, int T>
void gemv_rows(int64_t nb, const uint8_t* w, size_t w_stride, int64_t n_rows, const KqAct* act, float* y,
               int64_t y_stride) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const uint8_t* row = w + static_cast<size_t>(r) * w_stride;
        __m256 acc[T];
        for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = row + b * sizeof(typename K::Block);
            for (size_t off = 0; off < sizeof(typename K::Block); off += 64)
                _mm_prefetch(reinterpret_cast<const char*>(blk) + kPrefetch + off, _MM_HINT_T0);
            __m256i sc, mn;
            float d, dmin;
            K::scales(blk, sc, mn, d, dmin);
            const ScaleHalves sh(sc);
            __m256i isum[T];
            for (int t = 0; t < T; ++t) isum[t] = _mm256_setzero_si256();
            for (int h = 0; h < 2; ++h) {
                __m256i q[4];
                K::quants(blk, h, q);
                for (int t = 0; t < T; ++t)
                    isum[t] = _mm256_add_epi32(isum[t], dot_half<K>(q, act[t].q + b * 256 + 128 * h, sh, h));
            }
            for (int t = 0; t < T; ++t) {
                const float da = act[t].d[b];
                const __m256i bs = _mm256_loadu_si256(
                    reinterpret_cast<const __m256i*>((K::kMin == KqMin::Float8 ? act[t].bs8 : act[t].bs) + b * 16));
                const __m256i im = _mm256_madd_epi16(mn, bs);
                if constexpr (K::kMin == KqMin::Offset) {
                    const __m256i v = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(im, K::kOffShift));
                    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(d * da), acc[t]);
                } else {
                    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * da), acc[t]);
                    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(im), _mm256_set1_ps(-dmin * da), acc[t]);
                }
            }
        }
        for (int t = 0; t < T; ++t) y[t * y_stride + r] = hsum(acc[t]);
    }
}

// ---- prompt path: unpacked tiles ----------------------------------------------------

constexpr int64_t kTileTok = 64;  // tokens per activation tile
constexpr int64_t kTileRow = 16;  // rows unpacked at a time
constexpr int kMR = 2, kMT = 3;  // register micro-tile: rows x tokens

// Unpacked layout: each pair of 32-value chunks (values 64m .. 64m+63) stored as
// unpacklo / unpackhi_epi64 of the natural-order pair, so that byte j of both chunks
// lies in the same 16-value sub-block: x = maddubs(c0, a0) + maddubs(c1, a1) (int16
// sums of 4 products, |x| <= 4*63*128), then one madd with the scales per pair.
// Activations are rearranged the same way once per tile.
struct alignas(64) UBlock {
    uint8_t q[256];
    int16_t scv[4][16];
};

// Scale index (16-value sub-block >> shift) of int16 lane e of x for chunk pair m:
// byte 2e of c0 comes from qword 2k of source chunk s (k = e / 8, s = (e % 8) / 4).
struct PairCtrl {
    char ctrl[4][32];
    int half[4];
};
constexpr PairCtrl make_pair_ctrl(int shift) {
    PairCtrl p{};
    for (int m = 0; m < 4; ++m) {
        p.half[m] = ((4 * m) >> shift) / 8;
        for (int e = 0; e < 16; ++e) {
            const int k = e / 8, src = (e % 8) / 4;
            const int idx = (4 * m + 2 * src + k) >> shift;
            p.ctrl[m][2 * e] = static_cast<char>(2 * (idx % 8));
            p.ctrl[m][2 * e + 1] = static_cast<char>(2 * (idx % 8) + 1);
        }
    }
    return p;
}
template <int Shift>
struct PairTable {
    static constexpr PairCtrl p = make_pair_ctrl(Shift);
};

template <class K>
void unpack_row(const uint8_t* row, int64_t nb, UBlock* ub, float* wd, int32_t* wc, float* am) {
    constexpr int G = min_groups<K>();
    constexpr const PairCtrl& pc = PairTable<K::kScShift>::p;
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = row + b * sizeof(typename K::Block);
        __m256i sc, mn;
        float d, dmin;
        K::scales(blk, sc, mn, d, dmin);
        const ScaleHalves sh(sc);
        // bias: corr = -128 * sum_j sc_j * sum_{i in j} (q_i - off) = -128 * (t - 16 off sum_j sc_j)
        __m256i tq = _mm256_setzero_si256();
        const __m256i sc8 = _mm256_broadcastsi128_si256(
            _mm_packs_epi16(_mm256_castsi256_si128(sc), _mm256_extracti128_si256(sc, 1)));
        for (int h = 0; h < 2; ++h) {
            __m256i q[4];
            K::quants(blk, h, q);
            if constexpr (kBias<K>) {
                for (int c = 0; c < 4; ++c) {
                    // byte i of q[c] (value 128h + 32c + i): the scale of sub-block 8h + 2c + i / 16
                    const __m256i idx = _mm256_setr_m128i(_mm_set1_epi8(static_cast<char>(8 * h + 2 * c)),
                                                          _mm_set1_epi8(static_cast<char>(8 * h + 2 * c + 1)));
                    const __m256i sv = _mm256_shuffle_epi8(sc8, idx);
                    tq = _mm256_add_epi32(tq, _mm256_madd_epi16(_mm256_maddubs_epi16(q[c], sv), _mm256_set1_epi16(1)));
                    q[c] = _mm256_sub_epi8(q[c], _mm256_set1_epi8(1 << K::kOffShift));
                }
            }
            uint8_t* dst = ub[b].q + 128 * h;
            for (int p = 0; p < 2; ++p) {
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 64 * p), _mm256_unpacklo_epi64(q[2 * p], q[2 * p + 1]));
                _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 64 * p + 32),
                                   _mm256_unpackhi_epi64(q[2 * p], q[2 * p + 1]));
            }
        }
        for (int m = 0; m < 4; ++m)
            _mm256_store_si256(reinterpret_cast<__m256i*>(ub[b].scv[m]),
                               _mm256_shuffle_epi8(pc.half[m] ? sh.hi : sh.lo,
                                                   loadu(reinterpret_cast<const uint8_t*>(pc.ctrl[m]))));
        wd[b] = d;
        wc[b] = 0;
        if constexpr (kBias<K>) {
            const int32_t t = hsum_epi32(tq);
            const int32_t sum_sc = hsum_epi32(_mm256_madd_epi16(sc, _mm256_set1_epi16(1)));
            wc[b] = -128 * (t - 16 * (1 << K::kOffShift) * sum_sc);
        }
        float* m = am + b * G;
        if constexpr (K::kMin == KqMin::Float8) {
            const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(mn, 1)));
            _mm256_storeu_ps(m, _mm256_mul_ps(f, _mm256_set1_ps(-dmin)));
        } else if constexpr (K::kMin == KqMin::Float16) {
            const __m256 kv = _mm256_set1_ps(-dmin);
            _mm256_storeu_ps(m, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(mn))), kv));
            _mm256_storeu_ps(m + 8,
                             _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(mn, 1))), kv));
        }
    }
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

template <bool Bias, int R, int T>
void micro(const Micro& m) {
    const int64_t nb = m.nb;
    const UBlock* const* wb = m.wb;
    const float* const* wd = m.wd;
    const uint8_t* const* aq = m.aq;
    const float* const* ad = m.ad;
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
        for (int t = 0; t < T; ++t) acc[i][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        prefetch_rows<R>(m, b);
        __m256i isum[R][T];
        for (int i = 0; i < R; ++i) {
            const __m256i init = Bias ? _mm256_zextsi128_si256(_mm_cvtsi32_si128(m.wc[i][b])) : _mm256_setzero_si256();
            for (int t = 0; t < T; ++t) isum[i][t] = init;
        }
        for (int p = 0; p < 4; ++p) {
            for (int i = 0; i < R; ++i) {
                const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wb[i][b].q + 64 * p));
                const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wb[i][b].q + 64 * p + 32));
                const __m256i sv = _mm256_load_si256(reinterpret_cast<const __m256i*>(wb[i][b].scv[p]));
                // (unsigned, signed) operands: (quants, activations), or with Bias the other way
                auto mb = [](__m256i w, __m256i x) {
                    return Bias ? _mm256_maddubs_epi16(x, w) : _mm256_maddubs_epi16(w, x);
                };
                for (int t = 0; t < T; ++t) {
                    const uint8_t* a = aq[t] + b * 256 + 64 * p;
                    const __m256i x = _mm256_add_epi16(mb(w0, _mm256_load_si256(reinterpret_cast<const __m256i*>(a))),
                                                       mb(w1, _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 32))));
                    isum[i][t] = _mm256_add_epi32(isum[i][t], _mm256_madd_epi16(x, sv));
                }
            }
        }
        for (int i = 0; i < R; ++i) {
            const __m256 dw = _mm256_set1_ps(wd[i][b]);
            for (int t = 0; t < T; ++t)
                acc[i][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[i][t]), _mm256_mul_ps(dw, _mm256_set1_ps(ad[t][b])),
                                            acc[i][t]);
        }
    }
    for (int i = 0; i < R; ++i)
        for (int t = 0; t < T; ++t) m.c[i * m.ldc + t] = hsum(acc[i][t]);
}

template <bool Bias, int R, int T = kMT>
void micro_tok(int64_t nt, const Micro& m) {
    if constexpr (T > 1) {
        if (nt < T) {
            micro_tok<Bias, R, T - 1>(nt, m);
            return;
        }
    }
    micro<Bias, R, T>(m);
}

// The tile's min terms, ctile[i][t] += sum_k wm[i][k] * bm[k][t] for t < 8 NV: RM rows
// x NV vectors of 8 tokens per pass, enough independent sums to hide the FMA latency.
template <int RM, int NV>
void min_terms_rows(int64_t ng, const float* const* wm, const float* bm, float* ctile) {
    __m256 s[RM][NV];
    for (int i = 0; i < RM; ++i)
        for (int v = 0; v < NV; ++v) s[i][v] = _mm256_setzero_ps();
    for (int64_t k = 0; k < ng; ++k)
        for (int i = 0; i < RM; ++i) {
            const __m256 wv = _mm256_broadcast_ss(wm[i] + k);
            for (int v = 0; v < NV; ++v) s[i][v] = _mm256_fmadd_ps(wv, _mm256_load_ps(bm + k * kTileTok + 8 * v), s[i][v]);
        }
    for (int i = 0; i < RM; ++i)
        for (int v = 0; v < NV; ++v) {
            float* c = ctile + i * kTileTok + 8 * v;
            _mm256_store_ps(c, _mm256_add_ps(_mm256_load_ps(c), s[i][v]));
        }
}

template <int NV>
void min_terms_nv(int64_t rt, int64_t ng, const float* const* wm, const float* bm, float* ctile) {
    constexpr int RM = NV >= 8 ? 1 : NV >= 4 ? 2 : 4;
    int64_t i = 0;
    for (; i + RM <= rt; i += RM) min_terms_rows<RM, NV>(ng, wm + i, bm, ctile + i * kTileTok);
    for (; i < rt; ++i) min_terms_rows<1, NV>(ng, wm + i, bm, ctile + i * kTileTok);
}

void min_terms(int64_t rt, int64_t ng, int64_t nv, const float* const* wm, const float* bm, float* ctile) {
    static_assert(kTileTok == 64);
    switch (nv) {  // nv is even: tiles are padded to 16 tokens
        case 2: min_terms_nv<2>(rt, ng, wm, bm, ctile); break;
        case 4: min_terms_nv<4>(rt, ng, wm, bm, ctile); break;
        case 6: min_terms_nv<6>(rt, ng, wm, bm, ctile); break;
        default: min_terms_nv<8>(rt, ng, wm, bm, ctile); break;
    }
}

template <class K>
void gemm_tiled(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    constexpr int G = min_groups<K>();
    const int64_t nb = n / kQK_K;
    const int64_t ng = nb * G;
    const size_t a_q = kq_align64(static_cast<size_t>(nb) * 256);
    const size_t a_d = kq_align64(static_cast<size_t>(nb) * 4);
    const size_t a_bm = static_cast<size_t>(ng) * kTileTok * 4;
    uint8_t* abuf = t_act_scratch.get(kTileTok * (a_q + a_d) + a_bm);
    float* bm = reinterpret_cast<float*>(abuf + kTileTok * (a_q + a_d));
    const size_t w_u = static_cast<size_t>(nb) * sizeof(UBlock);
    const size_t w_d = kq_align64(static_cast<size_t>(nb) * 4);  // d, then corr
    const size_t w_m = kq_align64(static_cast<size_t>(ng) * 4);
    const size_t w_row = w_u + 2 * w_d + w_m;
    uint8_t* wbuf = t_wts_scratch.get(kTileRow * w_row + kTileRow * kTileTok * 4);
    float* ctile = reinterpret_cast<float*>(wbuf + kTileRow * w_row);

    for (int64_t t0 = 0; t0 < n_tok; t0 += kTileTok) {
        const int64_t tt = kq_min(kTileTok, n_tok - t0);
        const int64_t tpad = (tt + 15) & ~int64_t{15};
        kq_prep_tile<false, G>(a + static_cast<size_t>(t0) * a_stride, a_stride, tt, nb, abuf, a_q + a_d,
                               reinterpret_cast<float*>(abuf + a_q), (a_q + a_d) / 4, bm, kTileTok);
        const uint8_t* aq[kTileTok];
        const float* ad[kTileTok];
        for (int64_t t = 0; t < tt; ++t) {
            uint8_t* q = abuf + t * (a_q + a_d);
            const __m256i flip = _mm256_set1_epi8(kBias<K> ? static_cast<char>(0x80) : 0);  // a + 128
            for (int64_t p = 0; p < 4 * nb; ++p) {
                const __m256i v0 = _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(q + 64 * p)), flip);
                const __m256i v1 =
                    _mm256_xor_si256(_mm256_load_si256(reinterpret_cast<const __m256i*>(q + 64 * p + 32)), flip);
                _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * p), _mm256_unpacklo_epi64(v0, v1));
                _mm256_store_si256(reinterpret_cast<__m256i*>(q + 64 * p + 32), _mm256_unpackhi_epi64(v0, v1));
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
                        micro_tok<kBias<K>, kMR>(nt, m);
                        i += kMR;
                    } else {
                        micro_tok<kBias<K>, 1>(nt, m);
                        ++i;
                    }
                }
            }
            if constexpr (G > 0) min_terms(rt, ng, tpad / 8, wm, bm, ctile);
            for (int64_t t = 0; t < tt; ++t)
                for (int64_t i = 0; i < rt; ++i) y[(t0 + t) * y_stride + r0 + i] = ctile[i * kTileTok + t];
        }
    }
}

constexpr int64_t kTileMin = 8;  // fewest tokens for the tiled path (measured crossover)
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
            act[t] = kq_prep_act<false>(a + static_cast<size_t>(t0 + t) * a_stride, nb, buf + per * static_cast<size_t>(t));
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
    const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K, out += sizeof(BlockQ8_K)) {
        __m256 m = _mm256_setzero_ps();
        for (int i = 0; i < 32; ++i) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)), m);
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 127.0f;
        const __m256 id = _mm256_set1_ps(kq_q8k_inv(amax));
        std::memcpy(out, &d, 4);
        int16_t bs[16];
        for (int i = 0; i < 8; ++i) {  // 32 values
            __m256i qi[4];
            for (int k = 0; k < 4; ++k) {
                const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 32 * i + 8 * k), id);
                qi[k] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));  // nearest, ties to even
            }
            bs[2 * i] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(qi[0], qi[1])));
            bs[2 * i + 1] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(qi[2], qi[3])));
            const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(qi[0], qi[1]), _mm256_packs_epi32(qi[2], qi[3]));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4 + 32 * i), _mm256_permutevar8x32_epi32(p, order));
        }
        std::memcpy(out + 260, bs, 32);
    }
}

}  // namespace

void kernel_registry::avx2_kquants(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::Q2_K)] = gemm<Q2K>;
    t.gemm[static_cast<size_t>(DType::Q3_K)] = gemm<Q3K>;
    t.gemm[static_cast<size_t>(DType::Q4_K)] = gemm<Q4K>;
    t.gemm[static_cast<size_t>(DType::Q5_K)] = gemm<Q5K>;
    t.gemm[static_cast<size_t>(DType::Q6_K)] = gemm<Q6K>;
    t.quantize_act[static_cast<size_t>(ActFormat::Q8K)] = quantize_q8k;
}

}  // namespace pareto
