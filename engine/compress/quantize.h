#pragma once
// Quantizing a weight matrix into a GGUF block type, three ways:
//   - round-to-nearest (RTN): llama.cpp's reference quantizer, the same bytes as
//     llama-quantize without an importance matrix;
//   - importance-weighted RTN: the block scales are searched to minimise the rounding
//     error weighted by each input column's mean square activation (llama.cpp's
//     imatrix idea: an error on a column that sees large inputs costs more);
//   - GPTQ (Frantar et al. 2022): columns are quantized one after another, and each
//     one's rounding error is compensated in the columns not yet quantized, through
//     the inverse of the calibration Hessian H = sum x x^T.
// All three take a float matrix, so pruning (which zeroes weights and may update the
// others) can come first; a prune mask keeps pruned weights at zero.
#include <cstdint>
#include <vector>

#include "compress/calibration.h"
#include "compress/plan.h"
#include "format/gguf.h"
#include "tensor/dtype.h"

namespace pareto {

class ThreadPool;

// A weight matrix as floats: `rows` rows (outputs) of `cols` values (inputs),
// row-major: GGUF shape [cols, rows].
struct FloatMatrix {
    int64_t rows = 0, cols = 0;
    std::vector<float> data;  // [rows, cols]

    FloatMatrix() = default;
    FloatMatrix(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), 0.0f) {}
    float* row(int64_t r) { return data.data() + r * cols; }
    const float* row(int64_t r) const { return data.data() + r * cols; }
    float& at(int64_t r, int64_t c) { return data[static_cast<size_t>(r * cols + c)]; }
    float at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

// A 2-D tensor of any type with a reference dequantizer, as floats.
FloatMatrix dequantize_matrix(const GgufTensor& t);
// `bytes` of `type` holding rows x cols values, as floats.
FloatMatrix dequantize_matrix(DType type, const uint8_t* bytes, int64_t rows, int64_t cols);

// Pruned weights: 1 where a weight was pruned (and must stay zero), [rows, cols];
// empty when nothing is pruned.
using PruneMask = std::vector<uint8_t>;

// Plain RTN into any type with a reference quantizer: llama.cpp's bytes. Rows run in
// parallel on `pool` when given.
std::vector<uint8_t> quantize_rtn(const FloatMatrix& w, DType type, ThreadPool* pool = nullptr);

// Whether `type` has an importance-weighted scale search (Q4_0, Q5_0, Q8_0, Q4_K,
// Q5_K, Q6_K); others fall back to plain RTN.
bool has_weighted_fit(DType type);
// RTN with the block scales fitted to minimise sum_c importance[c] * (w_c - q_c)^2.
// `importance` is [cols] (InputStats::mean_sq). Pruned weights (mask) stay zero
// where the type can express zero exactly (every type but the affine K/_1 types, whose
// zero point is only approximate).
std::vector<uint8_t> quantize_weighted(const FloatMatrix& w, DType type, const std::vector<float>& importance,
                                       const PruneMask* mask = nullptr, ThreadPool* pool = nullptr);

struct GptqReport {
    double damp = 0;           // the relative dampening finally used (raised when H was not positive definite)
    int64_t dead_columns = 0;  // columns no calibration input ever reached (zeroed)
};
// GPTQ into Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K or Q6_K. `stats` must hold the
// Hessian of this matrix's input. Each block's scales are fitted (weighted by the
// Hessian diagonal) when GPTQ reaches its first column, from the weights as updated so
// far; with act_order the columns go in order of decreasing H_jj and the scales are
// fitted up front (static groups), since a block's columns are then visited out of
// order. Pruned weights (mask) are quantized to zero and their error compensated too.
std::vector<uint8_t> quantize_gptq(const FloatMatrix& w, DType type, const InputStats& stats,
                                   const GptqSettings& settings, const PruneMask* mask = nullptr,
                                   GptqReport* report = nullptr);

// The relative output error of replacing w by q on the calibration inputs:
// trace((w - q) H (w - q)^T) / trace(w H w^T). Needs the Hessian.
double relative_output_error(const FloatMatrix& w, const FloatMatrix& q, const InputStats& stats);

}  // namespace pareto
