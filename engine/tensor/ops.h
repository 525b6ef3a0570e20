#pragma once
// The transformer's ops on float activations, computed by the kernels of the
// dispatched SIMD level (tensor/kernels.h). Weights stay in their file type; a
// matmul's input is converted once into the activation format its weight's kernel
// wants and reused by every weight that reads the same input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/kernels.h"

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

// Converts n values of `type` to float (embedding rows, norm weights).
void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n);

// The float rows [n_tok, cols] feeding one or more matmuls, with their conversions
// to activation formats cached until the next set().
class MatmulInput {
public:
    // Allocates for up to max_tok rows of max_cols values in `fmt` (once), so that
    // later conversions allocate nothing. Formats never reserved are allocated on
    // first use.
    void reserve(ActFormat fmt, int64_t max_tok, int64_t max_cols);
    void set(const float* x, int64_t n_tok, int64_t cols);
    // Rows in `fmt`, converting on first use; stride is the bytes between rows.
    const uint8_t* get(ActFormat fmt, ThreadPool& pool, size_t& stride);

    int64_t n_tok() const { return n_tok_; }
    int64_t cols() const { return cols_; }
    size_t reserved_bytes() const;

private:
    const float* x_ = nullptr;
    int64_t n_tok_ = 0, cols_ = 0;
    std::array<std::vector<uint8_t>, 3> converted_;
    std::array<bool, 3> ready_{};
};

// Y[t, r] = sum_c W[r, c] * X[t, c] for every row t of `x`; Y has row stride y_stride.
// Rows of W are split across the pool's threads.
void matmul(ThreadPool& pool, const WeightMatrix& w, MatmulInput& x, float* y, int64_t y_stride);

// One product of a group that reads the same input: Y = W x into y (row stride y_stride).
struct MatmulTarget {
    const WeightMatrix* w = nullptr;
    float* y = nullptr;
    int64_t y_stride = 0;
};

// matmul() for each target (at most kMatmulGroupMax), as one job for the pool: the rows of all the weights are
// one range split across the threads. Decode's small projections (q, k and v; gate
// and up) then pay one hand-over and one ragged end between them, not one each.
inline constexpr size_t kMatmulGroupMax = 4;
void matmul_group(ThreadPool& pool, std::span<const MatmulTarget> targets, MatmulInput& x);

// out = x / rms(x) * weight, per row of n values.
void rmsnorm(const float* x, const float* weight, float* out, int64_t n, float eps);
void softmax_inplace(float* x, int64_t n);

// Index of the first NaN or infinity among n floats, or kAllFinite. Tests the
// exponent bits, so it holds under any floating-point compiler flags.
inline constexpr size_t kAllFinite = ~size_t{0};
size_t first_non_finite(const float* x, size_t n);

}  // namespace pareto
