#include "eval/perplexity.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace pareto {

PerplexityParams perplexity_default_params() { return PerplexityParams{}; }

PerplexityResult perplexity(const Model& model, const std::string& text, const PerplexityParams& params) {
    const Tokenizer& tok = model.tokenizer();
    const int64_t n_ctx = params.n_ctx;
    if (n_ctx < 4) fail("perplexity context must be at least 4 tokens");
    if (text.empty()) fail("the evaluation text is empty");

    TokenizeOptions topt;
    topt.add_bos = tok.add_bos_default();
    const std::vector<TokenId> tokens = tok.encode(text, topt);
    const auto n_tokens = static_cast<int64_t>(tokens.size());
    if (n_tokens < 2 * n_ctx)
        fail("the text has " + std::to_string(n_tokens) + " tokens; perplexity with a context of " +
             std::to_string(n_ctx) + " needs at least " + std::to_string(2 * n_ctx));

    int64_t n_chunks = n_tokens / n_ctx;
    if (params.max_chunks >= 0) n_chunks = std::min(n_chunks, params.max_chunks);
    if (n_chunks == 0) fail("no chunks to evaluate");

    SessionParams sp;
    sp.n_ctx = n_ctx;
    sp.n_batch = n_ctx;
    sp.n_threads = params.n_threads;
    Session session(model, sp);

    const int64_t first = n_ctx / 2;
    const int64_t n_vocab = model.config().n_vocab;
    std::vector<TokenId> chunk(static_cast<size_t>(n_ctx));
    double nll = 0.0, nll2 = 0.0;
    int64_t count = 0;

    for (int64_t c = 0; c < n_chunks; ++c) {
        std::copy_n(tokens.begin() + c * n_ctx, n_ctx, chunk.begin());
        if (topt.add_bos && tok.bos()) chunk[0] = *tok.bos();
        session.clear();
        session.eval(chunk, /*all_logits=*/true);
        for (int64_t i = first; i < n_ctx - 1; ++i) {
            const auto logits = session.logits_at(i);
            const float mx = *std::max_element(logits.begin(), logits.end());
            double sum = 0.0;
            for (int64_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(logits[static_cast<size_t>(v)]) - mx);
            const double logp = static_cast<double>(logits[static_cast<size_t>(chunk[static_cast<size_t>(i + 1)])]) - mx - std::log(sum);
            nll -= logp;
            nll2 += logp * logp;
            ++count;
        }
        if (params.progress && !params.progress(c + 1, n_chunks, std::exp(nll / static_cast<double>(count))))
            throw Cancelled();
    }

    PerplexityResult r;
    r.n_chunks = n_chunks;
    r.n_scored = count;
    r.n_text_tokens = n_tokens;
    r.mean_nll = nll / static_cast<double>(count);
    r.ppl = std::exp(r.mean_nll);
    const double var = nll2 / static_cast<double>(count) - r.mean_nll * r.mean_nll;
    r.ppl_error = var > 0 && count > 1 ? std::sqrt(var / static_cast<double>(count - 1)) * r.ppl : 0.0;
    return r;
}

}  // namespace pareto
