// NEON matrix products for the plain float types (F32, F16, BF16 against F32
// activations) and the legacy 32-value block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
// against Q8A activations), and the Q8A activation quantizer. The semantics are those
// of scalar_legacy.cpp (the reference, conventions in legacy_common.h):
//   * the Q8A quantizer writes the same bytes as the scalar one (IEEE division, the
//     NaN-ignoring max/min FMAXNM/FMINNM as std::fmax/fmin, FCVTAS rounding half away
//     from zero);
//   * the legacy-block products are bit-identical to scalar: exact int32 block dot
//     products, then per block, in block order, sum += (dw * da) * isum [+ m * s],
//     computed for 4 rows at once in the 4 lanes (no fused multiply-add: the object
//     is built with -ffp-contract=off);
//   * the float-weight products use fused multiply-adds and 4-lane partial sums, so
//     they differ from scalar only by rounding.
// Tiling: 4 weight rows at a time (remainder rows repeat the last one and store only
// theirs) and up to 8 tokens, so each decoded weight block is used for 8 tokens and
// each token's activations stay in cache across the rows.
//
// Built twice: PARETO_DOTPROD=0 (ARMv8.0-A: everything) and PARETO_DOTPROD=1 (SDOT:
// the integer products again), see neon_common.h.
#include "tensor/kernels.h"
#include "tensor/kernels/neon_common.h"
#include "tensor/quant.h"

namespace pareto {
namespace {

using namespace neon;

constexpr int kRows = 4;   // weight rows per pass (the 4 float lanes)
constexpr int kTokens = 8; // tokens per pass

// Row pointers of a pass over rows r .. r + 3; rows past the end repeat the last.
inline void pass_rows(const uint8_t* w, size_t w_stride, int64_t r, int64_t n_rows, const uint8_t* rows[kRows]) {
    for (int k = 0; k < kRows; ++k)
        rows[k] = w + static_cast<size_t>(min64(r + k, n_rows - 1)) * w_stride;
}

// ---- legacy blocks: decoding -----------------------------------------------------------
// decode(p, lo, hi): the block's 32 integers (offset applied) as int8, values 0..15 in
// lo and 16..31 in hi. d / m: the scale and min as half bits.

// Bit 4 of value j is bit j of qh: 16 bytes of 0x10 or 0, for values base .. base + 15.
inline uint8x16_t fifth_bits(uint32_t qh, int base) {
    static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bytes = vcombine_u8(vdup_n_u8(static_cast<uint8_t>(qh >> base)),
                                         vdup_n_u8(static_cast<uint8_t>(qh >> (base + 8))));
    return vandq_u8(vtstq_u8(bytes, vld1q_u8(kBit)), vdupq_n_u8(0x10));
}

struct Q4_0 {
    static constexpr size_t kBytes = sizeof(BlockQ4_0);
    static constexpr bool kHasMin = false;
    static void decode(const uint8_t* p, int8x16_t& lo, int8x16_t& hi) {
        const uint8x16_t qs = vld1q_u8(p + 2);
        lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(qs, vdupq_n_u8(15))), vdupq_n_s8(8));
        hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(qs, 4)), vdupq_n_s8(8));
    }
    static uint16_t d(const uint8_t* p) { return load_u16(p); }
    static uint16_t m(const uint8_t*) { return 0; }
};

struct Q4_1 {
    static constexpr size_t kBytes = sizeof(BlockQ4_1);
    static constexpr bool kHasMin = true;
    static void decode(const uint8_t* p, int8x16_t& lo, int8x16_t& hi) {
        const uint8x16_t qs = vld1q_u8(p + 4);
        lo = vreinterpretq_s8_u8(vandq_u8(qs, vdupq_n_u8(15)));
        hi = vreinterpretq_s8_u8(vshrq_n_u8(qs, 4));
    }
    static uint16_t d(const uint8_t* p) { return load_u16(p); }
    static uint16_t m(const uint8_t* p) { return load_u16(p + 2); }
};

