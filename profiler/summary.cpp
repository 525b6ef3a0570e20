#include "profiler/summary.h"

#include <algorithm>
#include <cmath>

namespace pareto::prof {

void OpStats::add(const OpRecord& r) {
    ++count;
    total_ns += r.duration_ns();
    bytes += r.bytes_read;
    flops += r.flops;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const double rank = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(rank));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

RunSummary summarize(const Run& run) {
    RunSummary s;
    int32_t max_layer = -1;
    for (const OpRecord& r : run.ops) max_layer = std::max(max_layer, r.layer);
    s.by_layer.resize(static_cast<size_t>(max_layer + 1));

    std::vector<int64_t> op_ns_per_step(run.tokens.size(), 0);
    int64_t prefill_eval_ns = 0;
    for (const OpRecord& r : run.ops) {
        const auto ph = static_cast<size_t>(r.phase);
        s.by_kind[ph][static_cast<size_t>(r.kind)].add(r);
        if (r.layer >= 0) s.by_layer[static_cast<size_t>(r.layer)][ph].add(r);
        else s.outside_layers[ph].add(r);
        s.total[ph].add(r);
        if (r.step >= 0 && static_cast<size_t>(r.step) < op_ns_per_step.size())
            op_ns_per_step[static_cast<size_t>(r.step)] += r.duration_ns();
        if (r.step == 0 && r.phase == Phase::Prefill && r.kind != OpKind::Sampling) prefill_eval_ns += r.duration_ns();
    }

    LatencyStats& lat = s.latency;
    std::vector<double> tpot;
    double decode_ns = 0;
    s.accounted_worst_step = run.tokens.empty() ? 0 : 1e300;
    int64_t op_ns = 0;
    for (size_t i = 0; i < run.tokens.size(); ++i) {
        const TokenRecord& t = run.tokens[i];
        const int64_t d = t.duration_ns();
        s.wall_ns += d;
        op_ns += op_ns_per_step[i];
        if (d > 0) s.accounted_worst_step = std::min(s.accounted_worst_step, double(op_ns_per_step[i]) / double(d));
        if (i == 0) {
            lat.n_prompt = t.n_tokens;
            lat.ttft_ms = d * 1e-6;
        } else {
            tpot.push_back(d * 1e-6);
            decode_ns += static_cast<double>(d);
        }
    }
    if (s.accounted_worst_step > 1e299) s.accounted_worst_step = 0;
    s.accounted = s.wall_ns > 0 ? double(op_ns) / double(s.wall_ns) : 0;
    lat.n_decode = static_cast<int64_t>(tpot.size());
    if (!tpot.empty()) {
        lat.tpot_mean_ms = decode_ns * 1e-6 / static_cast<double>(tpot.size());
        lat.tpot_p50_ms = percentile(tpot, 0.50);
        lat.tpot_p90_ms = percentile(tpot, 0.90);
        lat.tpot_p99_ms = percentile(tpot, 0.99);
        lat.tpot_max_ms = *std::max_element(tpot.begin(), tpot.end());
        lat.decode_tokens_per_s = decode_ns > 0 ? static_cast<double>(tpot.size()) * 1e9 / decode_ns : 0;
    }
    lat.prefill_tokens_per_s = prefill_eval_ns > 0 ? static_cast<double>(lat.n_prompt) * 1e9 / prefill_eval_ns : 0;
    return s;
}

}  // namespace pareto::prof
