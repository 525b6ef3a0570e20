// Reference conversions for the K types (Q2_K ... Q8_K): super-blocks of 256 values
// in sub-blocks of 16 or 32, each sub-block with its own scale (and min), and those
// scales quantized again against one f16 super-scale.
//
// Quantizing is a search, not a formula: for every sub-block a few dozen candidate
// scales are tried and the one with the least weighted error kept. To write the same
// bytes as llama.cpp's reference quantizer (what llama-quantize runs without an
// importance matrix) the searches below try the same candidates, accumulate the same
// sums in the same order and break ties the same way; comments point out the places
// where a "cleaner" expression would change the result. The searches work in fixed
// stack arrays: no allocation anywhere.

// No fused multiply-add: ggml's reference is built without FMA on x86, so a*b+c must
// round twice here too (see quant_ref_impl.h). Before any include, so every function
// in this file gets the same setting.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/half.h"
#include "tensor/quant.h"
#include "tensor/quant_ref_impl.h"

namespace pareto::quant_ref {
namespace {

// ggml treats a sub-block whose largest magnitude is below this as all zero.
constexpr float kGroupMaxEps = 1e-15f;

// ---- the affine search: x ~ scale * q + min, q in [0, nmax], min <= 0 (Q2_K, Q4_K, Q5_K)

struct AffineSearch {
    int nmax;        // largest level
    float rmin;      // candidate k uses levels-per-range nmax + rmin + rdelta * k ...
    float rdelta;
    int steps;       // ... for k = 0 .. steps
    bool abs_error;  // minimise weighted |error| (Q2_K) rather than squared error
};

constexpr int kMaxGroup = 32;  // the largest sub-block

// Levels of x - min at inverse scale iscale.
void affine_levels(const float* x, int n, float min, float iscale, int nmax, uint8_t* levels) {
    for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * (x[i] - min));
        levels[i] = static_cast<uint8_t>(std::clamp(l, 0, nmax));
    }
}

// sum w_i * err_i with err = |scale * q + min - x| or its square, accumulated in index
// order. Every term is >= 0 (weights are magnitudes), so the running sum never
// decreases and the loop may stop once it reaches `give_up_at`: the candidate has
// lost either way (the full sum would be >= give_up_at or NaN), and the caller only
// compares with `<`. With give_up_at = NaN it never stops early.
float affine_error(const float* x, const float* w, const uint8_t* levels, int n, float scale, float min,
                   bool abs_error, float give_up_at) {
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) {
        float diff = scale * static_cast<float>(levels[i]) + min - x[i];
        diff = abs_error ? std::fabs(diff) : diff * diff;
        sum += w[i] * diff;
        if (sum >= give_up_at) break;
    }
    return sum;
}

// Fits scale and min to the n values of x (weights w): first the plain min/max
// mapping, then steps + 1 candidate level spacings, each followed by the weighted
// least-squares scale and min for the levels it gives. Returns the scale, writes the
// levels and -min. As in ggml, a better candidate's min is used by the candidates
// after it (the levels are always taken relative to the best min so far).
float fit_affine(const float* x, const float* w, int n, const AffineSearch& p, uint8_t* levels, float* neg_min) {
    float min = x[0];
    float max = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;  // the offset can only lower values: min <= 0
    if (max == min) {
        std::fill(levels, levels + n, uint8_t{0});
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = static_cast<float>(p.nmax) / (max - min);
    float scale = 1 / iscale;
    affine_levels(x, n, min, iscale, p.nmax, levels);
    float best_error = affine_error(x, w, levels, n, scale, min, p.abs_error, std::numeric_limits<float>::quiet_NaN());
    if (p.steps < 1) {  // ggml's contract for nstep < 1 (no type here uses it)
        *neg_min = -min;
        return scale;
    }

    uint8_t candidate[kMaxGroup];
    for (int step = 0; step <= p.steps; ++step) {
        iscale = (p.rmin + p.rdelta * static_cast<float>(step) + static_cast<float>(p.nmax)) / (max - min);
        affine_levels(x, n, min, iscale, p.nmax, candidate);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const float l = candidate[i];
            const float wl = w[i] * l;  // ggml's w*l*l and w*l*x group as (w*l)*...
            sum_l += wl;
            sum_l2 += wl * l;
            sum_xl += wl * x[i];
        }
        const float det = sum_w * sum_l2 - sum_l * sum_l;
        if (!(det > 0)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (this_min > 0) {  // refit the scale alone with min pinned at 0
            this_min = 0;
            this_scale = sum_xl / sum_l2;
        }
        const float error = affine_error(x, w, candidate, n, this_scale, this_min, p.abs_error, best_error);
        if (error < best_error) {
            std::copy(candidate, candidate + n, levels);
            best_error = error;
            scale = this_scale;
            min = this_min;
        }
    }
    *neg_min = -min;
    return scale;
}

// ---- the signed searches: x ~ scale * (q - nmax) with the extreme value at -nmax -----

// The value of largest magnitude, with its sign (first one wins ties).
float signed_absmax(const float* x, int n, float* amax_out) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float a = std::fabs(x[i]);
        if (a > amax) {
            amax = a;
            max = x[i];
        }
    }
    *amax_out = amax;
    return max;
}

