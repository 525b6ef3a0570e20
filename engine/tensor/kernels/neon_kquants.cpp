// NEON matrix products for the K types (Q2_K .. Q6_K against Q8_K activations) and the
// Q8_K activation quantizer. The semantics are those of scalar_kquants.cpp (the
// reference; formats and the form of the product in kquants_common.h), and the
// results are bit-identical to it:
//   * per weight block and token, the exact int32 sums
//       isum = sum_j sc[j] * (sum_{i in j} q[i] a[i] - off * bsum[j]),
//       imin = sum_j mn[j] * bsum[j]
//     over the 16 sub-blocks of 16 values, then in float, block by block in order,
//       acc += (da * d) * isum - (da * dmin) * imin,
//     for 4 rows at once in the 4 lanes (no fused multiply-add: the object is built
//     with -ffp-contract=off);
//   * the Q8_K quantizer writes the same bytes as the scalar one (FMAXNM/FMINNM as
//     std::fmax/fmin, FCVTNS rounding half to even as std::nearbyint).
// Each pass decodes one block of 4 weight rows into plain unsigned values (natural
// order) and 16 scales and mins per row, and uses it for up to 8 tokens.
//
// Built twice: PARETO_DOTPROD=0 (ARMv8.0-A: everything) and PARETO_DOTPROD=1 (SDOT:
// the products again), see neon_common.h.
#include "tensor/kernels.h"
#include "tensor/kernels/neon_common.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

using namespace neon;

constexpr int kRows = 4;    // weight rows per pass (the 4 float lanes)
constexpr int kTokens = 8;  // tokens per pass

// BlockQ8_K: d at 0, qs at 4, bsums at 260.
constexpr size_t kQ8KBytes = sizeof(BlockQ8_K);

// One block of 4 rows, decoded.
struct Decoded {
    uint8_t q[kRows][kQK_K];  // unsigned values, natural order
    int32_t sc[kRows][16];    // scale of each 16 values
    int16_t mn[kRows][16];    // min of each 16 values (types with mins)
    uint16_t d[kRows], dmin[kRows];  // half bits
};

inline void store_u8(uint8_t* p, uint8x16_t v) { vst1q_u8(p, v); }

// ---- decoders: block at p -> row k of `o` --------------------------------------------

struct Q2K {
    static constexpr size_t kBytes = sizeof(BlockQ2_K);
    static constexpr int kOff = 0;
    static constexpr bool kHasMin = true;
    static void decode(const uint8_t* p, Decoded& o, int k) {
        const uint8_t* qs = p + 16;
        for (int h = 0; h < 2; ++h) {
            const uint8x16_t v0 = vld1q_u8(qs + 32 * h), v1 = vld1q_u8(qs + 32 * h + 16);
            uint8_t* q = o.q[k] + 128 * h;
            const uint8x16_t m3 = vdupq_n_u8(3);
            store_u8(q + 0, vandq_u8(v0, m3));
            store_u8(q + 16, vandq_u8(v1, m3));
            store_u8(q + 32, vandq_u8(vshrq_n_u8(v0, 2), m3));
            store_u8(q + 48, vandq_u8(vshrq_n_u8(v1, 2), m3));
            store_u8(q + 64, vandq_u8(vshrq_n_u8(v0, 4), m3));
            store_u8(q + 80, vandq_u8(vshrq_n_u8(v1, 4), m3));
            store_u8(q + 96, vshrq_n_u8(v0, 6));
            store_u8(q + 112, vshrq_n_u8(v1, 6));
        }
        for (int j = 0; j < 16; ++j) {
            o.sc[k][j] = p[j] & 0xF;
            o.mn[k][j] = static_cast<int16_t>(p[j] >> 4);
        }
        o.d[k] = load_u16(p + 80);
        o.dmin[k] = load_u16(p + 82);
    }
};

struct Q3K {
    static constexpr size_t kBytes = sizeof(BlockQ3_K);
    static constexpr int kOff = 4;
    static constexpr bool kHasMin = false;
    static void decode(const uint8_t* p, Decoded& o, int k) {
        const uint8_t* hmask = p;
        const uint8_t* qs = p + 32;
        const uint8x16_t h0 = vld1q_u8(hmask), h1 = vld1q_u8(hmask + 16);
        const uint8x16_t m3 = vdupq_n_u8(3), four = vdupq_n_u8(4);
        for (int h = 0; h < 2; ++h) {
            const uint8x16_t v0 = vld1q_u8(qs + 32 * h), v1 = vld1q_u8(qs + 32 * h + 16);
            uint8_t* q = o.q[k] + 128 * h;
            for (int j = 0; j < 4; ++j) {
                const uint8x16_t bit = vdupq_n_u8(static_cast<uint8_t>(1u << (4 * h + j)));
                const int8x16_t shift = vdupq_n_s8(static_cast<int8_t>(-2 * j));
                const uint8x16_t lo0 = vandq_u8(vshlq_u8(v0, shift), m3);
                const uint8x16_t lo1 = vandq_u8(vshlq_u8(v1, shift), m3);
                store_u8(q + 32 * j, vorrq_u8(lo0, vandq_u8(vtstq_u8(h0, bit), four)));
                store_u8(q + 32 * j + 16, vorrq_u8(lo1, vandq_u8(vtstq_u8(h1, bit), four)));
            }
        }
        const uint8_t* s = p + 96;
        for (int j = 0; j < 16; ++j) {
            const int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
            const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
            o.sc[k][j] = (lo | (hi << 4)) - 32;
        }
        o.d[k] = load_u16(p + 108);
        o.dmin[k] = 0;
    }
};

