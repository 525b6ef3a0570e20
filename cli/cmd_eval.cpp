// pareto-cli eval: a model's perplexity (the PPL line of `perplexity`) and, with
// --base, how far its predictions moved from that baseline on the same chunks
// (engine/eval/kl_divergence.h, llama-perplexity's KL-divergence mode).
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/model.h"
#include "profiler/accuracy.h"
#include "profiler/trace_store.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace pareto::cli {
namespace {

struct EvalOptions {
    std::string model;
    std::string base;  // "" : perplexity only
    std::string text_file;
    int64_t n_ctx = 512;
    int64_t chunks = -1;
    int threads = 0;
    bool json = false;
    std::string trace;
    std::string name;
    bool no_hash = false;
};

void print_progress(int64_t done, int64_t total) {
    if (done == total || done % 50 == 0)
        std::fprintf(stderr, "\r[%lld/%lld] chunks", static_cast<long long>(done), static_cast<long long>(total));
}

nlohmann::ordered_json ppl_json(const PerplexityResult& r) {
    return {{"ppl", r.ppl}, {"ppl_error", r.ppl_error}, {"mean_nll", r.mean_nll}};
}

void print_json(const EvalOptions& o, const PerplexityResult& ppl, const std::optional<KlResult>& kl, double seconds) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["base"] = kl ? nlohmann::ordered_json(o.base) : nlohmann::ordered_json(nullptr);
    j["text"] = o.text_file;
    j["n_ctx"] = o.n_ctx;
    j["n_chunks"] = ppl.n_chunks;
    j["n_scored"] = ppl.n_scored;
    j["n_text_tokens"] = ppl.n_text_tokens;
    j["seconds"] = seconds;
    j["model_ppl"] = ppl_json(ppl);
    if (kl) {
        j["base_ppl"] = ppl_json(kl->base);
        j["kl_divergence"] = {{"mean", kl->kl_mean}, {"error", kl->kl_error}, {"median", kl->kl_median},
                              {"p90", kl->kl_p90},   {"p99", kl->kl_p99},     {"max", kl->kl_max}};
        j["same_top_rate"] = kl->same_top_rate;
        j["delta_p"] = {{"mean", kl->delta_p_mean}, {"rms", kl->delta_p_rms}};
    }
    std::printf("%s\n", j.dump(2).c_str());
}

void print_text(const EvalOptions& o, const PerplexityResult& ppl, const std::optional<KlResult>& kl, double seconds) {
    std::printf("model: %s\n", o.model.c_str());
    if (kl) std::printf("base: %s\n", o.base.c_str());
    std::printf("text: %s (%lld tokens)\nchunks: %lld of %lld tokens, %lld predictions scored, %.2f s\n",
                o.text_file.c_str(), static_cast<long long>(ppl.n_text_tokens), static_cast<long long>(ppl.n_chunks),
                static_cast<long long>(o.n_ctx), static_cast<long long>(ppl.n_scored), seconds);
    std::printf("%s\n", format_ppl(ppl.ppl, ppl.ppl_error).c_str());
    if (!kl) return;
    std::printf("base %s\n", format_ppl(kl->base.ppl, kl->base.ppl_error).c_str());
    std::printf("KLD mean     = %.6f +/- %.6f\n", kl->kl_mean, kl->kl_error);
    std::printf("KLD median   = %.6f\n", kl->kl_median);
    std::printf("KLD p90      = %.6f\n", kl->kl_p90);
    std::printf("KLD p99      = %.6f\n", kl->kl_p99);
    std::printf("KLD max      = %.6f\n", kl->kl_max);
    std::printf("same top     = %.3f %%\n", 100.0 * kl->same_top_rate);
    std::printf("delta p mean = %.3f %%\n", 100.0 * kl->delta_p_mean);
    std::printf("delta p RMS  = %.3f %%\n", 100.0 * kl->delta_p_rms);
}

int run_eval(const EvalOptions& o) {
    // A bad name or an unusable trace is reported before minutes of work, not after.
    if (!o.trace.empty()) prof::check_appendable(o.trace, o.name);
    else if (!o.name.empty()) prof::validate_run_name(o.name);
    const auto model = Model::load(o.model);
    const auto base = o.base.empty() ? nullptr : Model::load(o.base);
    if (base) check_same_vocabulary(*model, *base);  // before reading and tokenizing the text
    const std::string text = read_file_text(o.text_file);

    const auto t0 = std::chrono::steady_clock::now();
    PerplexityResult ppl;
    std::optional<KlResult> kl;
    if (base) {
        KlParams kp = kl_default_params();
        kp.n_ctx = o.n_ctx;
        kp.max_chunks = o.chunks;
        kp.n_threads = o.threads;
        kp.progress = [](int64_t done, int64_t total) {
            print_progress(done, total);
            return true;
        };
        kl = evaluate_against_baseline(*model, *base, text, kp);
        ppl = kl->model;
    } else {
        PerplexityParams pp = perplexity_default_params();
        pp.n_ctx = o.n_ctx;
        pp.max_chunks = o.chunks;
        pp.n_threads = o.threads;
        pp.progress = [](int64_t done, int64_t total, double) {
            print_progress(done, total);
            return true;
        };
        ppl = perplexity(*model, text, pp);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n");
    if (o.json) print_json(o, ppl, kl, seconds);
    else print_text(o, ppl, kl, seconds);
    if (!o.trace.empty()) {
        const int threads = o.threads > 0 ? o.threads : ThreadPool::hardware_threads();
        prof::Run run = prof::eval_run(*model, prof::accuracy_record(o.text_file, o.n_ctx, ppl, kl ? &*kl : nullptr, o.base),
                                       threads, !o.no_hash);
        run.config.name = o.name;
        const std::string name = prof::append_run(o.trace, run);
        std::fprintf(o.json ? stderr : stdout, "run '%s' appended to %s\n", name.c_str(), o.trace.c_str());
    }
    return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
    auto o = std::make_shared<EvalOptions>();
    CLI::App* sub = app.add_subcommand("eval", "Perplexity, and KL divergence against a baseline model");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    sub->add_option("--base", o->base, "Baseline model (GGUF) to compare against, e.g. the uncompressed one");
    sub->add_option("-f,--file", o->text_file, "Text file")->required();
    sub->add_option("-c,--ctx-size", o->n_ctx, "Tokens per chunk")->capture_default_str();
    sub->add_option("--chunks", o->chunks, "Evaluate at most N chunks (default: all)");
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_flag("--json", o->json, "Print the results as JSON");
    sub->add_option("--trace", o->trace, "Append the results to this HDF5 trace as a run of kind eval");
    sub->add_option("--name", o->name, "Name of the run in the trace (default: run-N)");
    sub->add_flag("--no-hash", o->no_hash, "Do not compute the model's SHA-256");
    return [o] { return run_eval(*o); };
}

}  // namespace pareto::cli
