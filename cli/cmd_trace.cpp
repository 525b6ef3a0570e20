// pareto-cli trace: list, show, export and compare the runs of HDF5 trace files.
#include <cstdio>
#include <memory>
#include <vector>

#include "cli/commands.h"
#include "cli/run_report.h"
#include "profiler/compare.h"
#include "profiler/export.h"
#include "profiler/trace_store.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct TraceOptions {
    std::string file;
    std::string run;
    std::string chrome_out;
    std::string csv_out;
    std::vector<std::string> compare_args;  // FILE RUN_A [FILE_B] RUN_B
    std::string phase = "decode";
};

int run_list(const TraceOptions& o) {
    const prof::TraceFile f = prof::TraceFile::open(o.file);
    const auto runs = f.runs();
    std::printf("%s: %zu run%s (schema %d)\n", o.file.c_str(), runs.size(), runs.size() == 1 ? "" : "s",
                f.schema_version());
    if (runs.empty()) return 0;
    std::printf("%-20s %-8s %-20s %-8s %10s %7s %7s %9s %9s %9s\n", "name", "kind", "created", "type", "size",
                "prompt", "gen", "TTFT ms", "decode/s", "PPL");
    for (const prof::RunHeader& h : runs) {
        const prof::RunConfig& c = h.config;
        char ppl[32] = "-";
        if (h.accuracy) std::snprintf(ppl, sizeof ppl, "%.4f", h.accuracy->ppl);
        std::printf("%-20s %-8s %-20s %-8s %10s %7lld %7lld %9.2f %9.2f %9s\n", c.name.c_str(), c.kind.c_str(),
                    c.created.c_str(), c.model_type.c_str(), format_bytes(static_cast<double>(c.weight_bytes)).c_str(),
                    static_cast<long long>(c.n_prompt), static_cast<long long>(c.n_generated), h.latency.ttft_ms,
                    h.latency.decode_tokens_per_s, ppl);
    }
    return 0;
}

int run_show(const TraceOptions& o) {
    const prof::Run run = prof::TraceFile::open(o.file).read_run(o.run);
    print_run_report(run, stdout);
    return 0;
}

int run_export(const TraceOptions& o) {
    if (o.chrome_out.empty() && o.csv_out.empty()) fail("nothing to export: give --chrome OUT.json and/or --csv OUT.csv");
    const prof::Run run = prof::TraceFile::open(o.file).read_run(o.run);
    if (!o.chrome_out.empty()) {
        prof::export_chrome_trace(run, o.chrome_out);
        std::printf("wrote %s (%zu ops; open it in Perfetto or chrome://tracing)\n", o.chrome_out.c_str(), run.ops.size());
    }
    if (!o.csv_out.empty()) {
        prof::export_ops_csv(run, o.csv_out);
        std::printf("wrote %s (%zu ops)\n", o.csv_out.c_str(), run.ops.size());
    }
    return 0;
}

int run_compare(const TraceOptions& o) {
    const auto& a = o.compare_args;
    if (a.size() != 3 && a.size() != 4) fail("trace compare takes FILE RUN_A [FILE_B] RUN_B");
    Phase phase;
    if (o.phase == "decode") phase = Phase::Decode;
    else if (o.phase == "prefill") phase = Phase::Prefill;
    else fail("--phase must be decode or prefill, not '" + o.phase + "'");
    const std::string& file_b = a.size() == 4 ? a[2] : a[0];
    const std::string& run_b = a.back();
    const prof::Run ra = prof::TraceFile::open(a[0]).read_run(a[1]);
    const prof::Run rb = prof::TraceFile::open(file_b).read_run(run_b);
    print_comparison(prof::compare_runs(ra, rb, phase), a[1], a.size() == 4 ? file_b + ":" + run_b : run_b, stdout);
    return 0;
}

}  // namespace

Command add_trace(CLI::App& app) {
    auto o = std::make_shared<TraceOptions>();
    CLI::App* sub = app.add_subcommand("trace", "List, show, export and compare the runs of HDF5 traces");
    sub->require_subcommand(1);
    CLI::App* list = sub->add_subcommand("list", "The runs of a trace file");
    list->add_option("file", o->file, "Trace file (.h5)")->required();
    CLI::App* show = sub->add_subcommand("show", "A run's tables: per op kind, per layer, latency, memory, accuracy");
    show->add_option("file", o->file, "Trace file (.h5)")->required();
    show->add_option("run", o->run, "Run name")->required();
    CLI::App* exp = sub->add_subcommand("export", "A run as Chrome trace JSON (Perfetto) and/or CSV");
    exp->add_option("file", o->file, "Trace file (.h5)")->required();
    exp->add_option("run", o->run, "Run name")->required();
    exp->add_option("--chrome", o->chrome_out, "Chrome trace-event JSON output");
    exp->add_option("--csv", o->csv_out, "CSV output (one row per op)");
    CLI::App* cmp = sub->add_subcommand("compare", "Two runs per op kind and per layer: times, delta, ratio");
    cmp->add_option("args", o->compare_args, "FILE RUN_A [FILE_B] RUN_B")->required()->expected(3, 4);
    cmp->add_option("--phase", o->phase, "decode or prefill")->capture_default_str();
    return [o, list, show, exp, cmp] {
        if (list->parsed()) return run_list(*o);
        if (show->parsed()) return run_show(*o);
        if (exp->parsed()) return run_export(*o);
        if (cmp->parsed()) return run_compare(*o);
        return 1;
    };
}

}  // namespace pareto::cli
