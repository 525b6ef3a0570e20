#pragma once
// The transformer's numeric ops on float activations. These are the plain,
// readable reference versions: the truth that faster kernels are tested against.
#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace pareto {

class ThreadPool;

// A 2-D weight in the model file, used in place: `rows` rows of `cols` values each,
// row-major (GGUF shape [cols, rows]). For a linear layer y = W x, rows = out, cols = in.
struct WeightMatrix {
    const uint8_t* data = nullptr;
    DType type = DType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_bytes = 0;

    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
    size_t bytes() const { return static_cast<size_t>(rows) * row_bytes; }
};

// Converts n values of `type` to float. Throws for types the engine cannot compute with.
void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n);

float dot_f32(const float* a, const float* b, int64_t n);

// Y[t, r] = sum_c W[r, c] * X[t, c] for t < n_tokens; X is [n_tokens, W.cols], Y is
// [n_tokens, W.rows] with row stride y_stride (>= W.rows). Rows are split across threads.
void matmul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            int64_t y_stride);

// out = x / rms(x) * weight, per row of n values.
void rmsnorm(const float* x, const float* weight, float* out, int64_t n, float eps);

void softmax_inplace(float* x, int64_t n);
float silu(float x);

}  // namespace pareto
