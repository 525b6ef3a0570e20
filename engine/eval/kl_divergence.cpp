#include "eval/kl_divergence.h"

#include <algorithm>
#include <cmath>

#include "eval/scoring.h"
#include "util/error.h"

namespace pareto {

KlParams kl_default_params() { return KlParams{}; }

void check_same_vocabulary(const Model& model, const Model& base) {
    const auto differ = [&](const std::string& what) {
        fail("cannot compare " + model.path() + " with the baseline " + base.path() +
             ": their vocabularies differ (" + what + ")");
    };
    const Tokenizer& tm = model.tokenizer();
    const Tokenizer& tb = base.tokenizer();
    if (tm.vocab_size() != tb.vocab_size())
        differ(std::to_string(tm.vocab_size()) + " vs " + std::to_string(tb.vocab_size()) + " tokens");
    if (model.config().n_vocab != base.config().n_vocab)
        differ(std::to_string(model.config().n_vocab) + " vs " + std::to_string(base.config().n_vocab) + " logits");
    if (&tm == &tb) return;  // a compressed copy sharing its baseline's tokenizer
    if (tm.model_name() != tb.model_name())
        differ("tokenizer " + std::string(tm.model_name()) + " vs " + std::string(tb.model_name()));
    for (size_t i = 0; i < tm.vocab_size(); ++i) {
        const auto id = static_cast<TokenId>(i);
        if (tm.token_text(id) != tb.token_text(id))
            differ("token " + std::to_string(id) + " is '" + tm.token_text(id) + "' vs '" + tb.token_text(id) + "'");
    }
    if (tm.add_bos_default() != tb.add_bos_default() || tm.bos() != tb.bos()) differ("BOS token");
}

PositionComparison compare_position(std::span<const float> base_logits, std::span<const float> model_logits,
                                    TokenId next) {
    const LogSoftmax lb = log_softmax(base_logits);
    const LogSoftmax lm = log_softmax(model_logits);
    PositionComparison pc;
    double kl = 0.0;
    for (size_t v = 0; v < base_logits.size(); ++v) {
        const double logp_base = lb(base_logits[v]);
        kl += std::exp(logp_base) * (logp_base - lm(model_logits[v]));
    }
    pc.kl = kl;
    const auto n = static_cast<size_t>(next);
    pc.logp_base = lb(base_logits[n]);
    pc.logp_model = lm(model_logits[n]);
    pc.same_top = std::max_element(base_logits.begin(), base_logits.end()) - base_logits.begin() ==
                  std::max_element(model_logits.begin(), model_logits.end()) - model_logits.begin();
    return pc;
}

void KlStatistics::add(const PositionComparison& p) {
    kl_values_.push_back(static_cast<float>(p.kl));
    kl_sum_ += p.kl;
    kl_sum2_ += p.kl * p.kl;
    kl_max_ = kl_values_.size() == 1 ? p.kl : std::max(kl_max_, p.kl);
    nll_model_.add(p.logp_model);
    nll_base_.add(p.logp_base);
    const double dp = std::exp(p.logp_model) - std::exp(p.logp_base);
    dp_sum_ += dp;
    dp_sum2_ += dp * dp;
    n_same_top_ += p.same_top ? 1 : 0;
}

namespace {

// The value at `fraction` of the sorted values, interpolating linearly between the
// two nearest order statistics (fraction 0.5 of an even count: the mean of the
// middle two).
double percentile_of_sorted(const std::vector<float>& sorted, double fraction) {
    const double at = fraction * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<size_t>(at);
    const size_t above = std::min(below + 1, sorted.size() - 1);
    const double w = at - static_cast<double>(below);
    return (1.0 - w) * sorted[below] + w * sorted[above];
}

}  // namespace

KlResult KlStatistics::result() const {
    KlResult r;
    r.model = nll_model_.result();
    r.base = nll_base_.result();
    const auto count = static_cast<int64_t>(kl_values_.size());
    r.n_scored = count;
    if (count == 0) return r;
    const double n = static_cast<double>(count);
    r.kl_mean = kl_sum_ / n;
    r.kl_error = standard_error(kl_sum_, kl_sum2_, count);
    std::vector<float> sorted = kl_values_;
    std::sort(sorted.begin(), sorted.end());
    r.kl_median = percentile_of_sorted(sorted, 0.5);
    r.kl_p90 = percentile_of_sorted(sorted, 0.9);
    r.kl_p99 = percentile_of_sorted(sorted, 0.99);
    r.kl_max = kl_max_;
    r.same_top_rate = static_cast<double>(n_same_top_) / n;
    r.delta_p_mean = dp_sum_ / n;
    r.delta_p_rms = std::sqrt(dp_sum2_ / n);
    return r;
}

KlResult evaluate_against_baseline(const Model& model, const Model& base, const std::string& text,
                                   const KlParams& params) {
    check_same_vocabulary(model, base);
    const EvalChunks chunks(model.tokenizer(), text, params.n_ctx, params.max_chunks);
    const int64_t n_ctx = chunks.n_ctx();

    // One session per model: each keeps only its current chunk's logits
    // ([n_ctx, n_vocab]), so memory does not grow with the text.
    SessionParams sp;
    sp.n_ctx = n_ctx;
    sp.n_batch = n_ctx;
    sp.n_threads = params.n_threads;
    Session base_session(base, sp);
    Session model_session(model, sp);

    KlStatistics stats;
    stats.reserve(chunks.n_chunks() * chunks.scored_per_chunk());
    std::vector<TokenId> chunk;
    for (int64_t c = 0; c < chunks.n_chunks(); ++c) {
        chunks.chunk(c, chunk);
        base_session.clear();
        base_session.eval(chunk, /*all_logits=*/true);
        model_session.clear();
        model_session.eval(chunk, /*all_logits=*/true);
        for (int64_t i = chunks.first_scored(); i < n_ctx - 1; ++i)
            stats.add(compare_position(base_session.logits_at(i), model_session.logits_at(i),
                                       chunk[static_cast<size_t>(i + 1)]));
        if (params.progress && !params.progress(c + 1, chunks.n_chunks())) throw Cancelled();
    }

    KlResult r = stats.result();
    r.model.n_chunks = r.base.n_chunks = chunks.n_chunks();
    r.model.n_text_tokens = r.base.n_text_tokens = chunks.n_text_tokens();
    return r;
}

}  // namespace pareto