struct Q5_0 {
    static constexpr size_t kBytes = sizeof(BlockQ5_0);
    static constexpr bool kHasMin = false;
    static void decode(const uint8_t* p, int8x16_t& lo, int8x16_t& hi) {
        const uint32_t qh = load_u32(p + 2);
        const uint8x16_t qs = vld1q_u8(p + 6);
        lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(qs, vdupq_n_u8(15)), fifth_bits(qh, 0))), vdupq_n_s8(16));
        hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(qs, 4), fifth_bits(qh, 16))), vdupq_n_s8(16));
    }
    static uint16_t d(const uint8_t* p) { return load_u16(p); }
    static uint16_t m(const uint8_t*) { return 0; }
};

struct Q5_1 {
    static constexpr size_t kBytes = sizeof(BlockQ5_1);
    static constexpr bool kHasMin = true;
    static void decode(const uint8_t* p, int8x16_t& lo, int8x16_t& hi) {
        const uint32_t qh = load_u32(p + 4);
        const uint8x16_t qs = vld1q_u8(p + 8);
        lo = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(qs, vdupq_n_u8(15)), fifth_bits(qh, 0)));
        hi = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(qs, 4), fifth_bits(qh, 16)));
    }
    static uint16_t d(const uint8_t* p) { return load_u16(p); }
    static uint16_t m(const uint8_t* p) { return load_u16(p + 2); }
};

struct Q8_0 {
    static constexpr size_t kBytes = sizeof(BlockQ8_0);
    static constexpr bool kHasMin = false;
    static void decode(const uint8_t* p, int8x16_t& lo, int8x16_t& hi) {
        lo = vld1q_s8(reinterpret_cast<const int8_t*>(p + 2));
        hi = vld1q_s8(reinterpret_cast<const int8_t*>(p + 18));
    }
    static uint16_t d(const uint8_t* p) { return load_u16(p); }
    static uint16_t m(const uint8_t*) { return 0; }
};

// ---- legacy blocks: the product --------------------------------------------------------

// BlockQ8A: d at 0, s at 4, qs at 8.
constexpr size_t kQ8ABytes = sizeof(BlockQ8A);

// Rows r .. r+3 (their pointers in `rows`) times tokens t0 .. t0+nt-1.
template <class T>
void legacy_pass(int64_t nb, const uint8_t* const rows[kRows], const uint8_t* a, size_t a_stride, int nt,
                 float32x4_t acc[kTokens]) {
    for (int t = 0; t < nt; ++t) acc[t] = zero_f32();
    for (int64_t b = 0; b < nb; ++b) {
        int8x16_t lo[kRows], hi[kRows];
        uint16_t dh[kRows], mh[kRows];
        for (int k = 0; k < kRows; ++k) {
            const uint8_t* p = rows[k] + static_cast<size_t>(b) * T::kBytes;
            T::decode(p, lo[k], hi[k]);
            dh[k] = T::d(p);
            mh[k] = T::m(p);
        }
        const float32x4_t dw = half4_to_f32(vld1_u16(dh));
        const float32x4_t mw = half4_to_f32(vld1_u16(mh));
        for (int t = 0; t < nt; ++t) {
            const uint8_t* ab = a + static_cast<size_t>(t) * a_stride + static_cast<size_t>(b) * kQ8ABytes;
            const int8x16_t a0 = vld1q_s8(reinterpret_cast<const int8_t*>(ab + 8));
            const int8x16_t a1 = vld1q_s8(reinterpret_cast<const int8_t*>(ab + 24));
            int32x4_t s[kRows];
            for (int k = 0; k < kRows; ++k) s[k] = dot_s8(dot_s8(zero_s32(), lo[k], a0), hi[k], a1);
            const float32x4_t isum = vcvtq_f32_s32(reduce4(s[0], s[1], s[2], s[3]));
            float32x4_t v = vmulq_f32(vmulq_n_f32(dw, load_f32(ab)), isum);  // (dw * da) * isum
            if constexpr (T::kHasMin) v = vaddq_f32(v, vmulq_n_f32(mw, load_f32(ab + 4)));  // + m * s
            acc[t] = vaddq_f32(acc[t], v);
        }
    }
}

