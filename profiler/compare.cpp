#include "profiler/compare.h"

#include <algorithm>

#include "util/error.h"

namespace pareto::prof {
namespace {

// Tokens a phase's time is spread over: generated tokens (decode steps) or prompt tokens.
double tokens_of(const RunSummary& s, Phase phase) {
    return static_cast<double>(phase == Phase::Decode ? s.latency.n_decode : s.latency.n_prompt);
}

double per_token(const OpStats& o, double tokens) { return tokens > 0 ? o.ms() / tokens : 0; }

}  // namespace

RunComparison compare_runs(const Run& a, const Run& b, Phase phase) {
    const RunSummary sa = summarize(a), sb = summarize(b);
    const auto ph = static_cast<size_t>(phase);
    if (sa.total[ph].count == 0 && sb.total[ph].count == 0)
        fail("neither run '" + a.config.name + "' nor '" + b.config.name + "' has " + std::string(phase_name(phase)) +
             " ops to compare");
    RunComparison c;
    c.phase = phase;
    c.a_tokens = tokens_of(sa, phase);
    c.b_tokens = tokens_of(sb, phase);
    for (int k = 0; k < kOpKindCount; ++k) {
        const OpStats& oa = sa.by_kind[ph][size_t(k)];
        const OpStats& ob = sb.by_kind[ph][size_t(k)];
        if (oa.count == 0 && ob.count == 0) continue;
        c.by_kind.push_back({std::string(op_kind_name(static_cast<OpKind>(k))), per_token(oa, c.a_tokens),
                             per_token(ob, c.b_tokens)});
    }
    const size_t layers = std::max(sa.by_layer.size(), sb.by_layer.size());
    for (size_t l = 0; l < layers; ++l) {
        const OpStats oa = l < sa.by_layer.size() ? sa.by_layer[l][ph] : OpStats{};
        const OpStats ob = l < sb.by_layer.size() ? sb.by_layer[l][ph] : OpStats{};
        c.by_layer.push_back({"layer " + std::to_string(l), per_token(oa, c.a_tokens), per_token(ob, c.b_tokens)});
    }
    c.outside_layers = {"outside layers", per_token(sa.outside_layers[ph], c.a_tokens),
                        per_token(sb.outside_layers[ph], c.b_tokens)};
    c.total = {"total", per_token(sa.total[ph], c.a_tokens), per_token(sb.total[ph], c.b_tokens)};
    return c;
}

}  // namespace pareto::prof
