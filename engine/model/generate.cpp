#include "model/generate.h"

#include <chrono>

#include "util/error.h"

namespace pareto {
namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

GenerateParams generate_default_params() { return GenerateParams{}; }

double GenerateStats::decode_tokens_per_s() const {
    // The first generated token comes from the prompt pass; each later one costs an eval.
    const int64_t evals = n_generated > 0 ? n_generated - 1 : 0;
    return decode_ms > 0 ? evals * 1000.0 / decode_ms : 0;
}

void require_prompt_fits(size_t n_prompt, int64_t n_ctx, int64_t n_past) {
    if (static_cast<int64_t>(n_prompt) + n_past <= n_ctx) return;
    std::string held = n_past > 0 ? " on top of the " + std::to_string(n_past) + " tokens held" : "";
    fail("the prompt is " + std::to_string(n_prompt) + " tokens, longer than the context of " + std::to_string(n_ctx) +
         held + ": shorten it or raise the context length (-c)");
}

GenerateStats generate(Session& session, std::span<const TokenId> prompt, const GenerateParams& params,
                       const TokenCallback& on_token) {
    if (prompt.empty()) fail("the prompt is empty: there is nothing to continue");
    require_prompt_fits(prompt.size(), session.n_ctx(), session.n_past());
    GenerateStats st;
    st.n_prompt = static_cast<int64_t>(prompt.size());
    const Tokenizer& tok = session.model().tokenizer();
    Sampler sampler(params.sampler);

    std::vector<TokenId> history(prompt.begin(), prompt.end());
    const int64_t budget = params.n_predict < 0 ? session.n_ctx() : params.n_predict;
    history.reserve(history.size() + static_cast<size_t>(budget));

    const auto t0 = Clock::now();
    session.eval(prompt);
    st.prompt_ms = ms_since(t0);

    Observer* const obs = session.observer();
    for (int64_t i = 0; i < budget; ++i) {
        TokenId next;
        {
            OpEvent ev;
            ev.kind = OpKind::Sampling;
            ev.phase = session.phase();
            ev.n_tokens = 1;
            ev.pos = session.n_past() - 1;
            if (obs) obs->op_begin(ev);
            next = sampler.sample(session.logits(), history);
            if (obs) obs->op_end(ev);
        }
        if (i == 0) st.ttft_ms = ms_since(t0);
        history.push_back(next);
        ++st.n_generated;
        if (on_token && !on_token(next)) {
            st.stop = StopReason::Callback;
            return st;
        }
        if (params.stop_at_eog && tok.is_end_of_generation(next)) {
            st.stop = StopReason::EndOfGeneration;
            return st;
        }
        if (i + 1 == budget) break;
        if (session.n_past() >= session.n_ctx()) {
            st.stop = StopReason::ContextFull;
            return st;
        }
        const auto t1 = Clock::now();
        session.eval(std::span<const TokenId>(&history.back(), 1));
        st.decode_ms += ms_since(t1);
    }
    st.stop = StopReason::Length;
    return st;
}

}  // namespace pareto
