// Float ops, scalar reference. Sums use several partial accumulators, as the SIMD
// versions do, so results differ from them only by rounding.
#include <algorithm>
#include <cmath>

#include "tensor/kernels.h"

namespace pareto {
namespace {

float dot(const float* a, const float* b, int64_t n) {
    float acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void scale(float alpha, float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

void add(const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

float sum_squares(const float* x, int64_t n) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return static_cast<float>(s);
}

void mul(const float* x, const float* w, float alpha, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * alpha * w[i];
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float max(const float* x, int64_t n) { return *std::max_element(x, x + n); }

float exp_sum(float* x, float shift, int64_t n) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - shift);
        sum += x[i];
    }
    return static_cast<float>(sum);
}

void rope_pairs(float* v, const float* cs, const float* sn, int64_t half) {
    for (int64_t i = 0; i < half; ++i) {
        const float x0 = v[2 * i], x1 = v[2 * i + 1];
        v[2 * i] = x0 * cs[i] - x1 * sn[i];
        v[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
    }
}

void rope_halves(float* v, const float* cs, const float* sn, int64_t half) {
    for (int64_t i = 0; i < half; ++i) {
        const float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * cs[i] - x1 * sn[i];
        v[i + half] = x0 * sn[i] + x1 * cs[i];
    }
}

}  // namespace

void kernel_registry::scalar_float(KernelTable& t) {
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
