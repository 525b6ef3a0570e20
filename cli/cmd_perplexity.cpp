// pareto-cli perplexity: llama.cpp's method (see engine/eval/perplexity.h), ending
// with the line "PPL = X +/- Y".
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "eval/perplexity.h"
#include "model/model.h"

namespace pareto::cli {
namespace {

struct PerplexityOptions {
    std::string model;
    std::string text_file;
    int64_t n_ctx = 512;
    int64_t chunks = -1;
    int threads = 0;
};

int run_perplexity(const PerplexityOptions& o) {
    const auto model = Model::load(o.model);
    const std::string text = read_file_text(o.text_file);
    PerplexityParams pp = perplexity_default_params();
    pp.n_ctx = o.n_ctx;
    pp.max_chunks = o.chunks;
    pp.n_threads = o.threads;
    const auto t0 = std::chrono::steady_clock::now();
    pp.progress = [&](int64_t done, int64_t total, double ppl) {
        if (done == total || done % 50 == 0)
            std::fprintf(stderr, "\r[%lld/%lld] PPL %.4f", static_cast<long long>(done), static_cast<long long>(total), ppl);
        return true;
    };
    const PerplexityResult r = perplexity(*model, text, pp);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n");
    std::printf("model: %s\ntext: %s (%lld tokens)\nchunks: %lld of %lld tokens, %lld predictions scored, %.2f s\n",
                model->path().c_str(), o.text_file.c_str(), static_cast<long long>(r.n_text_tokens),
                static_cast<long long>(r.n_chunks), static_cast<long long>(o.n_ctx),
                static_cast<long long>(r.n_scored), s);
    std::printf("%s\n", format_ppl(r.ppl, r.ppl_error).c_str());
    return 0;
}

}  // namespace

Command add_perplexity(CLI::App& app) {
    auto o = std::make_shared<PerplexityOptions>();
    CLI::App* sub = app.add_subcommand("perplexity", "Perplexity of a model over a text file");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    sub->add_option("-f,--file", o->text_file, "Text file")->required();
    sub->add_option("-c,--ctx-size", o->n_ctx, "Tokens per chunk")->capture_default_str();
    sub->add_option("--chunks", o->chunks, "Evaluate at most N chunks (default: all)");
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    return [o] { return run_perplexity(*o); };
}

}  // namespace pareto::cli
