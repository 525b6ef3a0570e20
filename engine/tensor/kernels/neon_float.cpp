// Float ops, AArch64 NEON (plain ARMv8.0-A: every AArch64 CPU has these).
// Element-wise ops (and RoPE) round exactly as the scalar reference, except axpy,
// which fuses the multiply and the add; sums use 16 partial accumulators (4 vectors of 4) and
// differ from the scalar ones only by rounding. exp is neon::exp_f32 (about 1 ulp).
#include <cmath>

#include "tensor/kernels.h"
#include "tensor/kernels/neon_common.h"

namespace pareto {
namespace {

float dot(const float* a, const float* b, int64_t n) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
        s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    float sum = neon::hsum(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), alpha));
        vst1q_f32(y + i + 4, vfmaq_n_f32(vld1q_f32(y + i + 4), vld1q_f32(x + i + 4), alpha));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), alpha));
    for (; i < n; ++i) y[i] = std::fma(alpha, x[i], y[i]);  // fused too, as the vector lanes
}

void scale(float alpha, float* x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), alpha));
        vst1q_f32(x + i + 4, vmulq_n_f32(vld1q_f32(x + i + 4), alpha));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), alpha));
    for (; i < n; ++i) x[i] *= alpha;
}

void add(const float* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(y + i, vaddq_f32(vld1q_f32(y + i), vld1q_f32(x + i)));
        vst1q_f32(y + i + 4, vaddq_f32(vld1q_f32(y + i + 4), vld1q_f32(x + i + 4)));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vaddq_f32(vld1q_f32(y + i), vld1q_f32(x + i)));
    for (; i < n; ++i) y[i] += x[i];
}

float sum_squares(const float* x, int64_t n) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
        const float32x4_t c = vld1q_f32(x + i + 8), d = vld1q_f32(x + i + 12);
        s0 = vfmaq_f32(s0, a, a);
        s1 = vfmaq_f32(s1, b, b);
        s2 = vfmaq_f32(s2, c, c);
        s3 = vfmaq_f32(s3, d, d);
    }
    for (; i + 4 <= n; i += 4) {
        const float32x4_t a = vld1q_f32(x + i);
        s0 = vfmaq_f32(s0, a, a);
    }
    float sum = neon::hsum(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; ++i) sum += x[i] * x[i];
    return sum;
}

void mul(const float* x, const float* w, float alpha, float* out, int64_t n) {
    int64_t i = 0;  // (x * alpha) * w, in the scalar order
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(out + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), alpha), vld1q_f32(w + i)));
        vst1q_f32(out + i + 4, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i + 4), alpha), vld1q_f32(w + i + 4)));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), alpha), vld1q_f32(w + i)));
    for (; i < n; ++i) out[i] = x[i] * alpha * w[i];
}

inline float32x4_t swiglu4(float32x4_t g, float32x4_t u) {
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), neon::exp_f32(vnegq_f32(g))));
    return vmulq_f32(silu, u);
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, swiglu4(vld1q_f32(gate + i), vld1q_f32(up + i)));
    if (i < n) {  // the tail through the same vector code, so every element rounds alike
        float g[4] = {}, u[4] = {}, o[4];
        for (int64_t k = i; k < n; ++k) g[k - i] = gate[k], u[k - i] = up[k];
        vst1q_f32(o, swiglu4(vld1q_f32(g), vld1q_f32(u)));
        for (int64_t k = i; k < n; ++k) out[k] = o[k - i];
    }
}

float max(const float* x, int64_t n) {
    int64_t i = 0;
    float m = x[0];
    if (n >= 4) {
        float32x4_t m0 = vld1q_f32(x), m1 = m0;
        for (i = 4; i + 8 <= n; i += 8) {
            m0 = vmaxq_f32(m0, vld1q_f32(x + i));
            m1 = vmaxq_f32(m1, vld1q_f32(x + i + 4));
        }
        for (; i + 4 <= n; i += 4) m0 = vmaxq_f32(m0, vld1q_f32(x + i));
        m = vmaxvq_f32(vmaxq_f32(m0, m1));
    }
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

float exp_sum(float* x, float shift, int64_t n) {
    const float32x4_t vs = vdupq_n_f32(shift);
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t e0 = neon::exp_f32(vsubq_f32(vld1q_f32(x + i), vs));
        const float32x4_t e1 = neon::exp_f32(vsubq_f32(vld1q_f32(x + i + 4), vs));
        vst1q_f32(x + i, e0);
        vst1q_f32(x + i + 4, e1);
        s0 = vaddq_f32(s0, e0);
        s1 = vaddq_f32(s1, e1);
    }
    for (; i + 4 <= n; i += 4) {
        const float32x4_t e = neon::exp_f32(vsubq_f32(vld1q_f32(x + i), vs));
        vst1q_f32(x + i, e);
        s0 = vaddq_f32(s0, e);
    }
    float sum = neon::hsum(vaddq_f32(s0, s1));
    if (i < n) {
        float t[4] = {}, e[4];
        for (int64_t k = i; k < n; ++k) t[k - i] = x[k];
        vst1q_f32(e, neon::exp_f32(vsubq_f32(vld1q_f32(t), vs)));
        for (int64_t k = i; k < n; ++k) {
            x[k] = e[k - i];
            sum += e[k - i];
        }
    }
    return sum;
}

// RoPE: x0' = x0 c - x1 s, x1' = x0 s + x1 c, unfused and in the scalar order, so
// the same bits as scalar_float.cpp (the object is built with -ffp-contract=off).
inline void rotate4(float32x4_t& x0, float32x4_t& x1, float32x4_t c, float32x4_t s) {
    const float32x4_t r0 = vsubq_f32(vmulq_f32(x0, c), vmulq_f32(x1, s));
    const float32x4_t r1 = vaddq_f32(vmulq_f32(x0, s), vmulq_f32(x1, c));
    x0 = r0;
    x1 = r1;
}

void rope_pairs(float* v, const float* cs, const float* sn, int64_t half) {
    int64_t i = 0;
    for (; i + 4 <= half; i += 4) {
        float32x4x2_t x = vld2q_f32(v + 2 * i);  // even and odd elements
        rotate4(x.val[0], x.val[1], vld1q_f32(cs + i), vld1q_f32(sn + i));
        vst2q_f32(v + 2 * i, x);
    }
    for (; i < half; ++i) {
        const float x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * cs[i] - x1 * sn[i];
        v[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
    }
}

void rope_halves(float* v, const float* cs, const float* sn, int64_t half) {
    int64_t i = 0;
    for (; i + 4 <= half; i += 4) {
        float32x4_t x0 = vld1q_f32(v + i), x1 = vld1q_f32(v + i + half);
        rotate4(x0, x1, vld1q_f32(cs + i), vld1q_f32(sn + i));
        vst1q_f32(v + i, x0);
        vst1q_f32(v + i + half, x1);
    }
    for (; i < half; ++i) {
        const float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * cs[i] - x1 * sn[i];
        v[i + half] = x0 * sn[i] + x1 * cs[i];
    }
}

}  // namespace

void kernel_registry::neon_float(KernelTable& t) {
    t.f.dot = dot;
    t.f.axpy = axpy;
    t.f.scale = scale;
    t.f.add = add;
    t.f.sum_squares = sum_squares;
    t.f.mul = mul;
    t.f.swiglu = swiglu;
    t.f.max = max;
    t.f.exp_sum = exp_sum;
    t.f.rope_pairs = rope_pairs;
    t.f.rope_halves = rope_halves;
}

}  // namespace pareto
