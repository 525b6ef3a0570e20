// pareto-cli synth: a model with a real architecture's shapes and random weights,
// for speed and memory work without the real weights.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/commands.h"
#include "model/synth.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct SynthCliOptions {
    std::string arch;
    SynthOptions synth;
    std::string output;
    bool list = false;
};

void list_presets() {
    std::printf("%-22s %-6s %6s %6s %6s %4s %4s %6s %7s %8s %10s %s\n", "preset", "arch", "hidden", "layers", "ffn",
                "head", "kv", "hd", "vocab", "ctx", "rope theta", "output");
    for (const SynthPreset& p : synth_presets())
        std::printf("%-22s %-6s %6lld %6lld %6lld %4lld %4lld %6lld %7lld %8lld %10g %s  (%s)\n",
                    std::string(p.name).c_str(), arch_name(p.arch), static_cast<long long>(p.n_embd),
                    static_cast<long long>(p.n_layer), static_cast<long long>(p.n_ff), static_cast<long long>(p.n_head),
                    static_cast<long long>(p.n_head_kv), static_cast<long long>(p.head_dim),
                    static_cast<long long>(p.n_vocab), static_cast<long long>(p.n_ctx_train), p.rope_theta,
                    p.tied_output ? "tied" : "separate", std::string(p.description).c_str());
    std::printf("\ntypes: %s\n", synth_type_names().c_str());
}

// Refuses early, before minutes of generation, when the output cannot fit.
void check_free_space(const std::string& path, uint64_t bytes) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    struct statvfs st {};
    // A missing folder, or a file system that reports no sizes (/proc), is left for
    // the write itself to report.
    if (::statvfs(dir.c_str(), &st) != 0 || st.f_blocks == 0) return;
    const uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    if (free_bytes < bytes + (uint64_t{64} << 20))
        fail(path + ": not enough free space (" + format_bytes(static_cast<double>(bytes)) + " needed, " +
             format_bytes(static_cast<double>(free_bytes)) + " free in " + dir.string() + ")");
}

int run_synth(SynthCliOptions o) {
    if (o.list) {
        list_presets();
        return 0;
    }
    if (o.output.empty()) fail("no output file: give one with -o OUT.gguf");
    if (!o.arch.empty()) o.synth.arch = o.arch == "llama" ? Arch::Llama : Arch::Qwen2;

    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    ModelSynthesizer synth(o.synth);
    const SynthSummary& s = synth.summary();
    check_free_space(o.output, s.file_bytes);

    // Progress on a terminal only; logs and pipes get the summary alone.
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    int last_pct = -1;
    synth.write(o.output, [&](const SynthProgress& p) {
        if (!tty || p.bytes_total == 0) return;
        const int pct = static_cast<int>(100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total));
        if (pct == last_pct) return;
        last_pct = pct;
        std::fprintf(stderr, "\rsynth: %3d%%  %-40.40s", pct, std::string(p.tensor).c_str());
        std::fflush(stderr);
    });
    if (tty && last_pct >= 0) std::fprintf(stderr, "\r%60s\r", "");
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();

    const ModelConfig& c = s.config;
    const SynthPreset& p = find_synth_preset(o.synth.preset);
    std::printf("wrote:      %s (%s in %.2f s)\n", o.output.c_str(), format_bytes(static_cast<double>(s.file_bytes)).c_str(),
                secs);
    std::printf("model:      %s, preset %s (%s shapes)%s\n", c.arch_name.c_str(), std::string(p.name).c_str(),
                std::string(p.description).c_str(), c.n_layer != p.n_layer ? ", layer count overridden" : "");
    std::printf("shapes:     %lld layers, hidden %lld, ffn %lld, heads %lld (KV %lld, head dim %lld), vocab %lld, "
                "context %lld, %s output%s\n",
                static_cast<long long>(c.n_layer), static_cast<long long>(c.n_embd), static_cast<long long>(c.n_ff),
                static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv), static_cast<long long>(c.head_dim),
                static_cast<long long>(c.n_vocab), static_cast<long long>(c.n_ctx_train),
                c.tied_output ? "tied" : "separate", c.has_qkv_bias ? ", QKV biases" : "");
    std::printf("params:     %.2f M, %s of weights (%.2f bits per weight)\n", static_cast<double>(s.n_params) / 1e6,
                format_bytes(static_cast<double>(s.weight_bytes)).c_str(),
                s.n_params ? 8.0 * static_cast<double>(s.weight_bytes) / static_cast<double>(s.n_params) : 0.0);
    std::string types;
    for (const auto& [name, count] : s.tensors_by_type) types += (types.empty() ? "" : ", ") + std::to_string(count) + " " + name;
    std::printf("type:       %s (file_type %u): %zu tensors: %s\n", s.type.name.c_str(), s.type.file_type,
                s.tensors.size(), types.c_str());
    if (!s.fallbacks.empty())
        std::printf("fallback:   %zu tensors have rows that are not whole blocks, e.g. %s\n", s.fallbacks.size(),
                    s.fallbacks.front().c_str());
    std::printf("tokenizer:  %s\n", s.tokenizer.c_str());
    std::printf("seed:       %llu\n", static_cast<unsigned long long>(o.synth.seed));
    return 0;
}

}  // namespace

Command add_synth(CLI::App& app) {
    auto o = std::make_shared<SynthCliOptions>();
    CLI::App* sub = app.add_subcommand("synth", "Write a model with a real architecture's shapes and random weights");
    sub->add_option("--preset", o->synth.preset, "Shapes to copy (see --list)")->capture_default_str();
    sub->add_option("--arch", o->arch, "Architecture (default: the preset's)")->check(CLI::IsMember({"llama", "qwen2"}));
    sub->add_option("--type", o->synth.type, "Weight type: " + synth_type_names())->capture_default_str();
    sub->add_option("--seed", o->synth.seed, "Seed of the random weights")->capture_default_str();
    sub->add_option("--tokenizer", o->synth.tokenizer,
                    "A GGUF file to copy the vocabulary from, or a folder with vocab.json + merges.txt "
                    "(default: a built-in byte-level BPE)");
    sub->add_option("--tokenizer-pre", o->synth.tokenizer_pre,
                    "Pre-tokenizer of a vocab.json folder (default: guessed, e.g. qwen2, llama-bpe)");
    sub->add_option("--layers", o->synth.n_layer, "Layer count (default: the preset's)")->check(CLI::Range(1, 4096));
    sub->add_option("--name", o->synth.name, "general.name (default: synth PRESET)");
    sub->add_option("-t,--threads", o->synth.n_threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_option("-o,--output", o->output, "Output file (GGUF)");
    sub->add_flag("--list", o->list, "List the presets and types");
    return [o] { return run_synth(*o); };
}

}  // namespace pareto::cli
