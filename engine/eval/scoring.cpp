#include "eval/scoring.h"

#include <algorithm>
#include <cmath>

#include "eval/perplexity.h"
#include "util/error.h"

namespace pareto {

EvalChunks::EvalChunks(const Tokenizer& tokenizer, const std::string& text, int64_t n_ctx, int64_t max_chunks)
    : n_ctx_(n_ctx) {
    if (n_ctx < 4) fail("the evaluation context must be at least 4 tokens (got " + std::to_string(n_ctx) + ")");
    if (text.empty()) fail("the evaluation text is empty");

    TokenizeOptions topt;
    topt.add_bos = tokenizer.add_bos_default();
    tokens_ = tokenizer.encode(text, topt);
    if (topt.add_bos) bos_ = tokenizer.bos();
    const auto n_tokens = static_cast<int64_t>(tokens_.size());
    if (n_tokens < 2 * n_ctx)
        fail("the text has " + std::to_string(n_tokens) + " tokens; evaluation with a context of " +
             std::to_string(n_ctx) + " needs at least " + std::to_string(2 * n_ctx));

    n_chunks_ = n_tokens / n_ctx;
    if (max_chunks >= 0) n_chunks_ = std::min(n_chunks_, max_chunks);
    if (n_chunks_ == 0) fail("no chunks to evaluate: the chunk limit is 0");
}

void EvalChunks::chunk(int64_t c, std::vector<TokenId>& out) const {
    out.assign(tokens_.begin() + c * n_ctx_, tokens_.begin() + (c + 1) * n_ctx_);
    if (bos_) out[0] = *bos_;
}

LogSoftmax log_softmax(std::span<const float> logits) {
    LogSoftmax ls;
    ls.max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (const float l : logits) sum += std::exp(static_cast<double>(l) - ls.max);
    ls.log_sum = std::log(sum);
    return ls;
}

double standard_error(double sum, double sum2, int64_t count) {
    if (count < 2) return 0.0;
    const double n = static_cast<double>(count);
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    return var > 0 ? std::sqrt(var / (n - 1)) : 0.0;
}

double NllStats::ppl() const { return count ? std::exp(sum / static_cast<double>(count)) : 0.0; }

PerplexityResult NllStats::result() const {
    PerplexityResult r;
    r.n_scored = count;
    if (count == 0) return r;
    r.mean_nll = sum / static_cast<double>(count);
    r.ppl = std::exp(r.mean_nll);
    r.ppl_error = standard_error(sum, sum2, count) * r.ppl;
    return r;
}

}  // namespace pareto