// Q4_K / Q5_K: 8 six-bit scales and mins in 12 bytes, each for 32 values.
inline void scales_k4(const uint8_t* s, Decoded& o, int k) {
    for (int j = 0; j < 4; ++j) {
        const int sc_lo = s[j] & 63, mn_lo = s[j + 4] & 63;
        const int sc_hi = (s[j + 8] & 0xF) | ((s[j] >> 6) << 4);
        const int mn_hi = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
        o.sc[k][2 * j] = o.sc[k][2 * j + 1] = sc_lo;
        o.mn[k][2 * j] = o.mn[k][2 * j + 1] = static_cast<int16_t>(mn_lo);
        o.sc[k][2 * j + 8] = o.sc[k][2 * j + 9] = sc_hi;
        o.mn[k][2 * j + 8] = o.mn[k][2 * j + 9] = static_cast<int16_t>(mn_hi);
    }
}

struct Q4K {
    static constexpr size_t kBytes = sizeof(BlockQ4_K);
    static constexpr int kOff = 0;
    static constexpr bool kHasMin = true;
    static void decode(const uint8_t* p, Decoded& o, int k) {
        const uint8_t* qs = p + 16;
        const uint8x16_t m4 = vdupq_n_u8(0xF);
        for (int g = 0; g < 4; ++g) {
            const uint8x16_t v0 = vld1q_u8(qs + 32 * g), v1 = vld1q_u8(qs + 32 * g + 16);
            uint8_t* q = o.q[k] + 64 * g;
            store_u8(q + 0, vandq_u8(v0, m4));
            store_u8(q + 16, vandq_u8(v1, m4));
            store_u8(q + 32, vshrq_n_u8(v0, 4));
            store_u8(q + 48, vshrq_n_u8(v1, 4));
        }
        scales_k4(p + 4, o, k);
        o.d[k] = load_u16(p);
        o.dmin[k] = load_u16(p + 2);
    }
};

struct Q5K {
    static constexpr size_t kBytes = sizeof(BlockQ5_K);
    static constexpr int kOff = 0;
    static constexpr bool kHasMin = true;
    static void decode(const uint8_t* p, Decoded& o, int k) {
        const uint8_t* qh = p + 16;
        const uint8_t* qs = p + 48;
        const uint8x16_t m4 = vdupq_n_u8(0xF), b4 = vdupq_n_u8(0x10);
        const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
        for (int g = 0; g < 4; ++g) {
            const uint8x16_t v0 = vld1q_u8(qs + 32 * g), v1 = vld1q_u8(qs + 32 * g + 16);
            const uint8x16_t blo = vdupq_n_u8(static_cast<uint8_t>(1u << (2 * g)));
            const uint8x16_t bhi = vdupq_n_u8(static_cast<uint8_t>(1u << (2 * g + 1)));
            uint8_t* q = o.q[k] + 64 * g;
            store_u8(q + 0, vorrq_u8(vandq_u8(v0, m4), vandq_u8(vtstq_u8(h0, blo), b4)));
            store_u8(q + 16, vorrq_u8(vandq_u8(v1, m4), vandq_u8(vtstq_u8(h1, blo), b4)));
            store_u8(q + 32, vorrq_u8(vshrq_n_u8(v0, 4), vandq_u8(vtstq_u8(h0, bhi), b4)));
            store_u8(q + 48, vorrq_u8(vshrq_n_u8(v1, 4), vandq_u8(vtstq_u8(h1, bhi), b4)));
        }
        scales_k4(p + 4, o, k);
        o.d[k] = load_u16(p);
        o.dmin[k] = load_u16(p + 2);
    }
};

