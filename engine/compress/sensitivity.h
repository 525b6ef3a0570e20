#pragma once
// Per-layer sensitivity: compress one group of tensors at a time (a layer's attention
// matrices, its FFN matrices, the token embedding, the output matrix), leave the rest
// of the model alone, and measure how far its predictions move from the uncompressed
// model's on a text (KL divergence, eval/kl_divergence.h). The table is what the GUI
// shows as a heat map, and what a person reads to decide which layers can take fewer
// bits or more sparsity.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compress/plan.h"
#include "eval/kl_divergence.h"
#include "model/model.h"

namespace pareto {

// What is done to each group in turn: RTN into a type, or a pruning method.
struct SensitivityProbe {
    std::optional<TypeChoice> type;   // e.g. Q4_0
    std::optional<PruneRule> prune;   // its match is ignored: it applies to the group
    std::string describe() const;     // "Q4_0", "wanda 50%"
};

struct SensitivityGroup {
    int32_t layer = -1;               // -1 for the token embedding and output matrix
    std::string name;                 // "attn", "ffn", "token_embd", "output"
    std::vector<std::string> tensors; // GGUF names
};
// The groups of a model, in order: blk.0 attn, blk.0 ffn, ..., token_embd, output
// (the output group only when the model has a separate output matrix).
std::vector<SensitivityGroup> sensitivity_groups(const Model& model);

struct SensitivityRow {
    SensitivityGroup group;
    size_t bytes_before = 0, bytes_after = 0;
    KlResult kl;
};

struct SensitivityParams {
    SensitivityProbe probe;
    KlParams kl = kl_default_params();   // chunking of the text; its progress is not used
    CalibrationSettings calibration;     // for wanda / sparsegpt probes (text required then)
    int n_threads = 0;
    // After each group: (groups done, total, the row just measured); false cancels
    // (throws pareto::Cancelled).
    std::function<bool(int64_t, int64_t, const SensitivityRow&)> progress;
};

// Throws when the probe is empty or cannot apply (N:M not dividing a group's rows,
// Wanda on the token embedding, ...), or for a text too short for one chunk.
std::vector<SensitivityRow> sensitivity_scan(const Model& base, const std::string& text, const SensitivityParams& params);

// The rows as CSV with a header line: layer,group,tensors,change,bytes_before,
// bytes_after,kl_mean,kl_median,kl_p90,kl_p99,kl_max,same_top,ppl,base_ppl,
// delta_p_mean,delta_p_rms,positions.
std::string sensitivity_csv(const std::vector<SensitivityRow>& rows, const SensitivityProbe& probe);

}  // namespace pareto
