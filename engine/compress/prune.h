#pragma once
// Unstructured and N:M pruning of a weight matrix (in floats, before quantization):
//   - magnitude: the smallest |w| of the whole matrix (or of each group of M);
//   - Wanda (Sun et al. 2023): score |w_ij| * ||x_j||, the weight times the norm of
//     the input column it multiplies, compared within each output row (or each group
//     of M); no weight update;
//   - SparseGPT (Frantar & Alistarh 2023): the optimal-brain-surgeon update with the
//     calibration Hessian. Columns are processed in blocks; within each block the mask
//     is chosen by w^2 / [H^-1]_jj^2 (all rows of the block together for unstructured
//     sparsity, each group of M of each row for N:M), and each pruned weight's error
//     is compensated in the columns after it.
// Pruned weights are zero and reported in the mask, so a quantizer that follows keeps
// them at zero.
#include "compress/calibration.h"
#include "compress/plan.h"
#include "compress/quantize.h"

namespace pareto {

struct PruneReport {
    int64_t pruned = 0;        // weights set to zero
    double damp = 0;           // SparseGPT: the relative dampening used
};

// Prunes `w` in place to `target` and returns the mask (1 = pruned). Wanda needs
// `stats` (column sums of squares), SparseGPT its Hessian; magnitude ignores it.
// `settings` gives SparseGPT's dampening and column block size. N:M needs the row
// length to be a multiple of M. Throws when the statistics a method needs are absent.
PruneMask prune_matrix(FloatMatrix& w, PruneMethod method, const SparsitySpec& target, const InputStats* stats,
                       const GptqSettings& settings = {}, PruneReport* report = nullptr);

// The fraction of zeros in `w`.
double measured_sparsity(const FloatMatrix& w);
// Whether every group of m consecutive values of every row holds at most n nonzeros.
bool satisfies_n_m(const FloatMatrix& w, int n, int m);

}  // namespace pareto
