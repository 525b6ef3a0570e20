#include "cli/run_report.h"

#include <map>

#include "cli/commands.h"
#include "profiler/summary.h"

namespace pareto::cli {
namespace {

using prof::OpStats;
using prof::RunSummary;

void print_stats_header(std::FILE* out, const char* first) {
    std::fprintf(out, "  %-14s %10s %7s %9s %9s %8s\n", first, "ms/token", "share", "GB/s", "GFLOP/s", "calls");
}

void print_stats_row(std::FILE* out, const std::string& label, const OpStats& o, double tokens, double total_ns) {
    if (o.count == 0) return;
    std::fprintf(out, "  %-14s %10.4f %6.1f%% %9.2f %9.2f %8lld\n", label.c_str(), tokens > 0 ? o.ms() / tokens : 0.0,
                 total_ns > 0 ? 100.0 * static_cast<double>(o.total_ns) / total_ns : 0.0, o.gb_per_s(),
                 o.gflop_per_s(), static_cast<long long>(o.count));
}

void print_phase(std::FILE* out, const RunSummary& s, Phase phase, double tokens, const char* per) {
    const auto ph = static_cast<size_t>(phase);
    if (s.total[ph].count == 0) return;
    const double total = static_cast<double>(s.total[ph].total_ns);
    std::fprintf(out, "\n%s by op kind (%.0f %s):\n", std::string(phase_name(phase)).c_str(), tokens, per);
    print_stats_header(out, "op");
    for (int k = 0; k < kOpKindCount; ++k)
        print_stats_row(out, std::string(op_kind_name(static_cast<OpKind>(k))), s.by_kind[ph][size_t(k)], tokens, total);
    print_stats_row(out, "total", s.total[ph], tokens, total);
    std::fprintf(out, "\n%s by layer:\n", std::string(phase_name(phase)).c_str());
    print_stats_header(out, "layer");
    for (size_t l = 0; l < s.by_layer.size(); ++l) print_stats_row(out, std::to_string(l), s.by_layer[l][ph], tokens, total);
    print_stats_row(out, "outside", s.outside_layers[ph], tokens, total);
}

}  // namespace

void print_run_report(const prof::Run& run, std::FILE* out) {
    const prof::RunConfig& c = run.config;
    const RunSummary s = prof::summarize(run);
    std::fprintf(out, "run:     %s (%s, %s)\n", c.name.c_str(), c.kind.c_str(), c.created.c_str());
    std::fprintf(out, "model:   %s  [%s %s, %s, %.1f M params]\n", c.model_path.c_str(), c.architecture.c_str(),
                 c.model_type.c_str(), format_bytes(static_cast<double>(c.weight_bytes)).c_str(),
                 static_cast<double>(c.n_params) * 1e-6);
    if (!c.model_sha256.empty()) std::fprintf(out, "sha256:  %s\n", c.model_sha256.c_str());
    std::fprintf(out, "machine: %s, %s, %d threads\n", c.cpu_model.c_str(), c.simd.c_str(), c.threads);
    if (c.kind == "profile") {
        const prof::LatencyStats& l = s.latency;
        std::fprintf(out, "tokens:  %lld prompt, %lld generated (n_ctx %lld, n_batch %lld, seed %llu)\n",
                     static_cast<long long>(c.n_prompt), static_cast<long long>(c.n_generated),
                     static_cast<long long>(c.n_ctx), static_cast<long long>(c.n_batch),
                     static_cast<unsigned long long>(c.seed));
        std::fprintf(out, "latency: TTFT %.2f ms | TPOT mean %.2f, p50 %.2f, p90 %.2f, p99 %.2f ms\n", l.ttft_ms,
                     l.tpot_mean_ms, l.tpot_p50_ms, l.tpot_p90_ms, l.tpot_p99_ms);
        std::fprintf(out, "speed:   prefill %.2f tokens/s | decode %.2f tokens/s\n", l.prefill_tokens_per_s,
                     l.decode_tokens_per_s);
        std::fprintf(out, "ops account for %.1f %% of the tokens' wall time (least in one step: %.1f %%)\n",
                     100.0 * s.accounted, 100.0 * s.accounted_worst_step);
        print_phase(out, s, Phase::Prefill, static_cast<double>(l.n_prompt), "prompt tokens");
        print_phase(out, s, Phase::Decode, static_cast<double>(l.n_decode), "decode steps");
    }

    if (!run.memory_breakdown.empty()) {
        std::map<std::string, uint64_t> by_type;
        uint64_t weights = 0, kv = 0, scratch = 0;
        for (const prof::MemoryEntry& e : run.memory_breakdown) {
            if (e.category == prof::MemoryEntry::Category::Weights) {
                weights += e.bytes;
                by_type[e.type] += e.bytes;
            } else if (e.category == prof::MemoryEntry::Category::KvCache) {
                kv += e.bytes;
            } else {
                scratch += e.bytes;
            }
        }
        std::fprintf(out, "\nmemory:  weights %s (", format_bytes(static_cast<double>(weights)).c_str());
        bool first = true;
        for (const auto& [type, bytes] : by_type) {
            std::fprintf(out, "%s%s %s", first ? "" : ", ", type.c_str(), format_bytes(static_cast<double>(bytes)).c_str());
            first = false;
        }
        std::fprintf(out, "), KV cache %s, scratch %s", format_bytes(static_cast<double>(kv)).c_str(),
                     format_bytes(static_cast<double>(scratch)).c_str());
        if (!run.memory.empty())
            std::fprintf(out, ", RSS %s, peak %s", format_bytes(static_cast<double>(run.memory.back().rss_bytes)).c_str(),
                         format_bytes(static_cast<double>(run.memory.back().peak_rss_bytes)).c_str());
        std::fprintf(out, "\n");
    }
    if (run.accuracy) {
        const prof::AccuracyRecord& a = *run.accuracy;
        std::fprintf(out, "\naccuracy on %s (n_ctx %lld, %lld chunks): PPL = %.4f +/- %.5f\n", a.text.c_str(),
                     static_cast<long long>(a.n_ctx), static_cast<long long>(a.n_chunks), a.ppl, a.ppl_error);
        if (a.has_baseline)
            std::fprintf(out,
                         "  vs %s (PPL %.4f): KL mean %.6f +/- %.6f, median %.6f, p90 %.6f, p99 %.6f, max %.6f; "
                         "same top token %.2f %%; delta p mean %.4f %%, RMS %.4f %%\n",
                         a.base_model.c_str(), a.base_ppl, a.kl_mean, a.kl_error, a.kl_median, a.kl_p90, a.kl_p99,
                         a.kl_max, 100.0 * a.same_top_rate, 100.0 * a.delta_p_mean, 100.0 * a.delta_p_rms);
    }
}

void print_comparison(const prof::RunComparison& c, const std::string& a_label, const std::string& b_label,
                      std::FILE* out) {
    std::fprintf(out, "%s, ms per %s token: A = %s (%.0f tokens), B = %s (%.0f tokens)\n",
                 std::string(phase_name(c.phase)).c_str(), c.phase == Phase::Decode ? "generated" : "prompt",
                 a_label.c_str(), c.a_tokens, b_label.c_str(), c.b_tokens);
    auto table = [&](const char* title, const std::vector<prof::CompareRow>& rows, bool outside) {
        std::fprintf(out, "\n  %-16s %10s %10s %10s %7s\n", title, "A", "B", "B-A", "B/A");
        auto row = [&](const prof::CompareRow& r) {
            std::fprintf(out, "  %-16s %10.4f %10.4f %+10.4f %7.3f\n", r.label.c_str(), r.a_ms, r.b_ms, r.delta_ms(),
                         r.ratio());
        };
        for (const auto& r : rows) row(r);
        if (outside) row(c.outside_layers);
        row(c.total);
    };
    table("op", c.by_kind, false);
    table("layer", c.by_layer, true);
}

}  // namespace pareto::cli
