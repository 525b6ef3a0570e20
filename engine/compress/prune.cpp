#include "compress/prune.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "compress/hessian.h"
#include "util/error.h"

namespace pareto {
namespace {

// (score, index) of candidate weights.
using Scored = std::vector<std::pair<float, int64_t>>;

// Marks the k lowest-scoring candidates as pruned (ties: the lower index first, so
// results do not depend on the sort's implementation).
void mark_lowest(Scored& cand, int64_t k, PruneMask& mask) {
    if (k <= 0) return;
    const auto n = static_cast<int64_t>(cand.size());
    if (k < n) std::nth_element(cand.begin(), cand.begin() + (k - 1), cand.end());
    for (int64_t i = 0; i < k && i < n; ++i) mask[static_cast<size_t>(cand[static_cast<size_t>(i)].second)] = 1;
}

// Magnitude and Wanda: choose the mask from a score per weight, then zero.
PruneMask prune_by_score(FloatMatrix& w, const std::vector<float>& score, const SparsitySpec& t, bool per_row) {
    const int64_t R = w.rows, C = w.cols;
    PruneMask mask(static_cast<size_t>(R * C), 0);
    Scored cand;
    auto range = [&](int64_t begin, int64_t end) {
        cand.clear();
        for (int64_t i = begin; i < end; ++i) cand.emplace_back(score[static_cast<size_t>(i)], i);
    };
    if (t.is_n_m()) {
        for (int64_t r = 0; r < R; ++r)
            for (int64_t c0 = 0; c0 < C; c0 += t.m) {
                range(r * C + c0, r * C + c0 + t.m);
                mark_lowest(cand, t.m - t.n, mask);
            }
    } else if (per_row) {
        const auto k = static_cast<int64_t>(std::floor(t.sparsity * static_cast<double>(C)));
        for (int64_t r = 0; r < R; ++r) {
            range(r * C, r * C + C);
            mark_lowest(cand, k, mask);
        }
    } else {
        range(0, R * C);
        mark_lowest(cand, static_cast<int64_t>(std::floor(t.sparsity * static_cast<double>(R * C))), mask);
    }
    for (size_t i = 0; i < mask.size(); ++i)
        if (mask[i]) w.data[i] = 0.0f;
    return mask;
}

PruneMask prune_sparsegpt(FloatMatrix& w, const SparsitySpec& t, const InputStats& stats, const GptqSettings& settings,
                          PruneReport& rep) {
    using Mat = Eigen::MatrixXd;
    const int64_t R = w.rows, C = w.cols;
    Mat W(R, C);
    for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) W(r, c) = w.at(r, c);
    Mat H = Eigen::Map<const Mat>(stats.hessian.data(), C, C);
    hessian::fix_dead_columns(H, [&](int64_t c) { W.col(c).setZero(); });
    double damp = settings.damp;
    const Mat U = hessian::inverse_cholesky_upper(H, damp);
    rep.damp = damp;

