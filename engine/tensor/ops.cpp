#include "tensor/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tensor/half.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {

void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n) {
    switch (type) {
        case DType::F32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            return;
        case DType::F16: {
            const auto* h = reinterpret_cast<const uint16_t*>(src);
            for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(h[i]);
            return;
        }
        case DType::BF16: {
            const auto* h = reinterpret_cast<const uint16_t*>(src);
            for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
            return;
        }
        default:
            fail("tensor type " + std::string(dtype_name(type)) + " cannot be computed with yet");
    }
}

float dot_f32(const float* a, const float* b, int64_t n) {
    // Eight independent partial sums let the compiler keep them in vector lanes.
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void matmul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            int64_t y_stride) {
    const int64_t cols = w.cols;
    pool.parallel_for(w.rows, [&](int64_t r0, int64_t r1) {
        // Non-F32 rows are widened once into a per-thread buffer and reused for every token.
        thread_local std::vector<float> row_buf;
        if (w.type != DType::F32 && static_cast<int64_t>(row_buf.size()) < cols)
            row_buf.resize(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            const float* wr;
            if (w.type == DType::F32) {
                wr = reinterpret_cast<const float*>(w.row(r));
            } else {
                dequantize_row(w.type, w.row(r), row_buf.data(), cols);
                wr = row_buf.data();
            }
            for (int64_t t = 0; t < n_tokens; ++t) y[t * y_stride + r] = dot_f32(wr, x + t * cols, cols);
        }
    }, w.rows * cols * n_tokens);
}

void rmsnorm(const float* x, const float* weight, float* out, int64_t n, float eps) {
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void softmax_inplace(float* x, int64_t n) {
    const float mx = *std::max_element(x, x + n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - mx);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float silu(float x) { return x / (1.0f + std::exp(-x)); }

}  // namespace pareto