template <class T>
void gemm_legacy(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                 int64_t n_tok, float* y, int64_t y_stride) {
    const int64_t nb = n / 32;
    for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
        const int nt = static_cast<int>(min64(kTokens, n_tok - t0));
        const uint8_t* at = a + static_cast<size_t>(t0) * a_stride;
        for (int64_t r = 0; r < n_rows; r += kRows) {
            const uint8_t* rows[kRows];
            pass_rows(w, w_stride, r, n_rows, rows);
            float32x4_t acc[kTokens];
            legacy_pass<T>(nb, rows, at, a_stride, nt, acc);
            const int nr = static_cast<int>(min64(kRows, n_rows - r));
            for (int t = 0; t < nt; ++t) store_lanes(y + (t0 + t) * y_stride + r, acc[t], nr);
        }
    }
}

#if !PARETO_DOTPROD
// ---- float weights ---------------------------------------------------------------------

struct F32W {
    static constexpr size_t kSize = 4;
    static float32x4_t load4(const uint8_t* p) { return load4_f32(p); }
    static float load1(const uint8_t* p) { return load_f32(p); }
};
struct F16W {
    static constexpr size_t kSize = 2;
    static float32x4_t load4(const uint8_t* p) { return half4_to_f32(p); }
    static float load1(const uint8_t* p) { return half_to_f32(load_u16(p)); }
};
struct BF16W {
    static constexpr size_t kSize = 2;
    static float32x4_t load4(const uint8_t* p) { return bf16x4_to_f32(p); }
    static float load1(const uint8_t* p) { return bf16_to_f32(load_u16(p)); }
};

// Rows r .. r+3 times NT tokens: each weight vector is widened once and used NT times.
template <class W, int NT>
void float_pass(int64_t n, const uint8_t* const rows[kRows], const uint8_t* a, size_t a_stride, float* y,
                int64_t y_stride, int nr) {
    float32x4_t acc[NT][kRows];
    for (int t = 0; t < NT; ++t)
        for (int k = 0; k < kRows; ++k) acc[t][k] = zero_f32();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t wv[kRows];
        for (int k = 0; k < kRows; ++k) wv[k] = W::load4(rows[k] + static_cast<size_t>(i) * W::kSize);
        for (int t = 0; t < NT; ++t) {
            const float32x4_t av = load4_f32(a + static_cast<size_t>(t) * a_stride + static_cast<size_t>(i) * 4);
            for (int k = 0; k < kRows; ++k) acc[t][k] = vfmaq_f32(acc[t][k], wv[k], av);
        }
    }
    for (int t = 0; t < NT; ++t) {
        const uint8_t* at = a + static_cast<size_t>(t) * a_stride;
        float out[kRows];
        for (int k = 0; k < kRows; ++k) {
            float s = hsum(acc[t][k]);
            for (int64_t j = i; j < n; ++j)
                s += W::load1(rows[k] + static_cast<size_t>(j) * W::kSize) * load_f32(at + static_cast<size_t>(j) * 4);
            out[k] = s;
        }
        for (int k = 0; k < nr; ++k) y[t * y_stride + k] = out[k];
    }
}

template <class W>
void gemm_float(int64_t n, const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
                int64_t n_tok, float* y, int64_t y_stride) {
    constexpr int kFloatTokens = 4;  // 16 accumulators + 4 weights + 1 activation registers
    for (int64_t t0 = 0; t0 < n_tok; t0 += kFloatTokens) {
        const int nt = static_cast<int>(min64(kFloatTokens, n_tok - t0));
        const uint8_t* at = a + static_cast<size_t>(t0) * a_stride;
        for (int64_t r = 0; r < n_rows; r += kRows) {
            const uint8_t* rows[kRows];
            pass_rows(w, w_stride, r, n_rows, rows);
            const int nr = static_cast<int>(min64(kRows, n_rows - r));
            float* yt = y + t0 * y_stride + r;
            switch (nt) {
                case 1: float_pass<W, 1>(n, rows, at, a_stride, yt, y_stride, nr); break;
                case 2: float_pass<W, 2>(n, rows, at, a_stride, yt, y_stride, nr); break;
                case 3: float_pass<W, 3>(n, rows, at, a_stride, yt, y_stride, nr); break;
                default: float_pass<W, 4>(n, rows, at, a_stride, yt, y_stride, nr); break;
            }
        }
    }
}