// Q6_K's search (ggml's make_qx_quants, weights x^2): levels -nmax .. nmax-1 for 19
// inverse scales around -nmax / max, keeping the one with the best weighted fit
// sumlx^2 / suml2. Writes the levels shifted to 0 .. 2*nmax-1; returns the scale.
float fit_signed(const float* x, int n, int nmax, int8_t* levels) {
    float amax;
    const float max = signed_absmax(x, n, &amax);
    if (amax < kGroupMaxEps) {
        std::fill(levels, levels + n, int8_t{0});
        return 0.0f;
    }
    // Per-value weight w = x^2 and w*x, the same for every candidate.
    float w[kMaxGroup], wx[kMaxGroup];
    for (int i = 0; i < n; ++i) {
        w[i] = x[i] * x[i];
        wx[i] = w[i] * x[i];
    }
    // The fit of one inverse scale: sum w*x*l and sum w*l^2 over its levels, which go
    // to `out` offset by nmax. The terms are computed in a loop the compiler
    // vectorizes; only the two running sums must be added one by one, in order.
    struct Fit {
        float sumlx = 0, suml2 = 0;
    };
    auto evaluate = [&](float iscale, int8_t* out) {
        float tlx[kMaxGroup], tl2[kMaxGroup];
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            out[i] = static_cast<int8_t>(l + nmax);
            const auto lf = static_cast<float>(l);
            tlx[i] = wx[i] * lf;       // ggml's w*x*l is (w*x)*l
            tl2[i] = w[i] * lf * lf;   // and w*l*l is (w*l)*l
        }
        Fit f;
        for (int i = 0; i < n; ++i) {
            f.sumlx += tlx[i];
            f.suml2 += tl2[i];
        }
        return f;
    };
    const Fit first = evaluate(static_cast<float>(-nmax) / max, levels);
    float scale = first.suml2 != 0 ? first.sumlx / first.suml2 : 0.0f;
    float best = scale * first.sumlx;

    int8_t candidate[kMaxGroup];
    for (int step = -9; step <= 9; ++step) {
        if (step == 0) continue;
        const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
        const Fit f = evaluate(iscale, candidate);
        // sumlx^2 / suml2 > best, cross-multiplied exactly as ggml writes it.
        if (f.suml2 > 0 && f.sumlx * f.sumlx > best * f.suml2) {
            std::copy(candidate, candidate + n, levels);
            scale = f.sumlx / f.suml2;
            best = scale * f.sumlx;
        }
    }
    return scale;
}

