#include "eval/perplexity.h"

#include "eval/scoring.h"
#include "util/error.h"

namespace pareto {

PerplexityParams perplexity_default_params() { return PerplexityParams{}; }

PerplexityResult perplexity(const Model& model, const std::string& text, const PerplexityParams& params) {
    const EvalChunks chunks(model.tokenizer(), text, params.n_ctx, params.max_chunks);
    const int64_t n_ctx = chunks.n_ctx();

    SessionParams sp;
    sp.n_ctx = n_ctx;
    sp.n_batch = n_ctx;
    sp.n_threads = params.n_threads;
    Session session(model, sp);

    std::vector<TokenId> chunk;
    NllStats nll;
    for (int64_t c = 0; c < chunks.n_chunks(); ++c) {
        chunks.chunk(c, chunk);
        session.clear();
        session.eval(chunk, /*all_logits=*/true);
        for (int64_t i = chunks.first_scored(); i < n_ctx - 1; ++i) {
            const auto logits = session.logits_at(i);
            nll.add(log_softmax(logits)(logits[static_cast<size_t>(chunk[static_cast<size_t>(i + 1)])]));
        }
        if (params.progress && !params.progress(c + 1, chunks.n_chunks(), nll.ppl())) throw Cancelled();
    }

    PerplexityResult r = nll.result();
    r.n_chunks = chunks.n_chunks();
    r.n_text_tokens = chunks.n_text_tokens();
    return r;
}

}  // namespace pareto
