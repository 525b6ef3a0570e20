#include "profiler/accuracy.h"

#include "profiler/profile.h"

namespace pareto::prof {

AccuracyRecord accuracy_record(const std::string& text_path, int64_t n_ctx, const PerplexityResult& ppl,
                               const KlResult* kl, const std::string& base_model) {
    AccuracyRecord a;
    a.text = text_path;
    a.n_ctx = n_ctx;
    a.n_chunks = ppl.n_chunks;
    a.n_scored = ppl.n_scored;
    a.ppl = ppl.ppl;
    a.ppl_error = ppl.ppl_error;
    if (!kl) return a;
    a.has_baseline = true;
    a.base_model = base_model;
    a.base_ppl = kl->base.ppl;
    a.base_ppl_error = kl->base.ppl_error;
    a.kl_mean = kl->kl_mean;
    a.kl_error = kl->kl_error;
    a.kl_median = kl->kl_median;
    a.kl_p90 = kl->kl_p90;
    a.kl_p99 = kl->kl_p99;
    a.kl_max = kl->kl_max;
    a.same_top_rate = kl->same_top_rate;
    a.delta_p_mean = kl->delta_p_mean;
    a.delta_p_rms = kl->delta_p_rms;
    return a;
}

Run eval_run(const Model& model, AccuracyRecord accuracy, int threads, bool hash_model) {
    Run run;
    run.config = describe_model_and_machine(model, hash_model);
    run.config.kind = "eval";
    run.config.threads = threads;
    run.config.n_ctx = accuracy.n_ctx;
    run.accuracy = std::move(accuracy);
    return run;
}

}  // namespace pareto::prof