struct Q6K {
    static constexpr size_t kBytes = sizeof(BlockQ6_K);
    static constexpr int kOff = 32;
    static constexpr bool kHasMin = false;
    static void decode(const uint8_t* p, Decoded& o, int k) {
        const uint8x16_t m4 = vdupq_n_u8(0xF), m3 = vdupq_n_u8(3), m30 = vdupq_n_u8(0x30);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = p + 64 * h;
            const uint8_t* qh = p + 128 + 32 * h;
            uint8_t* q = o.q[k] + 128 * h;
            for (int c = 0; c < 2; ++c) {
                const uint8x16_t l0 = vld1q_u8(ql + 16 * c), l1 = vld1q_u8(ql + 32 + 16 * c);
                const uint8x16_t hb = vld1q_u8(qh + 16 * c);
                store_u8(q + 16 * c, vorrq_u8(vandq_u8(l0, m4), vshlq_n_u8(vandq_u8(hb, m3), 4)));
                store_u8(q + 32 + 16 * c, vorrq_u8(vandq_u8(l1, m4), vandq_u8(vshlq_n_u8(hb, 2), m30)));
                store_u8(q + 64 + 16 * c, vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(hb, m30)));
                store_u8(q + 96 + 16 * c, vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(vshrq_n_u8(hb, 2), m30)));
            }
        }
        const int8_t* sc = reinterpret_cast<const int8_t*>(p + 192);
        for (int j = 0; j < 16; ++j) o.sc[k][j] = sc[j];
        o.d[k] = load_u16(p + 208);
        o.dmin[k] = 0;
    }
};

// ---- the product ---------------------------------------------------------------------------

// The rows of `dec` times one Q8_K block: acc += (da * d) * isum - (da * dmin) * imin.
template <class K>
inline float32x4_t block_product(const Decoded& dec, float32x4_t dw, float32x4_t dminw, const uint8_t* ab,
                                 float32x4_t acc) {
    const int8_t* aq = reinterpret_cast<const int8_t*>(ab + 4);
    int16_t bsums[16];  // a row's blocks are 292 bytes apart: not int16-aligned
    std::memcpy(bsums, ab + 260, sizeof bsums);
    int32x4_t isum[kRows], imin[kRows];
    for (int k = 0; k < kRows; ++k) isum[k] = imin[k] = zero_s32();
    for (int g = 0; g < 4; ++g) {  // sub-blocks 4g .. 4g+3
        const int8x16_t a0 = vld1q_s8(aq + 64 * g), a1 = vld1q_s8(aq + 64 * g + 16);
        const int8x16_t a2 = vld1q_s8(aq + 64 * g + 32), a3 = vld1q_s8(aq + 64 * g + 48);
        const int32x4_t bs4 = vmovl_s16(vld1_s16(bsums + 4 * g));
        for (int k = 0; k < kRows; ++k) {
            const int8_t* q = reinterpret_cast<const int8_t*>(dec.q[k] + 64 * g);
            const int32x4_t s0 = dot_s8(zero_s32(), vld1q_s8(q), a0);
            const int32x4_t s1 = dot_s8(zero_s32(), vld1q_s8(q + 16), a1);
            const int32x4_t s2 = dot_s8(zero_s32(), vld1q_s8(q + 32), a2);
            const int32x4_t s3 = dot_s8(zero_s32(), vld1q_s8(q + 48), a3);
            int32x4_t dots = reduce4(s0, s1, s2, s3);  // the 4 sub-blocks' dot products
            if constexpr (K::kOff != 0) dots = vsubq_s32(dots, vmulq_n_s32(bs4, K::kOff));
            isum[k] = vmlaq_s32(isum[k], dots, vld1q_s32(dec.sc[k] + 4 * g));
        }
    }
    if constexpr (K::kHasMin) {
        const int16x8_t b0 = vld1q_s16(bsums), b1 = vld1q_s16(bsums + 8);
        for (int k = 0; k < kRows; ++k) {
            const int16x8_t m0 = vld1q_s16(dec.mn[k]), m1 = vld1q_s16(dec.mn[k] + 8);
            int32x4_t s = vmull_s16(vget_low_s16(m0), vget_low_s16(b0));
            s = vmlal_high_s16(s, m0, b0);
            s = vmlal_s16(s, vget_low_s16(m1), vget_low_s16(b1));
            imin[k] = vmlal_high_s16(s, m1, b1);
        }
    }
    const float da = load_f32(ab);
    const float32x4_t x = vmulq_f32(vmulq_n_f32(dw, da), vcvtq_f32_s32(reduce4(isum[0], isum[1], isum[2], isum[3])));
    const float32x4_t m =
        vmulq_f32(vmulq_n_f32(dminw, da), vcvtq_f32_s32(reduce4(imin[0], imin[1], imin[2], imin[3])));
    return vaddq_f32(acc, vsubq_f32(x, m));
}