// Q3_K's search (ggml's make_q3_quants with rmse): levels -nmax .. nmax-1 at -nmax / max,
// then up to 5 passes that move single values to the level the others' least-squares
// scale suggests, whenever that improves the fit. Levels are written offset by nmax,
// except for an all-zero group, which gets level 0 as in ggml.
float fit_signed_iterative(const float* x, int n, int nmax, int8_t* levels) {
    float amax;
    const float max = signed_absmax(x, n, &amax);
    if (amax < kGroupMaxEps) {
        std::fill(levels, levels + n, int8_t{0});
        return 0.0f;
    }
    const float iscale = static_cast<float>(-nmax) / max;
    float sumlx = 0;
    float suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        levels[i] = static_cast<int8_t>(l);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    for (int pass = 0; pass < 5; ++pass) {
        int changed = 0;
        for (int i = 0; i < n; ++i) {
            const float w = x[i] * x[i];
            const float old_l = levels[i];
            float slx = sumlx - w * x[i] * old_l;  // the sums without value i
            if (!(slx > 0)) continue;
            float sl2 = suml2 - w * old_l * old_l;
            const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (new_l == levels[i]) continue;
            const float nl = static_cast<float>(new_l);
            slx += w * x[i] * nl;
            sl2 += w * nl * nl;
            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                levels[i] = static_cast<int8_t>(new_l);
                sumlx = slx;
                suml2 = sl2;
                ++changed;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; ++i) levels[i] = static_cast<int8_t>(levels[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// ---- bit packing shared by several types ---------------------------------------------

// 2-bit levels (Q2_K, Q3_K low bits): each 128-value half has 32 bytes, byte l holding
// values l, l+32, l+64, l+96 at bits 0, 2, 4, 6.
void pack_2bit(const uint8_t* levels, uint8_t* qs) {
    for (int half = 0; half < kQK_K; half += 128) {
        for (int l = 0; l < 32; ++l) {
            const uint8_t* v = levels + half + l;
            qs[half / 4 + l] = static_cast<uint8_t>(v[0] | (v[32] << 2) | (v[64] << 4) | (v[96] << 6));
        }
    }
}

void unpack_2bit(const uint8_t* qs, uint8_t* levels) {
    for (int v0 = 0; v0 < kQK_K; v0 += 32) {  // 32 values sharing a half and a shift
        const uint8_t* q = qs + (v0 / 128) * 32;
        const int shift = 2 * ((v0 % 128) / 32);
        for (int l = 0; l < 32; ++l) levels[v0 + l] = static_cast<uint8_t>((q[l] >> shift) & 3);
    }
}

// Dequantizing: levels are unpacked into a plain array first and then scaled sub-block
// by sub-block, two simple loops the compiler vectorizes. The float expression is
// ggml's: d * level - m (two roundings).
template <class Level>
void scale_levels(const Level* levels, int n, float d, float m, float* y) {
    for (int l = 0; l < n; ++l) y[l] = d * static_cast<float>(levels[l]) - m;
}

// Q4_K / Q5_K scales: 8 six-bit scales and 8 six-bit mins in 12 bytes. Sub-blocks
// 0-3 use bytes 0-3 (scale) and 4-7 (min) whole; sub-blocks 4-7 put their low nibbles
// in bytes 8-11 and their top two bits in bits 6-7 of bytes 0-7.
void pack_scales_k4(const uint8_t* sc, const uint8_t* mn, uint8_t* out) {
    for (int j = 0; j < 4; ++j) {
        out[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
        out[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
        out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((mn[j + 4] & 0x0f) << 4));
    }
}

inline void unpack_scale_k4(const uint8_t* in, int j, int* sc, int* mn) {
    if (j < 4) {
        *sc = in[j] & 63;
        *mn = in[j + 4] & 63;
    } else {
        *sc = (in[j + 4] & 0x0f) | ((in[j - 4] >> 6) << 4);
        *mn = (in[j + 4] >> 4) | ((in[j] >> 6) << 4);
    }
}

// Q3_K scales: 16 six-bit values; low nibbles of 0-7 in bytes 0-7 (bits 0-3), of 8-15
// in bytes 0-7 (bits 4-7); the top two bits of value j in byte 8 + j%4 at bit 2*(j/4).
void pack_scales_q3(const int* sc, uint8_t* out) {
    std::memset(out, 0, 12);
    for (int j = 0; j < 16; ++j) {
        out[j % 8] = static_cast<uint8_t>(out[j % 8] | ((sc[j] & 0x0f) << (j < 8 ? 0 : 4)));
        out[8 + j % 4] = static_cast<uint8_t>(out[8 + j % 4] | ((sc[j] >> 4) << (2 * (j / 4))));
    }
}

inline int unpack_scale_q3(const uint8_t* in, int j) {
    const int low = j < 8 ? in[j] & 0x0f : in[j - 8] >> 4;
    return low | (((in[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
}

// ---- Q2_K ------------------------------------------------------------------------------

// The second pass of the affine types: with the stored (f16, 4- or 6-bit) scales
// fixed, requantize each value of sub-block against them. A sub-block whose scale
// came out 0 keeps the levels of its search, as in ggml.
void requantize_affine(const float* x, int n, float d, float dm, int nmax, uint8_t* levels) {
    if (d == 0.0f) return;
    for (int i = 0; i < n; ++i)
        levels[i] = static_cast<uint8_t>(std::clamp(nearest_int((x[i] + dm) / d), 0, nmax));
}

BlockQ2_K quantize_block_q2_K(const float* x) {
    constexpr AffineSearch kSearch{3, -0.5f, 0.1f, 15, true};
    uint8_t levels[kQK_K];
    float scales[16], mins[16];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
        float w[16];
        for (int l = 0; l < 16; ++l) w[l] = std::fabs(x[16 * j + l]);
        scales[j] = fit_affine(x + 16 * j, w, 16, kSearch, levels + 16 * j, &mins[j]);
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }

    BlockQ2_K b{};
    if (max_scale > 0) {
        const float iscale = 15.0f / max_scale;
        for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
        b.d = f32_to_f16(max_scale / 15.0f);
    }
    if (max_min > 0) {
        const float iscale = 15.0f / max_min;
        for (int j = 0; j < 16; ++j)
            b.scales[j] = static_cast<uint8_t>(b.scales[j] | (static_cast<unsigned>(nearest_int(iscale * mins[j])) << 4));
        b.dmin = f32_to_f16(max_min / 15.0f);
    }
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int j = 0; j < 16; ++j) {
        const float dj = d * static_cast<float>(b.scales[j] & 0x0f);
        const float mj = dmin * static_cast<float>(b.scales[j] >> 4);
        requantize_affine(x + 16 * j, 16, dj, mj, 3, levels + 16 * j);
    }
    pack_2bit(levels, b.qs);
    return b;
}

void dequantize_block_q2_K(const BlockQ2_K& b, float* y) {
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    uint8_t levels[kQK_K];
    unpack_2bit(b.qs, levels);
    for (int j = 0; j < 16; ++j) {
        const float dl = d * static_cast<float>(b.scales[j] & 0x0f);
        const float ml = dmin * static_cast<float>(b.scales[j] >> 4);
        scale_levels(levels + 16 * j, 16, dl, ml, y + 16 * j);
    }
}

// ---- Q3_K ------------------------------------------------------------------------------

BlockQ3_K quantize_block_q3_K(const float* x) {
    int8_t levels[kQK_K];
    float scales[16];
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
        scales[j] = fit_signed_iterative(x + 16 * j, 16, 4, levels + 16 * j);
        if (std::fabs(scales[j]) > amax) {
            amax = std::fabs(scales[j]);
            max_scale = scales[j];
        }
    }

    BlockQ3_K b{};
    if (max_scale != 0) {
        const float iscale = -32.0f / max_scale;
        int sc[16];
        for (int j = 0; j < 16; ++j) {
            // ggml narrows to int8_t before clamping; the value is within [-32, 32] anyway.
            const int l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
            sc[j] = std::clamp(l, -32, 31) + 32;
        }
        pack_scales_q3(sc, b.scales);
        b.d = f32_to_f16(1 / iscale);
    }
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
        const float dj = d * static_cast<float>(unpack_scale_q3(b.scales, j) - 32);
        if (dj == 0.0f) continue;
        for (int i = 0; i < 16; ++i) {
            const int l = std::clamp(nearest_int(x[16 * j + i] / dj), -4, 3);
            levels[16 * j + i] = static_cast<int8_t>(l + 4);
        }
    }

    // Level bit 2 goes to hmask: value v at byte v % 32, bit v / 32.
    uint8_t low[kQK_K];
    for (int v = 0; v < kQK_K; ++v) {
        const int l = levels[v];
        if (l > 3) b.hmask[v % 32] = static_cast<uint8_t>(b.hmask[v % 32] | (1 << (v / 32)));
        low[v] = static_cast<uint8_t>(l > 3 ? l - 4 : l);
    }
    pack_2bit(low, b.qs);
    return b;
}

void dequantize_block_q3_K(const BlockQ3_K& b, float* y) {
    const float d = f16_to_f32(b.d);
    uint8_t low[kQK_K];
    unpack_2bit(b.qs, low);
    int8_t levels[kQK_K];  // -4 .. 3: the low bits, less 4 where the hmask bit is clear
    for (int v0 = 0; v0 < kQK_K; v0 += 32)
        for (int l = 0; l < 32; ++l)
            levels[v0 + l] = static_cast<int8_t>(low[v0 + l] - (((b.hmask[l] >> (v0 / 32)) & 1) ? 0 : 4));
    for (int j = 0; j < 16; ++j) {
        const float dl = d * static_cast<float>(unpack_scale_q3(b.scales, j) - 32);
        for (int l = 0; l < 16; ++l) y[16 * j + l] = dl * static_cast<float>(levels[16 * j + l]);
    }
}

// ---- Q4_K and Q5_K ---------------------------------------------------------------------

// Weights of the Q4_K / Q5_K search: |x| plus the sub-block's RMS, so small values
// still count.
void rms_plus_abs_weights(const float* x, float* w) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[l] * x[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) w[l] = av_x + std::fabs(x[l]);
}

// The part Q4_K and Q5_K share: search each of the 8 sub-blocks, quantize their
// scales and mins to 6 bits against f16 super-scales, then requantize the values
// against the stored scales. Fills d, dmin, scales and levels (0 .. nmax).
template <class Block>
void quantize_k4_scales(const float* x, const AffineSearch& search, Block& b, uint8_t* levels) {
    float scales[8], mins[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
        float w[32];
        rms_plus_abs_weights(x + 32 * j, w);
        scales[j] = fit_affine(x + 32 * j, w, 32, search, levels + 32 * j, &mins[j]);
        max_scale = std::max(max_scale, scales[j]);
        max_min = std::max(max_min, mins[j]);
    }

    const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
        // Narrowed to uint8_t before the clamp, as in ggml.
        sc[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
        mn[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
    }
    pack_scales_k4(sc, mn, b.scales);
    b.d = f32_to_f16(max_scale / 63.0f);
    b.dmin = f32_to_f16(max_min / 63.0f);

    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int j = 0; j < 8; ++j)
        requantize_affine(x + 32 * j, 32, d * static_cast<float>(sc[j]), dmin * static_cast<float>(mn[j]),
                          search.nmax, levels + 32 * j);
}

BlockQ4_K quantize_block_q4_K(const float* x) {
    BlockQ4_K b{};
    uint8_t levels[kQK_K];
    quantize_k4_scales(x, AffineSearch{15, -1.0f, 0.1f, 20, false}, b, levels);
    // Each 64-value chunk: 32 bytes, values 0-31 in the low nibbles, 32-63 in the high.
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            b.qs[32 * c + l] = static_cast<uint8_t>(levels[64 * c + l] | (levels[64 * c + l + 32] << 4));
    return b;
}

BlockQ5_K quantize_block_q5_K(const float* x) {
    BlockQ5_K b{};
    uint8_t levels[kQK_K];
    quantize_k4_scales(x, AffineSearch{31, -0.5f, 0.1f, 15, false}, b, levels);
    // As Q4_K for the low 4 bits; bit 4 of value 64c + l goes to qh[l % 32] at bit
    // 2c (first 32 of the chunk) or 2c + 1 (second 32).
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            const int lo = levels[64 * c + l], hi = levels[64 * c + l + 32];
            b.qs[32 * c + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
            b.qh[l] = static_cast<uint8_t>(b.qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
        }
    }
    return b;
}

// Sub-block j of Q4_K / Q5_K: nibbles of bytes 32 * (j / 2) .. + 31, low for even j.
void unpack_nibbles(const uint8_t* qs, uint8_t* levels) {
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            levels[64 * c + l] = qs[32 * c + l] & 0x0f;
            levels[64 * c + 32 + l] = static_cast<uint8_t>(qs[32 * c + l] >> 4);
        }
    }
}

template <class Block>
void scale_k4_levels(const Block& b, const uint8_t* levels, float* y) {
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    for (int j = 0; j < 8; ++j) {
        int sc, mn;
        unpack_scale_k4(b.scales, j, &sc, &mn);
        scale_levels(levels + 32 * j, 32, d * static_cast<float>(sc), dmin * static_cast<float>(mn), y + 32 * j);
    }
}

void dequantize_block_q4_K(const BlockQ4_K& b, float* y) {
    uint8_t levels[kQK_K];
    unpack_nibbles(b.qs, levels);
    scale_k4_levels(b, levels, y);
}

void dequantize_block_q5_K(const BlockQ5_K& b, float* y) {
    uint8_t levels[kQK_K];
    unpack_nibbles(b.qs, levels);
    for (int j = 0; j < 8; ++j)  // bit 4 of sub-block j's values: bit j of qh[l]
        for (int l = 0; l < 32; ++l) levels[32 * j + l] = static_cast<uint8_t>(levels[32 * j + l] | (((b.qh[l] >> j) & 1) << 4));
    scale_k4_levels(b, levels, y);
}

// ---- Q6_K ------------------------------------------------------------------------------

BlockQ6_K quantize_block_q6_K(const float* x) {
    int8_t levels[kQK_K];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
        scales[j] = fit_signed(x + 16 * j, 16, 32, levels + 16 * j);
        if (std::fabs(scales[j]) > max_abs_scale) {
            max_abs_scale = std::fabs(scales[j]);
            max_scale = scales[j];
        }
    }
    BlockQ6_K b{};
    if (max_abs_scale < kGroupMaxEps) return b;  // all zero: ggml clears the block

    const float iscale = -128.0f / max_scale;
    b.d = f32_to_f16(1 / iscale);
    for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[j])));

    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
        const float dj = d * static_cast<float>(b.scales[j]);
        if (dj == 0.0f) continue;  // keeps the search's levels, as in ggml
        for (int i = 0; i < 16; ++i) {
            const int l = std::clamp(nearest_int(x[16 * j + i] / dj), -32, 31);
            levels[16 * j + i] = static_cast<int8_t>(l + 32);
        }
    }

    // Per 128-value half: ql holds low nibbles (values l and l+64 in byte l, l+32 and
    // l+96 in byte l+32), qh the top two bits of l, l+32, l+64, l+96 at bits 0, 2, 4, 6.
    for (int h = 0; h < 2; ++h) {
        const int8_t* v = levels + 128 * h;
        uint8_t* ql = b.ql + 64 * h;
        uint8_t* qh = b.qh + 32 * h;
        for (int l = 0; l < 32; ++l) {
            ql[l] = static_cast<uint8_t>((v[l] & 0x0f) | ((v[l + 64] & 0x0f) << 4));
            ql[l + 32] = static_cast<uint8_t>((v[l + 32] & 0x0f) | ((v[l + 96] & 0x0f) << 4));
            qh[l] = static_cast<uint8_t>((v[l] >> 4) | ((v[l + 32] >> 4) << 2) | ((v[l + 64] >> 4) << 4) |
                                         ((v[l + 96] >> 4) << 6));
        }
    }
    return b;
}

