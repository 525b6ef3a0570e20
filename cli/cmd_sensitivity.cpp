// pareto-cli sensitivity: compress one layer's tensor group at a time and report the
// KL divergence from the uncompressed model each one causes (the per-layer
// sensitivity table the GUI shows as a heat map).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "cli/commands.h"
#include "compress/sensitivity.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct SensitivityCliOptions {
    std::string model;
    std::string text_file;
    std::string type;
    std::string prune;
    std::string output;
    std::string calib;
    int64_t calib_samples = 32;
    int64_t n_ctx = 128;
    int64_t chunks = 32;
    int threads = 0;
};

int run_sensitivity(const SensitivityCliOptions& o) {
    if (o.type.empty() == o.prune.empty()) fail("give one change to measure: --type TYPE or --prune METHOD:SPARSITY");
    SensitivityParams sp;
    if (!o.type.empty()) {
        const auto t = parse_type_choice(o.type);
        if (!t || t->keep) fail("--type " + o.type + ": not a type Pareto can write (" + writable_type_names() + ")");
        sp.probe.type = *t;
    } else {
        sp.probe.prune = parse_prune_option(o.prune);
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto model = Model::load(o.model);
    const std::string text = read_file_text(o.text_file);
    sp.kl.n_ctx = o.n_ctx;
    sp.kl.max_chunks = o.chunks;
    sp.n_threads = o.threads;
    sp.calibration.text = o.calib;
    sp.calibration.samples = o.calib_samples;
    sp.calibration.ctx = o.n_ctx;
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    sp.progress = [&](int64_t done, int64_t total, const SensitivityRow& r) {
        if (tty)
            std::fprintf(stderr, "\rsensitivity: %lld/%lld %-24s", static_cast<long long>(done), static_cast<long long>(total),
                         (r.group.layer >= 0 ? "blk." + std::to_string(r.group.layer) + "." + r.group.name : r.group.name).c_str());
        return true;
    };
    const std::vector<SensitivityRow> rows = sensitivity_scan(*model, text, sp);
    if (tty) std::fprintf(stderr, "\r%60s\r", "");
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const double base_ppl = rows.empty() ? 0 : rows.front().kl.base.ppl;
    std::printf("model:   %s\nchange:  %s, one group at a time\ntext:    %s (%lld chunks of %lld tokens, %lld positions compared per group)\n",
                model->path().c_str(), sp.probe.describe().c_str(), o.text_file.c_str(),
                static_cast<long long>(rows.empty() ? 0 : rows.front().kl.model.n_chunks), static_cast<long long>(o.n_ctx),
                static_cast<long long>(rows.empty() ? 0 : rows.front().kl.n_scored));
    std::printf("\n%-6s %-11s %10s %10s %10s %10s %10s %9s %9s\n", "layer", "group", "bytes", "after", "KL mean", "KL p99",
                "KL max", "same top", "PPL");
    for (const SensitivityRow& r : rows)
        std::printf("%-6s %-11s %10s %10s %10.6f %10.6f %10.6f %8.2f%% %9.4f\n",
                    r.group.layer >= 0 ? std::to_string(r.group.layer).c_str() : "-", r.group.name.c_str(),
                    format_bytes(static_cast<double>(r.bytes_before)).c_str(), format_bytes(static_cast<double>(r.bytes_after)).c_str(),
                    r.kl.kl_mean, r.kl.kl_p99, r.kl.kl_max, 100 * r.kl.same_top_rate, r.kl.model.ppl);
    std::printf("\nbase PPL %.4f; %zu groups in %.2f s\n", base_ppl, rows.size(), secs);
    if (!o.output.empty()) {
        std::ofstream out(o.output, std::ios::binary);
        out << sensitivity_csv(rows, sp.probe);
        if (!out) fail(o.output + ": cannot write");
        std::printf("wrote:   %s\n", o.output.c_str());
    }
    return 0;
}

}  // namespace

Command add_sensitivity(CLI::App& app) {
    auto o = std::make_shared<SensitivityCliOptions>();
    CLI::App* sub = app.add_subcommand("sensitivity", "KL divergence caused by compressing each layer's attention / FFN alone");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    sub->add_option("-f,--file", o->text_file, "Text the models are compared on")->required();
    sub->add_option("--type", o->type, "Quantize each group to this type (RTN), e.g. Q4_0");
    sub->add_option("--prune", o->prune, "Prune each group: METHOD:SPARSITY (wanda:0.5) or METHOD:N:M (sparsegpt:2:4)");
    sub->add_option("-o,--output", o->output, "Also write the table as CSV");
    sub->add_option("-c,--ctx-size", o->n_ctx, "Tokens per chunk")->capture_default_str()->check(CLI::Range(8, 1 << 20));
    sub->add_option("--chunks", o->chunks, "Chunks of the text per group (-1: all)")->capture_default_str();
    sub->add_option("--calib", o->calib, "Calibration text, for wanda and sparsegpt");
    sub->add_option("--calib-samples", o->calib_samples, "Calibration samples (of CTX tokens)")->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    return [o] { return run_sensitivity(*o); };
}

}  // namespace pareto::cli