    PruneMask mask(static_cast<size_t>(R * C), 0);
    Scored cand;
    // OBS saliency of weight (r, c) at this point: w^2 / [H^-1]_cc^2 (U_cc^2 = [H^-1]_cc
    // restricted to the columns not yet processed).
    auto saliency = [&](int64_t r, int64_t c) {
        const double u = U(c, c);
        return static_cast<float>(W(r, c) * W(r, c) / (u * u));
    };
    const int64_t step = t.is_n_m() ? t.m : 1;
    const int64_t B = std::max<int64_t>(step, (settings.block_size + step - 1) / step * step);
    for (int64_t i1 = 0; i1 < C; i1 += B) {
        const int64_t i2 = std::min(i1 + B, C), count = i2 - i1;
        if (!t.is_n_m()) {
            // The block's mask: the lowest saliencies of all its rows and columns.
            cand.clear();
            for (int64_t r = 0; r < R; ++r)
                for (int64_t c = i1; c < i2; ++c) cand.emplace_back(saliency(r, c), r * C + c);
            mark_lowest(cand, static_cast<int64_t>(std::floor(t.sparsity * static_cast<double>(R * count))), mask);
        }
        Mat Err(R, count);
        for (int64_t i = i1; i < i2; ++i) {
            if (t.is_n_m() && (i - i1) % t.m == 0) {
                for (int64_t r = 0; r < R; ++r) {
                    cand.clear();
                    for (int64_t c = i; c < i + t.m; ++c) cand.emplace_back(saliency(r, c), r * C + c);
                    mark_lowest(cand, t.m - t.n, mask);
                }
            }
            const double u = U(i, i);
            for (int64_t r = 0; r < R; ++r) {
                const double q = mask[static_cast<size_t>(r * C + i)] ? 0.0 : W(r, i);
                Err(r, i - i1) = (W(r, i) - q) / u;
                W(r, i) = q;
            }
            if (i + 1 < i2)
                W.block(0, i + 1, R, i2 - i - 1).noalias() -= Err.col(i - i1) * U.block(i, i + 1, 1, i2 - i - 1);
        }
        if (i2 < C) W.rightCols(C - i2).noalias() -= Err * U.block(i1, i2, count, C - i2);
    }
    for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) w.at(r, c) = mask[static_cast<size_t>(r * C + c)] ? 0.0f : static_cast<float>(W(r, c));
    return mask;
}

}  // namespace

PruneMask prune_matrix(FloatMatrix& w, PruneMethod method, const SparsitySpec& target, const InputStats* stats,
                       const GptqSettings& settings, PruneReport* report) {
    if (target.is_n_m() && (target.m <= target.n || target.n < 0 || w.cols % target.m != 0))
        fail("N:M pattern " + target.describe() + " does not fit rows of " + std::to_string(w.cols) + " values");
    if (!target.is_n_m() && !(target.sparsity >= 0 && target.sparsity < 1))
        fail("sparsity " + target.describe() + " is outside [0, 1)");
    PruneReport rep;
    PruneMask mask;
    switch (method) {
        case PruneMethod::Magnitude: {
            std::vector<float> score(w.data.size());
            for (size_t i = 0; i < score.size(); ++i) score[i] = std::fabs(w.data[i]);
            mask = prune_by_score(w, score, target, /*per_row=*/false);
            break;
        }
        case PruneMethod::Wanda: {
            if (!stats || stats->cols != w.cols) fail("Wanda needs the calibration activations of the matrix's input");
            const std::vector<float> norms = stats->norms();
            std::vector<float> score(w.data.size());
            for (int64_t r = 0; r < w.rows; ++r)
                for (int64_t c = 0; c < w.cols; ++c)
                    score[static_cast<size_t>(r * w.cols + c)] = std::fabs(w.at(r, c)) * norms[static_cast<size_t>(c)];
            mask = prune_by_score(w, score, target, /*per_row=*/true);
            break;
        }
        case PruneMethod::SparseGpt:
            if (!stats || !stats->has_hessian() || stats->cols != w.cols)
                fail("SparseGPT needs the calibration Hessian of the matrix's input");
            mask = prune_sparsegpt(w, target, *stats, settings, rep);
            break;
    }
    rep.pruned = std::count(mask.begin(), mask.end(), uint8_t{1});
    if (report) *report = rep;
    return mask;
}

double measured_sparsity(const FloatMatrix& w) {
    if (w.data.empty()) return 0;
    const auto zeros = std::count(w.data.begin(), w.data.end(), 0.0f);
    return static_cast<double>(zeros) / static_cast<double>(w.data.size());
}

bool satisfies_n_m(const FloatMatrix& w, int n, int m) {
    if (m <= 0 || w.cols % m != 0) return false;
    for (int64_t r = 0; r < w.rows; ++r)
        for (int64_t c0 = 0; c0 < w.cols; c0 += m) {
            int nonzero = 0;
            for (int64_t c = c0; c < c0 + m; ++c) nonzero += w.at(r, c) != 0.0f;
            if (nonzero > n) return false;
        }
    return true;
}

}  // namespace pareto