void dequantize_block_q6_K(const BlockQ6_K& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
        const float dl = d * static_cast<float>(b.scales[j]);  // ggml's d * sc * q is (d * sc) * q
        const int h = j / 8, quarter = (j % 8) / 2;  // 128-value half; 32-value quarter in it
        const uint8_t* ql = b.ql + 64 * h + 32 * (quarter % 2);
        const uint8_t* qh = b.qh + 32 * h;
        const int nibble_shift = 4 * (quarter / 2);
        for (int l = 16 * (j % 2); l < 16 * (j % 2) + 16; ++l) {
            const int q = ((ql[l] >> nibble_shift) & 0x0f) | (((qh[l] >> (2 * quarter)) & 3) << 4);
            y[16 * j + l - 16 * (j % 2)] = dl * static_cast<float>(q - 32);
        }
    }
}

// ---- Q8_K ------------------------------------------------------------------------------

// The activation format of the K dot products: d = max / -127 (the extreme value
// maps to -127 so q never needs -128), d kept in float, and the sum of every 16 q.
BlockQ8_K quantize_block_q8_K(const float* x) {
    BlockQ8_K b{};
    float amax;
    const float max = signed_absmax(x, kQK_K, &amax);
    if (amax == 0) return b;  // ggml leaves bsums unwritten here; we zero them
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) b.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    for (int j = 0; j < kQK_K / 16; ++j) {
        int sum = 0;
        for (int i = 0; i < 16; ++i) sum += b.qs[16 * j + i];
        b.bsums[j] = static_cast<int16_t>(sum);
    }
    b.d = 1 / iscale;
    return b;
}

