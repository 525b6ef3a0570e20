// pareto-cli compress: apply a compression plan (or a preset, with shortcuts) to a
// model and write the result as GGUF.
#include <chrono>
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "cli/commands.h"
#include "compress/compressor.h"
#include "compress/export.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct CompressCliOptions {
    std::string model;
    std::string plan_file;
    std::string preset;
    std::string method;
    bool importance = false;
    bool act_order = false;
    std::string prune;
    double ffn_channels = 0;
    double attn_heads = 0;
    std::string calib;
    int64_t calib_samples = 0;
    int64_t calib_ctx = 0;
    std::string output;
    bool print_plan = false;
    bool verbose = false;
    int threads = 0;
};

// A one-line bar, redrawn in place; only on a terminal.
class ProgressBar {
public:
    ProgressBar() : tty_(::isatty(STDERR_FILENO) != 0) {}
    ~ProgressBar() { clear(); }
    bool operator()(const CompressProgress& p) {
        if (!tty_ || p.total <= 0) return true;
        const int width = 30;
        const int filled = static_cast<int>(width * p.done / p.total);
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r%-10.10s [%s] %4lld/%-4lld %-32.32s", std::string(p.stage).c_str(), bar.c_str(),
                     static_cast<long long>(p.done), static_cast<long long>(p.total), std::string(p.detail).c_str());
        std::fflush(stderr);
        drawn_ = true;
        return true;
    }
    void clear() {
        if (drawn_) std::fprintf(stderr, "\r%90s\r", "");
        drawn_ = false;
    }

private:
    bool tty_;
    bool drawn_ = false;
};

int run_compress(const CompressCliOptions& o) {
    if (o.plan_file.empty() == o.preset.empty()) fail("give a plan (--plan PLAN.json) or a preset (--preset NAME), not both");
    if (o.output.empty() && !o.print_plan) fail("no output file: give one with -o OUT.gguf");
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const auto base = Model::load(o.model);

    CompressionPlan plan = o.preset.empty() ? load_plan(o.plan_file) : preset_plan(o.preset, base->config());
    if (!o.method.empty()) plan.method = o.method == "gptq" ? QuantMethod::Gptq : QuantMethod::Rtn;
    if (o.importance) plan.importance = true;
    if (o.act_order) plan.gptq.act_order = true;
    if (!o.prune.empty()) plan.prune.insert(plan.prune.begin(), parse_prune_option(o.prune));
    if (o.ffn_channels > 0) plan.structured.ffn_fraction = o.ffn_channels;
    if (o.attn_heads > 0) plan.structured.head_fraction = o.attn_heads;
    if (!o.calib.empty()) plan.calibration.text = o.calib;
    if (o.calib_samples > 0) plan.calibration.samples = o.calib_samples;
    if (o.calib_ctx > 0) plan.calibration.ctx = o.calib_ctx;
    if (o.print_plan) {
        std::fputs(plan_to_json(plan).c_str(), stdout);
        return 0;
    }

    if (plan.structured.head_fraction > 0) {
        // Fail before the work when the result could not be written.
        ModelConfig smaller = base->config();
        smaller.n_head -= smaller.n_head / smaller.n_head_kv;  // at least one KV group goes
        if (auto why = gguf_shape_problem(smaller)) fail(o.model + ": cannot remove attention heads: " + *why);
    }
    ProgressBar bar;
    CompressOptions co;
    co.n_threads = o.threads;
    co.progress = [&](const CompressProgress& p) { return bar(p); };
    const CompressResult r = compress_model(*base, plan, co);
    write_model_gguf(*r.model, o.output, r.file_type);
    bar.clear();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();

    for (const std::string& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    const ModelConfig& c = r.model->config();
    std::printf("wrote:       %s (file_type %u) in %.2f s\n", o.output.c_str(), r.file_type, secs);
    std::printf("plan:        %s%s%s, method %s%s\n", plan.name.empty() ? o.plan_file.c_str() : plan.name.c_str(),
                plan.description.empty() ? "" : ": ", plan.description.c_str(),
                std::string(quant_method_name(plan.method)).c_str(), plan.importance ? " + importance" : "");
    std::printf("weights:     %s -> %s (%.2fx smaller)\n", format_bytes(static_cast<double>(r.bytes_before)).c_str(),
                format_bytes(static_cast<double>(r.bytes_after)).c_str(),
                r.bytes_after ? static_cast<double>(r.bytes_before) / static_cast<double>(r.bytes_after) : 0.0);
    if (plan.structured.any())
        std::printf("structure:   n_ff %lld -> %lld, heads %lld -> %lld (KV %lld -> %lld)\n",
                    static_cast<long long>(base->config().n_ff), static_cast<long long>(c.n_ff),
                    static_cast<long long>(base->config().n_head), static_cast<long long>(c.n_head),
                    static_cast<long long>(base->config().n_head_kv), static_cast<long long>(c.n_head_kv));
    if (r.calibration_passes > 0)
        std::printf("calibration: %lld passes of %lld samples x %lld tokens from %s\n",
                    static_cast<long long>(r.calibration_passes), static_cast<long long>(plan.calibration.samples),
                    static_cast<long long>(plan.calibration.ctx), plan.calibration.text.c_str());
    std::map<std::string, int> hows;
    for (const TensorReport& t : r.tensors) ++hows[std::string(dtype_name(t.to)) + " " + t.how];
    std::string summary;
    for (const auto& [how, n] : hows) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + how;
    std::printf("matrices:    %s\n", summary.c_str());
    if (o.verbose) {
        std::printf("\n%-28s %-6s %-6s %-26s %8s %10s %10s %9s\n", "tensor", "from", "to", "how", "sparsity", "bytes",
                    "before", "out err");
        for (const TensorReport& t : r.tensors) {
            std::printf("%-28s %-6s %-6s %-26s %7.1f%% %10zu %10zu ", t.name.c_str(), std::string(dtype_name(t.from)).c_str(),
                        std::string(dtype_name(t.to)).c_str(), t.how.c_str(), 100 * t.sparsity, t.bytes_after, t.bytes_before);
            if (t.output_error >= 0) std::printf("%9.5f\n", t.output_error);
            else std::printf("%9s\n", "-");
        }
    }
    return 0;
}

}  // namespace