template <class K>
void gemm_kq(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
             int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / kQK_K;
    Decoded dec;  // mn stays unused for the types without mins
    for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
        const int nt = static_cast<int>(min64(kTokens, n_tok - t0));
        const uint8_t* at = a + static_cast<size_t>(t0) * a_stride;
        for (int64_t r = 0; r < n_rows; r += kRows) {
            const uint8_t* rows[kRows];
            for (int k = 0; k < kRows; ++k) rows[k] = w + static_cast<size_t>(min64(r + k, n_rows - 1)) * w_stride;
            float32x4_t acc[kTokens];
            for (int t = 0; t < nt; ++t) acc[t] = zero_f32();
            for (int64_t b = 0; b < nb; ++b) {
                for (int k = 0; k < kRows; ++k) K::decode(rows[k] + static_cast<size_t>(b) * K::kBytes, dec, k);
                const float32x4_t dw = half4_to_f32(vld1_u16(dec.d));
                const float32x4_t dminw = half4_to_f32(vld1_u16(dec.dmin));
                for (int t = 0; t < nt; ++t)
                    acc[t] = block_product<K>(dec, dw, dminw,
                                              at + static_cast<size_t>(t) * a_stride + static_cast<size_t>(b) * kQ8KBytes,
                                              acc[t]);
            }
            const int nr = static_cast<int>(min64(kRows, n_rows - r));
            for (int t = 0; t < nt; ++t) store_lanes(y + (t0 + t) * y_stride + r, acc[t], nr);
        }
    }
}

#if !PARETO_DOTPROD
// ---- Q8_K activations ----------------------------------------------------------------------

// One block, byte-identical to scalar_kquants.cpp's quantize_q8k: amax = max |x|
// (NaN-ignoring), d = amax / 127, q = round-half-even(clamp(x * (127 / amax))),
// bsums of 16.
void quantize_block_q8k(const float* x, uint8_t* out) {
    float32x4_t amax4 = zero_f32();
    for (int i = 0; i < kQK_K; i += 4) amax4 = vmaxnmq_f32(amax4, vabsq_f32(vld1q_f32(x + i)));
    const float amax = vmaxnmvq_f32(amax4);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float d = amax / 127.0f;
    int8_t q[kQK_K];
    int16_t bsums[16];
    const float32x4_t lo = vdupq_n_f32(-127.0f), hi = vdupq_n_f32(127.0f);
    for (int j = 0; j < 16; ++j) {  // 16 values per step
        int32x4_t qi[4];
        for (int k = 0; k < 4; ++k) {
            const float32x4_t v = vminnmq_f32(vmaxnmq_f32(vmulq_n_f32(vld1q_f32(x + 16 * j + 4 * k), id), lo), hi);
            qi[k] = vcvtnq_s32_f32(v);  // round to nearest, ties to even
        }
        const int16x8_t q0 = vcombine_s16(vmovn_s32(qi[0]), vmovn_s32(qi[1]));
        const int16x8_t q1 = vcombine_s16(vmovn_s32(qi[2]), vmovn_s32(qi[3]));
        vst1q_s8(q + 16 * j, vcombine_s8(vmovn_s16(q0), vmovn_s16(q1)));
        bsums[j] = static_cast<int16_t>(vaddvq_s16(vaddq_s16(q0, q1)));  // |sum| <= 16 * 127
    }
    std::memcpy(out, &d, 4);
    std::memcpy(out + 4, q, sizeof q);
    std::memcpy(out + 260, bsums, sizeof bsums);
}

void quantize_q8k(const float* x, uint8_t* out, int64_t n) {
    for (int64_t b = 0; b < n / kQK_K; ++b)
        quantize_block_q8k(x + b * kQK_K, out + static_cast<size_t>(b) * kQ8KBytes);
}
#endif  // !PARETO_DOTPROD

void set_gemms(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::Q2_K)] = gemm_kq<Q2K>;
    t.gemm[static_cast<size_t>(DType::Q3_K)] = gemm_kq<Q3K>;
    t.gemm[static_cast<size_t>(DType::Q4_K)] = gemm_kq<Q4K>;
    t.gemm[static_cast<size_t>(DType::Q5_K)] = gemm_kq<Q5K>;
    t.gemm[static_cast<size_t>(DType::Q6_K)] = gemm_kq<Q6K>;
}

}  // namespace

#if PARETO_DOTPROD
void kernel_registry::neon_dotprod_kquants(KernelTable& t) { set_gemms(t); }
#else
void kernel_registry::neon_kquants(KernelTable& t) {
    set_gemms(t);
    t.quantize_act[static_cast<size_t>(ActFormat::Q8K)] = quantize_q8k;
    if (neon::has_dotprod()) kernel_registry::neon_dotprod_kquants(t);
}
#endif

}  // namespace pareto
