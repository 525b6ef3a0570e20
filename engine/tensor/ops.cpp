#include "tensor/ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "tensor/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto {

void dequantize_row(DType type, const uint8_t* src, float* dst, int64_t n) {
    if (type == DType::F32) {
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        return;
    }
    if (!dtype_has_reference(type))
        fail("tensor type " + std::string(dtype_name(type)) + " cannot be converted to float");
    dequantize_row_ref(type, src, dst, n);
}

void MatmulInput::reserve(ActFormat fmt, int64_t max_tok, int64_t max_cols) {
    if (fmt == ActFormat::F32) return;  // used in place
    const int64_t block = act_block_elems(fmt);
    const int64_t cols = (max_cols + block - 1) / block * block;
    auto& buf = converted_[static_cast<size_t>(fmt)];
    buf.resize(std::max(buf.size(), static_cast<size_t>(max_tok) * act_row_bytes(fmt, cols)));
}

size_t MatmulInput::reserved_bytes() const {
    size_t total = 0;
    for (const auto& b : converted_) total += b.size();
    return total;
}

void MatmulInput::set(const float* x, int64_t n_tok, int64_t cols) {
    x_ = x;
    n_tok_ = n_tok;
    cols_ = cols;
    ready_.fill(false);
}

const uint8_t* MatmulInput::get(ActFormat fmt, ThreadPool& pool, size_t& stride) {
    stride = act_row_bytes(fmt, cols_);
    if (fmt == ActFormat::F32) return reinterpret_cast<const uint8_t*>(x_);
    auto& buf = converted_[static_cast<size_t>(fmt)];
    if (cols_ % act_block_elems(fmt) != 0)
        fail("a matmul input of " + std::to_string(cols_) + " values is not a whole number of activation blocks");
    if (buf.size() < stride * static_cast<size_t>(n_tok_)) buf.resize(stride * static_cast<size_t>(n_tok_));
    if (!ready_[static_cast<size_t>(fmt)]) {
        const QuantizeActFn quantize = kernels().quantize_act[static_cast<size_t>(fmt)];
        uint8_t* out = buf.data();
        const float* x = x_;
        const int64_t cols = cols_;
        pool.parallel_for(n_tok_, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) quantize(x + t * cols, out + static_cast<size_t>(t) * stride, cols);
        }, n_tok_ * cols_ / 4);
        ready_[static_cast<size_t>(fmt)] = true;
    }
    return buf.data();
}

void matmul(ThreadPool& pool, const WeightMatrix& w, MatmulInput& x, float* y, int64_t y_stride) {
    const MatmulTarget target{&w, y, y_stride};
    matmul_group(pool, std::span(&target, 1), x);
}

void matmul_group(ThreadPool& pool, std::span<const MatmulTarget> targets, MatmulInput& x) {
    if (targets.size() > kMatmulGroupMax)
        fail("matmul_group: more than " + std::to_string(kMatmulGroupMax) + " products in one group");
    const KernelTable& k = kernels();
    struct Part {
        const MatmulTarget* t;
        GemmFn gemm;
        const uint8_t* a;
        size_t a_stride;
        int64_t first_row;  // of the group's concatenated rows
    };
    std::array<Part, kMatmulGroupMax> parts{};
    int64_t rows = 0, cost = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
        const MatmulTarget& t = targets[i];
        if (x.cols() != t.w->cols)
            fail("matmul shape mismatch: input has " + std::to_string(x.cols()) + " columns, weight " +
                 std::to_string(t.w->cols));
        // Conversions first: get() may itself use the pool, which is not reentrant.
        size_t stride = 0;
        const uint8_t* a = x.get(act_format(t.w->type), pool, stride);
        parts[i] = Part{&t, k.gemm_for(t.w->type), a, stride, rows};
        rows += t.w->rows;
        cost += t.w->rows * t.w->cols * x.n_tok();
    }
    const int64_t n_tok = x.n_tok();
    const size_t n_parts = targets.size();
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        for (size_t i = 0; i < n_parts && r0 < r1; ++i) {
            const Part& p = parts[i];
            const WeightMatrix& w = *p.t->w;
            const int64_t end = p.first_row + w.rows;
            if (r0 >= end) continue;
            const int64_t lo = r0 - p.first_row, hi = std::min(r1, end) - p.first_row;
            p.gemm(w.cols, w.row(lo), w.row_bytes, hi - lo, p.a, p.a_stride, n_tok, p.t->y + lo, p.t->y_stride);
            r0 = end;
        }
    }, cost);
}

void rmsnorm(const float* x, const float* weight, float* out, int64_t n, float eps) {
    const FloatKernels& f = kernels().f;
    const float mean_sq = f.sum_squares(x, n) / static_cast<float>(n);
    f.mul(x, weight, 1.0f / std::sqrt(mean_sq + eps), out, n);
}

void softmax_inplace(float* x, int64_t n) {
    const FloatKernels& f = kernels().f;
    const float sum = f.exp_sum(x, f.max(x, n), n);
    f.scale(1.0f / sum, x, n);
}

size_t first_non_finite(const float* x, size_t n) {
    constexpr size_t kChunk = 4096;
    for (size_t i = 0; i < n; i += kChunk) {
        // A branch-free pass per chunk (it vectorises); the exact index only when it hits.
        const size_t len = std::min(kChunk, n - i);
        uint32_t any = 0;
        for (size_t j = 0; j < len; ++j) {
            uint32_t bits;
            std::memcpy(&bits, x + i + j, sizeof bits);
            any |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
        }
        if (!any) continue;
        for (size_t j = 0; j < len; ++j) {
            uint32_t bits;
            std::memcpy(&bits, x + i + j, sizeof bits);
            if ((bits & 0x7f800000u) == 0x7f800000u) return i + j;
        }
    }
    return kAllFinite;
}

}  // namespace pareto