Command add_compress(CLI::App& app) {
    auto o = std::make_shared<CompressCliOptions>();
    CLI::App* sub = app.add_subcommand("compress", "Quantize and prune a model by a plan or preset; write GGUF");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)")->required();
    std::string presets;
    for (auto p : preset_names()) presets += (presets.empty() ? "" : ", ") + std::string(p);
    sub->add_option("--plan", o->plan_file, "Compression plan (JSON, see docs/compression-plan.md)");
    sub->add_option("--preset", o->preset, "A built-in plan: " + presets);
    sub->add_option("--method", o->method, "Quantization method for every quantized matrix")
        ->check(CLI::IsMember({"rtn", "gptq"}));
    sub->add_flag("--importance", o->importance, "RTN: weight rounding errors by calibration activations (imatrix-like)");
    sub->add_flag("--act-order", o->act_order, "GPTQ: quantize columns in order of decreasing activation");
    sub->add_option("--prune", o->prune, "Prune every block matrix: METHOD:SPARSITY (wanda:0.5) or METHOD:N:M (sparsegpt:2:4)");
    sub->add_option("--ffn-channels", o->ffn_channels, "Structured: fraction of FFN channels to remove from every layer")
        ->check(CLI::Range(0.0, 0.99));
    sub->add_option("--attn-heads", o->attn_heads, "Structured: fraction of KV head groups to remove from every layer")
        ->check(CLI::Range(0.0, 0.99));
    sub->add_option("--calib", o->calib, "Calibration text (for gptq, importance, wanda, sparsegpt)");
    sub->add_option("--calib-samples", o->calib_samples, "Calibration samples (default: the plan's, 64)")->check(CLI::Range(1, 1 << 20));
    sub->add_option("--calib-ctx", o->calib_ctx, "Tokens per calibration sample (default: the plan's, 256)")->check(CLI::Range(2, 1 << 20));
    sub->add_option("-o,--output", o->output, "Output file (GGUF)");
    sub->add_flag("--print-plan", o->print_plan, "Print the plan (after the shortcuts) as JSON and stop");
    sub->add_flag("-v,--verbose", o->verbose, "List every matrix: types, method, sparsity, bytes, output error");
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    return [o] { return run_compress(*o); };
}

}  // namespace pareto::cli
