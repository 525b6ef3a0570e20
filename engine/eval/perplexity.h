#pragma once
// Perplexity of a model over a text, by llama.cpp's method so the numbers compare:
// tokenize the whole text once (with BOS); cut it into non-overlapping chunks of
// n_ctx tokens; evaluate each chunk on its own with BOS as its first token; score
// only the predictions of the second half of each chunk (which all see >= n_ctx/2
// tokens of context).
#include <cstdint>
#include <functional>
#include <string>

#include "model/session.h"

namespace pareto {

struct PerplexityParams {
    int64_t n_ctx = 512;
    int64_t max_chunks = -1;  // < 0: all chunks of the text
    int n_threads = 0;
    // Called after each chunk with (chunks done, chunks total, running PPL); return
    // false to cancel (perplexity() then throws pareto::Cancelled).
    std::function<bool(int64_t, int64_t, double)> progress;
};
PerplexityParams perplexity_default_params();

struct PerplexityResult {
    double ppl = 0;
    double ppl_error = 0;    // standard error, propagated to PPL as llama.cpp reports it
    double mean_nll = 0;
    int64_t n_chunks = 0;
    int64_t n_scored = 0;    // predictions scored
    int64_t n_text_tokens = 0;
};

PerplexityResult perplexity(const Model& model, const std::string& text, const PerplexityParams& params);

}  // namespace pareto
