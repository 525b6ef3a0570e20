#pragma once
// What every evaluation over a text shares (perplexity.h, kl_divergence.h), so they
// score the same positions the same way: llama.cpp's chunking, log-softmax in
// double, and the statistics of a mean.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pareto {

struct PerplexityResult;

// The text tokenized once (with BOS when the vocabulary asks for it) and cut into
// non-overlapping chunks of n_ctx tokens. Each chunk is evaluated on its own with
// BOS as its first token; the predictions at positions [first_scored(), n_ctx - 1)
// are scored (position i predicts token i + 1), so every scored prediction has seen
// at least n_ctx / 2 tokens. Throws pareto::Error for an empty text, a context
// under 4 tokens, or a text shorter than two chunks (llama.cpp's minimum).
class EvalChunks {
public:
    EvalChunks(const Tokenizer& tokenizer, const std::string& text, int64_t n_ctx, int64_t max_chunks);

    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_chunks() const { return n_chunks_; }
    int64_t n_text_tokens() const { return static_cast<int64_t>(tokens_.size()); }
    int64_t first_scored() const { return n_ctx_ / 2; }
    int64_t scored_per_chunk() const { return n_ctx_ - 1 - first_scored(); }

    // Chunk c's n_ctx tokens, BOS first, into `out` (resized).
    void chunk(int64_t c, std::vector<TokenId>& out) const;

private:
    std::vector<TokenId> tokens_;  // [n_text_tokens] the whole text
    std::optional<TokenId> bos_;   // set when chunks start with BOS
    int64_t n_ctx_ = 0;
    int64_t n_chunks_ = 0;
};

// log softmax(logits)[v] = logit[v] - max - log(sum_u exp(logit[u] - max)), in double.
struct LogSoftmax {
    float max = 0;        // the largest logit
    double log_sum = 0;   // log(sum_u exp(logit[u] - max))
    double operator()(float logit) const { return static_cast<double>(logit) - max - log_sum; }
};
LogSoftmax log_softmax(std::span<const float> logits);  // logits: [n_vocab], not empty

// Standard error of a mean from the running sums of the values and their squares
// (llama.cpp's formula); 0 for fewer than two values or no spread.
double standard_error(double sum, double sum2, int64_t count);

// Negative log-likelihoods of scored predictions -> PPL with its error.
struct NllStats {
    double sum = 0, sum2 = 0;  // of -log p(target) and its square
    int64_t count = 0;
    void add(double log_prob) {
        sum -= log_prob;
        sum2 += log_prob * log_prob;
        ++count;
    }
    double ppl() const;
    // ppl, ppl_error (the NLL's standard error propagated to PPL), mean_nll, n_scored;
    // the caller fills n_chunks and n_text_tokens.
    PerplexityResult result() const;
};

}  // namespace pareto