// ---- activations ---------------------------------------------------------------------------

// One Q8A block, byte-identical to scalar_legacy.cpp's quantize_block_q8a.
void quantize_block_q8a(const float* x, uint8_t* out) {
    float32x4_t v[8];
    float32x4_t amax4 = zero_f32();
    for (int k = 0; k < 8; ++k) {
        v[k] = vld1q_f32(x + 4 * k);
        amax4 = vmaxnmq_f32(amax4, vabsq_f32(v[k]));  // NaN-ignoring, as std::fmax
    }
    const float d = vmaxnmvq_f32(amax4) / 127.0f;
    int8_t q[32] = {};
    int32_t sum = 0;
    if (d != 0.0f) {
        const float32x4_t vd = vdupq_n_f32(d);
        int32x4_t sum4 = zero_s32();
        int32x4_t qi[8];
        for (int k = 0; k < 8; ++k) {
            float32x4_t t = vdivq_f32(v[k], vd);
            t = vminnmq_f32(vmaxnmq_f32(t, vdupq_n_f32(-127.0f)), vdupq_n_f32(127.0f));
            qi[k] = vcvtaq_s32_f32(t);  // round to nearest, ties away from zero
            sum4 = vaddq_s32(sum4, qi[k]);
        }
        for (int k = 0; k < 2; ++k) {
            const int16x8_t lo = vcombine_s16(vmovn_s32(qi[4 * k]), vmovn_s32(qi[4 * k + 1]));
            const int16x8_t hi = vcombine_s16(vmovn_s32(qi[4 * k + 2]), vmovn_s32(qi[4 * k + 3]));
            vst1q_s8(q + 16 * k, vcombine_s8(vmovn_s16(lo), vmovn_s16(hi)));
        }
        sum = vaddvq_s32(sum4);
    }
    const float s = d * static_cast<float>(sum);
    std::memcpy(out, &d, 4);
    std::memcpy(out + 4, &s, 4);
    std::memcpy(out + 8, q, 32);
}

void quantize_q8a(const float* x, uint8_t* out, int64_t n) {
    for (int64_t i = 0; i < n / 32; ++i) quantize_block_q8a(x + i * 32, out + static_cast<size_t>(i) * kQ8ABytes);
}
#endif  // !PARETO_DOTPROD

void set_integer_gemms(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::Q4_0)] = gemm_legacy<Q4_0>;
    t.gemm[static_cast<size_t>(DType::Q4_1)] = gemm_legacy<Q4_1>;
    t.gemm[static_cast<size_t>(DType::Q5_0)] = gemm_legacy<Q5_0>;
    t.gemm[static_cast<size_t>(DType::Q5_1)] = gemm_legacy<Q5_1>;
    t.gemm[static_cast<size_t>(DType::Q8_0)] = gemm_legacy<Q8_0>;
}

}  // namespace

#if PARETO_DOTPROD
void kernel_registry::neon_dotprod_legacy(KernelTable& t) { set_integer_gemms(t); }
#else
void kernel_registry::neon_legacy(KernelTable& t) {
    t.gemm[static_cast<size_t>(DType::F32)] = gemm_float<F32W>;
    t.gemm[static_cast<size_t>(DType::F16)] = gemm_float<F16W>;
    t.gemm[static_cast<size_t>(DType::BF16)] = gemm_float<BF16W>;
    set_integer_gemms(t);
    t.quantize_act[static_cast<size_t>(ActFormat::Q8A)] = quantize_q8a;
    // The F32 "quantizer" stays the scalar copy.
    if (neon::has_dotprod()) kernel_registry::neon_dotprod_legacy(t);
}
#endif

}  // namespace pareto
