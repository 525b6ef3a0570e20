#pragma once
// Private to pareto_compress (Eigen stays out of the public headers): the Hessian
// preparation GPTQ and SparseGPT share.
#include <Eigen/Dense>
#include <cstdint>
#include <string>

#include "util/error.h"

namespace pareto::hessian {

// Columns no calibration input reached (H_jj = 0) carry no information: their weights
// are zeroed by the caller, and H gets a unit diagonal there so it can be inverted.
// Returns how many there were; `dead(j)` is called for each.
template <class F>
int64_t fix_dead_columns(Eigen::MatrixXd& H, F&& dead) {
    int64_t n = 0;
    for (Eigen::Index c = 0; c < H.rows(); ++c)
        if (H(c, c) == 0) {
            H(c, c) = 1;
            dead(static_cast<int64_t>(c));
            ++n;
        }
    return n;
}

// The upper Cholesky factor U of (H + damp * mean(diag H) * I)^-1, so that
// (H + ...)^-1 = U^T U: row i of U holds, from i on, how the error of column i is
// spread over the later columns. A Hessian that is not positive definite (fewer
// samples than its width) gets ten times more dampening, up to five times; `damp`
// returns what was used.
inline Eigen::MatrixXd inverse_cholesky_upper(const Eigen::MatrixXd& H, double& damp) {
    using Mat = Eigen::MatrixXd;
    const Eigen::Index n = H.rows();
    const double mean_diag = H.diagonal().mean();
    for (int attempt = 0;; ++attempt) {
        Mat Hd = H;
        Hd.diagonal().array() += damp * mean_diag;
        Eigen::LLT<Mat> llt(Hd);
        if (llt.info() == Eigen::Success) {
            const Mat Hinv = llt.solve(Mat::Identity(n, n));
            Eigen::LLT<Mat> llt_inv(Hinv);
            if (llt_inv.info() == Eigen::Success) return llt_inv.matrixU();
        }
        if (attempt == 5)
            fail("the calibration Hessian stays singular even with dampening " + std::to_string(damp) +
                 " (give more calibration samples)");
        damp *= 10;
    }
}

}  // namespace pareto::hessian
