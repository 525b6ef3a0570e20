#pragma once
// What a run's records add up to: time, bytes and flops per op kind and per layer
// (each for prefill and decode), per-token latencies, and how much of each token's
// wall time the ops account for.
#include <array>
#include <cstdint>
#include <vector>

#include "profiler/run.h"

namespace pareto::prof {

struct OpStats {
    int64_t count = 0;
    int64_t total_ns = 0;
    uint64_t bytes = 0;
    uint64_t flops = 0;

    void add(const OpRecord& r);
    double ms() const { return total_ns * 1e-6; }
    double gb_per_s() const { return total_ns > 0 ? static_cast<double>(bytes) / total_ns : 0; }
    double gflop_per_s() const { return total_ns > 0 ? static_cast<double>(flops) / total_ns : 0; }
};

// Percentiles by linear interpolation between order statistics; 0 for no values.
double percentile(std::vector<double> values, double p);

struct LatencyStats {
    int64_t n_prompt = 0;        // tokens of step 0
    int64_t n_decode = 0;        // decode steps
    double ttft_ms = 0;          // step 0: prompt + first sample
    double tpot_mean_ms = 0, tpot_p50_ms = 0, tpot_p90_ms = 0, tpot_p99_ms = 0, tpot_max_ms = 0;
    double prefill_tokens_per_s = 0;  // prompt tokens / step 0's prefill evals
    double decode_tokens_per_s = 0;   // decode steps / their total time
};

struct RunSummary {
    static constexpr int kPhases = 2;  // indexed by Phase
    std::array<std::array<OpStats, kOpKindCount>, kPhases> by_kind{};
    std::vector<std::array<OpStats, kPhases>> by_layer;  // [n_layer][phase]
    std::array<OpStats, kPhases> outside_layers{};       // embed, output norm, lm_head, sampling
    std::array<OpStats, kPhases> total{};
    LatencyStats latency;
    // Sum of op times over sum of step wall times: how much of each token's time is
    // accounted for by ops (1.0 = nothing unaccounted), over all steps and the worst one.
    double accounted = 0;
    double accounted_worst_step = 0;
    int64_t wall_ns = 0;         // sum of step durations
};

RunSummary summarize(const Run& run);

}  // namespace pareto::prof
