#pragma once
// Accuracy measurements as runs of a trace: an evaluation over a text (PPL, and KL
// divergence against a baseline) becomes a run of kind "eval" whose accuracy
// record the Runs page plots against size and speed.
#include <optional>
#include <string>

#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/model.h"
#include "profiler/run.h"

namespace pareto::prof {

// `kl` and `base_model` only when the model was compared with a baseline.
AccuracyRecord accuracy_record(const std::string& text_path, int64_t n_ctx, const PerplexityResult& ppl,
                               const KlResult* kl, const std::string& base_model);

// A run of kind "eval": the model, the machine, and the accuracy record.
Run eval_run(const Model& model, AccuracyRecord accuracy, int threads, bool hash_model);

}  // namespace pareto::prof
