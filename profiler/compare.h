#pragma once
// Two runs side by side: where did the time go in each, per op kind and per layer.
// Times are per token so that runs of different lengths compare: decode per
// generated token, prefill per prompt token.
#include <string>
#include <vector>

#include "profiler/run.h"
#include "profiler/summary.h"

namespace pareto::prof {

struct CompareRow {
    std::string label;  // op kind name, "layer 3", or "total"
    double a_ms = 0;    // per token
    double b_ms = 0;
    double delta_ms() const { return b_ms - a_ms; }
    double ratio() const { return a_ms > 0 ? b_ms / a_ms : 0; }  // b / a: < 1 means b is faster
};

struct RunComparison {
    Phase phase = Phase::Decode;
    double a_tokens = 0, b_tokens = 0;  // tokens the per-token times divide by
    std::vector<CompareRow> by_kind;    // kinds present in either run
    std::vector<CompareRow> by_layer;   // layers present in either run
    CompareRow outside_layers;          // embed, output norm, lm_head, sampling
    CompareRow total;
};

// Throws pareto::Error when neither run has ops of that phase.
RunComparison compare_runs(const Run& a, const Run& b, Phase phase);

}  // namespace pareto::prof
