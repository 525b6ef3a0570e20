// pareto-cli run: stream a prompt and its continuation to stdout; timings to stderr.
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "cli/commands.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct RunOptions {
    std::string model;
    std::string prompt;
    int32_t n_predict = 128;
    int threads = 0;
    int64_t n_ctx = 0;
    SamplerParams sampler = sampler_default_params();
    std::optional<uint64_t> seed;
};

int run_run(RunOptions o) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const auto model = Model::load(o.model);
    SessionParams sp = session_default_params();
    sp.n_threads = o.threads;
    sp.n_ctx = o.n_ctx;
    Session session(*model, sp);
    const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

    const Tokenizer& tok = model->tokenizer();
    TokenizeOptions topt;
    topt.add_bos = tok.add_bos_default();
    const auto prompt = tok.encode(o.prompt, topt);
    if (prompt.empty()) fail("the prompt is empty: give some text with -p");

    // A run is reproducible from its log: the seed used is always printed.
    o.sampler.seed = o.seed ? *o.seed : std::random_device{}();

    std::fputs(tok.decode(prompt).c_str(), stdout);
    std::fflush(stdout);
    GenerateParams gp = generate_default_params();
    gp.n_predict = o.n_predict;
    gp.sampler = o.sampler;
    const GenerateStats st = generate(session, prompt, gp, [&](TokenId id) {
        const std::string piece = tok.token_to_piece(id);
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
    });
    std::fputc('\n', stdout);
    std::fflush(stdout);

    const char* stop = st.stop == StopReason::EndOfGeneration ? "end of generation"
                       : st.stop == StopReason::ContextFull   ? "context full"
                                                              : "length";
    std::fprintf(stderr, "\nload:    %9.2f ms  (%s, %d threads, n_ctx %lld, seed %llu)\n", load_ms,
                 model->path().c_str(), session.pool().size(), static_cast<long long>(session.n_ctx()),
                 static_cast<unsigned long long>(o.sampler.seed));
    std::fprintf(stderr, "prompt:  %9.2f ms  %5lld tokens  %9.2f tokens/s\n", st.prompt_ms,
                 static_cast<long long>(st.n_prompt), st.prompt_tokens_per_s());
    std::fprintf(stderr, "ttft:    %9.2f ms\n", st.ttft_ms);
    std::fprintf(stderr, "decode:  %9.2f ms  %5lld tokens  %9.2f tokens/s  (stopped: %s)\n", st.decode_ms,
                 static_cast<long long>(st.n_generated), st.decode_tokens_per_s(), stop);
    return 0;
}

}  // namespace

Command add_run(CLI::App& app) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* sub = app.add_subcommand("run", "Generate a continuation of a prompt");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    sub->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
    sub->add_option("-n,--n-predict", o->n_predict, "Tokens to generate (-1: until end of text)")->capture_default_str();
    sub->add_option("--temp", o->sampler.temperature, "Temperature; 0 is greedy")->capture_default_str();
    sub->add_option("--top-k", o->sampler.top_k, "Keep the K most likely tokens (0: off)")->capture_default_str();
    sub->add_option("--top-p", o->sampler.top_p, "Keep the smallest set with probability >= P (1: off)")->capture_default_str();
    sub->add_option("--min-p", o->sampler.min_p, "Drop tokens below P times the best one's probability (0: off)")->capture_default_str();
    sub->add_option("--repeat-penalty", o->sampler.repeat_penalty, "Penalty for recent tokens (1: off)")->capture_default_str();
    sub->add_option("--repeat-last-n", o->sampler.repeat_last_n, "Window of the repeat penalty")->capture_default_str();
    sub->add_option("--seed", o->seed, "Sampling seed (default: random, printed)");
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_option("-c,--ctx-size", o->n_ctx, "Context length (0: the model's, at most 4096)")->capture_default_str();
    return [o] { return run_run(*o); };
}

}  // namespace pareto::cli
