#pragma once
// How far a compressed model's predictions moved from its uncompressed baseline
// on the same text, in the terms of llama-perplexity's KL-divergence mode: both
// models see the same chunks (perplexity.h's chunking: n_ctx tokens, BOS first,
// the second half of each chunk scored), and at every scored position we compare
// the two next-token distributions.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "eval/perplexity.h"
#include "eval/scoring.h"
#include "model/model.h"

namespace pareto {

struct KlParams {
    int64_t n_ctx = 512;
    int64_t max_chunks = -1;  // < 0: all chunks of the text
    int n_threads = 0;
    // Called after each chunk with (chunks done, chunks total); false cancels
    // (evaluate_against_baseline then throws pareto::Cancelled).
    std::function<bool(int64_t, int64_t)> progress;
};
KlParams kl_default_params();

struct KlResult {
    PerplexityResult model;        // the evaluated model's PPL on the scored positions
    PerplexityResult base;         // the baseline's, same positions
    int64_t n_scored = 0;          // positions compared
    // KL(base || model) per position, in nats.
    double kl_mean = 0, kl_error = 0;  // mean and its standard error
    double kl_median = 0, kl_p90 = 0, kl_p99 = 0, kl_max = 0;
    double same_top_rate = 0;      // fraction of positions whose argmax token agrees
    // p_model(correct token) - p_base(correct token), per position.
    double delta_p_mean = 0, delta_p_rms = 0;
};

// Throws pareto::Error when the two models do not share a vocabulary (same size and
// the same tokens), or the text is too short for one chunk.
KlResult evaluate_against_baseline(const Model& model, const Model& base, const std::string& text,
                                   const KlParams& params);

// Throws pareto::Error naming both files unless `model` and `base` have the same
// vocabulary: logit count, tokenizer algorithm, token texts, and BOS handling.
void check_same_vocabulary(const Model& model, const Model& base);

// One scored position: the two models' next-token distributions compared.
struct PositionComparison {
    double kl = 0;           // KL(base || model) = sum_v p_base(v) (log p_base(v) - log p_model(v)), nats
    double logp_model = 0;   // log p_model(next token)
    double logp_base = 0;    // log p_base(next token)
    bool same_top = false;   // both argmaxes (first index on ties) are the same token
};
// base_logits, model_logits: [n_vocab] raw logits; `next` is the text's next token.
// Everything is computed in double from the F32 logits, so identical logits give
// exactly kl 0 and equal probabilities.
PositionComparison compare_position(std::span<const float> base_logits, std::span<const float> model_logits,
                                    TokenId next);

// The statistics of KlResult over any number of positions: running sums for the
// means, and one float per position for the exact KL percentiles (linear
// interpolation between order statistics, as llama-perplexity reports them).
class KlStatistics {
public:
    void reserve(int64_t n_positions) { kl_values_.reserve(static_cast<size_t>(n_positions)); }
    void add(const PositionComparison& position);
    // Every field of KlResult except the n_chunks and n_text_tokens of model and base.
    KlResult result() const;

private:
    std::vector<float> kl_values_;  // [positions added]
    double kl_sum_ = 0, kl_sum2_ = 0, kl_max_ = 0;
    NllStats nll_model_, nll_base_;
    double dp_sum_ = 0, dp_sum2_ = 0;  // of p_model(next) - p_base(next)
    int64_t n_same_top_ = 0;
};

}  // namespace pareto
