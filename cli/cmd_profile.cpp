// pareto-cli profile: generate from a prompt with every op timed; print where the
// time and bytes went, and append the run to an HDF5 trace.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/run_report.h"
#include "model/model.h"
#include "profiler/profile.h"
#include "profiler/trace_store.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct ProfileOptions {
    std::string model;
    std::string prompt;
    int32_t n_predict = 64;
    int threads = 0;
    int64_t n_ctx = 0;
    int64_t n_batch = 512;
    std::string trace;
    std::string name;
    std::string plan_file;
    float temperature = 0.0f;
    uint64_t seed = 0x5eed;
    bool no_hash = false;
    bool quiet = false;
    bool show_text = false;
};

int run_profile(const ProfileOptions& o) {
    // A bad name or an unusable trace is reported before minutes of work, not after.
    if (!o.trace.empty()) prof::check_appendable(o.trace, o.name);
    else if (!o.name.empty()) prof::validate_run_name(o.name);
    const auto model = Model::load(o.model);
    prof::ProfileParams pp = prof::profile_default_params();
    pp.prompt = o.prompt;
    pp.name = o.name;
    pp.n_threads = o.threads;
    pp.n_ctx = o.n_ctx;
    pp.n_batch = o.n_batch;
    pp.hash_model = !o.no_hash;
    pp.generate.n_predict = o.n_predict;
    pp.generate.sampler.temperature = o.temperature;
    pp.generate.sampler.seed = o.seed;
    if (!o.plan_file.empty()) pp.compression_plan = read_file_text(o.plan_file);
    const Tokenizer& tok = model->tokenizer();
    if (o.show_text)
        pp.on_token = [&](TokenId id) {
            const std::string piece = tok.token_to_piece(id);
            std::fwrite(piece.data(), 1, piece.size(), stderr);
            return true;
        };
    prof::Run run = prof::profile_generation(*model, pp);
    if (o.show_text) std::fputc('\n', stderr);
    double append_ms = 0;
    if (!o.trace.empty()) {
        const auto t0 = std::chrono::steady_clock::now();
        run.config.name = prof::append_run(o.trace, run);
        append_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    } else if (run.config.name.empty()) {
        run.config.name = "(not saved)";
    }
    if (!o.quiet) print_run_report(run, stdout);
    if (!o.trace.empty())
        std::printf("\nrun '%s' appended to %s (%zu ops, %.0f ms)\n", run.config.name.c_str(), o.trace.c_str(),
                    run.ops.size(), append_ms);
    return 0;
}

}  // namespace

Command add_profile(CLI::App& app) {
    auto o = std::make_shared<ProfileOptions>();
    CLI::App* sub = app.add_subcommand("profile", "Generate with every op timed; per-op and per-layer tables, HDF5 trace");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    sub->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
    sub->add_option("-n,--n-predict", o->n_predict, "Tokens to generate")->capture_default_str()->check(CLI::Range(0, 1 << 20));
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_option("-c,--ctx-size", o->n_ctx, "KV cache length (0: prompt + n-predict)")->capture_default_str();
    sub->add_option("-b,--batch-size", o->n_batch, "Prompt tokens per forward pass")->capture_default_str();
    sub->add_option("--trace", o->trace, "Append the run to this HDF5 trace file (created if missing)");
    sub->add_option("--name", o->name, "Name of the run in the trace (default: run-N)");
    sub->add_option("--plan", o->plan_file, "Compression plan (JSON) that produced the model, recorded with the run");
    sub->add_option("--temp", o->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
    sub->add_option("--seed", o->seed, "Sampling seed")->capture_default_str();
    sub->add_flag("--no-hash", o->no_hash, "Do not compute the model's SHA-256");
    sub->add_flag("-q,--quiet", o->quiet, "Print no tables");
    sub->add_flag("--show-text", o->show_text, "Stream the generated text to stderr");
    return [o] { return run_profile(*o); };
}

}  // namespace pareto::cli