void dequantize_block_q8_K(const BlockQ8_K& b, float* y) {
    for (int j = 0; j < kQK_K; ++j) y[j] = b.d * static_cast<float>(b.qs[j]);
}

template <class Block, Block (*quantize_block)(const float*)>
void quantize_blocks(const float* src, uint8_t* dst, int64_t blocks) {
    for (int64_t i = 0; i < blocks; ++i) store_block(quantize_block(src + i * kQK_K), dst + i * sizeof(Block));
}

template <class Block, void (*dequantize_block)(const Block&, float*)>
void dequantize_blocks(const uint8_t* src, float* dst, int64_t blocks) {
    for (int64_t i = 0; i < blocks; ++i)
        dequantize_block(load_block<Block>(src + i * sizeof(Block)), dst + i * kQK_K);
}

}  // namespace

void quantize_q2_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ2_K, quantize_block_q2_K>(src, dst, blocks);
}
void quantize_q3_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ3_K, quantize_block_q3_K>(src, dst, blocks);
}
void quantize_q4_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ4_K, quantize_block_q4_K>(src, dst, blocks);
}
void quantize_q5_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ5_K, quantize_block_q5_K>(src, dst, blocks);
}
void quantize_q6_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ6_K, quantize_block_q6_K>(src, dst, blocks);
}
void quantize_q8_K(const float* src, uint8_t* dst, int64_t blocks) {
    quantize_blocks<BlockQ8_K, quantize_block_q8_K>(src, dst, blocks);
}

void dequantize_q2_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ2_K, dequantize_block_q2_K>(src, dst, blocks);
}
void dequantize_q3_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ3_K, dequantize_block_q3_K>(src, dst, blocks);
}
void dequantize_q4_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ4_K, dequantize_block_q4_K>(src, dst, blocks);
}
void dequantize_q5_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ5_K, dequantize_block_q5_K>(src, dst, blocks);
}
void dequantize_q6_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ6_K, dequantize_block_q6_K>(src, dst, blocks);
}
void dequantize_q8_K(const uint8_t* src, float* dst, int64_t blocks) {
    dequantize_blocks<BlockQ8_K, dequantize_block_q8_K>(src, dst, blocks);
}

}  // namespace pareto::quant_ref
