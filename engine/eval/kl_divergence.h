#pragma once
// How far a compressed model's predictions moved from its uncompressed baseline
// on the same text, in the terms of llama-perplexity's KL-divergence mode: both
// models see the same chunks (perplexity.h's chunking: n_ctx tokens, BOS first,
// the second half of each chunk scored), and at every scored position we compare
// the two next-token distributions.
#include <cstdint>
#include <functional>
#include <string>

#include "eval/perplexity.h"
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

}  // namespace pareto
