#include "tensor/ops.h"

#include <algorithm>
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
    if (x.cols() != w.cols)
        fail("matmul shape mismatch: input has " + std::to_string(x.cols()) + " columns, weight " +
             std::to_string(w.cols));
    const KernelTable& k = kernels();
    const GemmFn gemm = k.gemm_for(w.type);
    size_t a_stride = 0;
    const uint8_t* a = x.get(act_format(w.type), pool, a_stride);
    const int64_t n_tok = x.n_tok();
    pool.parallel_for(w.rows, [&](int64_t r0, int64_t r1) {
        gemm(w.cols, w.row(r0), w.row_bytes, r1 - r0, a, a_stride, n_tok, y + r0, y_stride);
    }, w.rows * w.cols * n_tok);
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
