// pareto-cli bench: prompt-processing and generation speed with llama-bench's
// definitions, so the numbers compare with llama.cpp's; and a memory read-bandwidth
// probe that says how far decode is from its bound.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "model/model.h"
#include "model/session.h"
#include "tensor/kernels.h"
#include "util/error.h"
#include "profiler/recorder.h"
#include "util/machine.h"
#include "util/memory.h"
#include "util/thread_pool.h"

namespace pareto::cli {
namespace {

struct BenchOptions {
    std::string model;
    int n_prompt = 512;
    int n_gen = 128;
    int reps = 5;
    int threads = 0;
    std::string output = "md";
    bool bandwidth = false;
    size_t bandwidth_mib = 0;
    bool trace_overhead = false;
};

struct TestResult {
    std::string name;  // pp512, tg128
    int n_prompt = 0, n_gen = 0;
    std::vector<double> samples_ns;
    double avg_ts = 0, stddev_ts = 0, avg_ns = 0;
};

struct BandwidthReport {
    BandwidthResult bw;
    uint64_t bytes_per_token = 0;  // with a model: weight bytes one decode step reads
    double decode_bound_ts = 0;
    std::optional<double> tg_fraction;
};

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string num(double v, int decimals = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::isfinite(v) ? v : 0.0);
    return buf;
}

void summarize(TestResult& t) {
    const int tokens = t.n_prompt + t.n_gen;
    std::vector<double> ts;
    double sum_ns = 0;
    for (const double ns : t.samples_ns) {
        ts.push_back(ns > 0 ? 1e9 * tokens / ns : 0.0);
        sum_ns += ns;
    }
    const auto n = static_cast<double>(ts.size());
    double mean = 0;
    for (const double v : ts) mean += v;
    mean /= n;
    double var = 0;
    for (const double v : ts) var += (v - mean) * (v - mean);
    t.avg_ts = mean;
    t.stddev_ts = ts.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;  // sample standard deviation, as llama-bench
    t.avg_ns = sum_ns / n;
}

TokenId argmax(std::span<const float> logits) {
    size_t best = 0;
    for (size_t i = 1; i < logits.size(); ++i)
        if (logits[i] > logits[best]) best = i;
    return static_cast<TokenId>(best);
}

// The prompt: BOS when the vocabulary adds one, then ids from a fixed splitmix64
// stream (like llama-bench, the content does not matter for speed; fixed, so runs
// are comparable).
std::vector<TokenId> bench_prompt(const Model& m, int n) {
    std::vector<TokenId> toks;
    const auto& tok = m.tokenizer();
    uint64_t state = 0x5EEDB5;
    const auto n_vocab = static_cast<uint64_t>(m.config().n_vocab);
    for (int i = 0; i < n; ++i) {
        if (i == 0 && tok.add_bos_default() && tok.bos()) {
            toks.push_back(*tok.bos());
            continue;
        }
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        toks.push_back(static_cast<TokenId>(z % n_vocab));
    }
    return toks;
}

using Clock = std::chrono::steady_clock;
double ns_since(Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); }

// Times `sample` reps times (after one untimed warm-up). With a recorder, each
// repetition runs a second time with the recorder attached, into `recorded`:
// interleaved, so that both see the same machine state.
template <class Sample>
void time_test(Session& s, int reps, TestResult& r, prof::Recorder* recorder, TestResult* recorded, Sample&& sample) {
    sample();  // warm-up
    for (int i = 0; i < reps; ++i) {
        r.samples_ns.push_back(sample());
        if (recorder) {
            s.set_observer(recorder);
            recorded->samples_ns.push_back(sample());
            s.set_observer(nullptr);
        }
    }
    summarize(r);
    if (recorder) summarize(*recorded);
}

// pp: the whole prompt in one batch from an empty cache.
TestResult run_pp(Session& s, const std::vector<TokenId>& prompt, int reps, prof::Recorder* recorder = nullptr,
                  TestResult* recorded = nullptr) {
    TestResult r;
    r.name = "pp" + std::to_string(prompt.size());
    r.n_prompt = static_cast<int>(prompt.size());
    if (recorded) *recorded = r, recorded->name += "+rec";
    time_test(s, reps, r, recorder, recorded, [&] {
        s.clear();
        const auto t0 = Clock::now();
        s.eval(prompt);
        return ns_since(t0);
    });
    return r;
}

// tg: n tokens one at a time from an empty cache, each the argmax of the last.
TestResult run_tg(Session& s, TokenId first, int n, int reps, prof::Recorder* recorder = nullptr,
                  TestResult* recorded = nullptr) {
    TestResult r;
    r.name = "tg" + std::to_string(n);
    r.n_gen = n;
    if (recorded) *recorded = r, recorded->name += "+rec";
    time_test(s, reps, r, recorder, recorded, [&] {
        s.clear();
        TokenId t = first;
        const auto t0 = Clock::now();
        for (int k = 0; k < n; ++k) {
            s.eval(std::span<const TokenId>(&t, 1));
            t = argmax(s.logits());
        }
        return ns_since(t0);
    });
    return r;
}

int run_bench(const BenchOptions& o) {
    if (o.output != "md" && o.output != "json" && o.output != "csv")
        fail("unknown output format '" + o.output + "' (md, json or csv)");
    if (o.n_prompt < 0 || o.n_gen < 0) fail("-p and -n must not be negative");
    if (o.reps < 1) fail("-r must be at least 1");
    if (o.threads < 0 || o.threads > 1024) fail("thread count " + std::to_string(o.threads) + " is out of range");
    if (o.model.empty() && !o.bandwidth) fail("no model: give one with -m (or measure only --bandwidth)");
    if (!o.model.empty() && o.n_prompt == 0 && o.n_gen == 0 && !o.bandwidth)
        fail("nothing to measure: -p and -n are both 0");

    const std::string cpu = cpu_model();
    const std::string simd(simd_name(kernels().level));

    std::unique_ptr<Model> model;
    std::unique_ptr<Session> session;
    std::string label, type_name;
    uint64_t n_params = 0;
    size_t weight_bytes = 0;
    int threads = o.threads > 0 ? o.threads : ThreadPool::hardware_threads();
    if (!o.model.empty()) {
        model = Model::load(o.model);
        n_params = model->tensors().total_elements();
        weight_bytes = model->weight_bytes();
        label = std::filesystem::path(o.model).stem().string();
        // Other sources (HuggingFace folders) have no file type: name the weights' type.
        type_name = model->gguf() ? gguf_file_type_name(model->gguf()->get_int("general.file_type", -1))
                                  : std::string(dtype_name(model->weights().layers.at(0).wq.type));
        if (o.n_prompt + o.n_gen > 0) {
            SessionParams sp = session_default_params();
            sp.n_threads = o.threads;
            sp.n_ctx = o.n_prompt + o.n_gen;  // as llama-bench
            sp.n_batch = std::max(o.n_prompt, 1);
            session = std::make_unique<Session>(*model, sp);
            threads = session->pool().size();
        }
    }

    const bool md = o.output == "md";
    const std::string model_col = label + " " + type_name;
    const int mw = std::max(28, static_cast<int>(model_col.size()));
    if (md && session) {
        std::printf("| %-*s | %10s | %9s | %-11s | %7s | %10s | %20s |\n", mw, "model", "size", "params", "simd",
                    "threads", "test", "t/s");
        std::printf("| %s | %s: | %s: | %s | %s: | %s: | %s: |\n", std::string(static_cast<size_t>(mw), '-').c_str(),
                    std::string(9, '-').c_str(),
                    std::string(8, '-').c_str(), std::string(11, '-').c_str(), std::string(6, '-').c_str(),
                    std::string(9, '-').c_str(), std::string(19, '-').c_str());
        std::fflush(stdout);
    }
    auto md_row = [&](const TestResult& r) {
        char params[32];
        std::snprintf(params, sizeof params, "%.2f M", static_cast<double>(n_params) / 1e6);
        // "±" is two bytes in UTF-8: one more byte of width keeps the column aligned.
        std::printf("| %-*s | %10s | %9s | %-11s | %7d | %10s | %21s |\n", mw, model_col.c_str(),
                    format_bytes(static_cast<double>(weight_bytes)).c_str(), params, simd.c_str(), threads,
                    r.name.c_str(), (num(r.avg_ts) + " ± " + num(r.stddev_ts)).c_str());
        std::fflush(stdout);
    };

    std::vector<TestResult> results;
    std::unique_ptr<prof::Recorder> recorder;
    std::string overhead;
    if (session) {
        const std::vector<TokenId> prompt = bench_prompt(*model, std::max(o.n_prompt, 1));
        if (o.trace_overhead) {
            // Sized for every recorded eval, so recording allocates nothing while timed.
            recorder = std::make_unique<prof::Recorder>();
            const int64_t n_prompt = std::max(o.n_prompt, 1);  // one batch (the session's n_batch)
            const int64_t per_rep = ops_per_forward(model->config(), n_prompt, n_prompt) +
                                    int64_t{o.n_gen} * ops_per_forward(model->config(), 1, n_prompt);
            const auto evals = static_cast<size_t>((o.reps + 1) * (1 + o.n_gen));
            recorder->reserve(static_cast<size_t>((o.reps + 1) * per_rep), evals);
        }
        auto add = [&](TestResult plain, const TestResult& recorded) {
            results.push_back(std::move(plain));
            if (md) md_row(results.back());
            if (!recorder) return;
            results.push_back(recorded);
            if (md) md_row(results.back());
            const double cost = 100.0 * (1.0 - recorded.avg_ts / results[results.size() - 2].avg_ts);
            char buf[96];
            std::snprintf(buf, sizeof buf, "%s%s %+.2f %%", overhead.empty() ? "" : ", ",
                          results[results.size() - 2].name.c_str(), cost);
            overhead += buf;
        };
        TestResult recorded;
        if (o.n_prompt > 0) add(run_pp(*session, prompt, o.reps, recorder.get(), &recorded), recorded);
        if (o.n_gen > 0) add(run_tg(*session, prompt.front(), o.n_gen, o.reps, recorder.get(), &recorded), recorded);
        if (md && recorder)
            std::printf("\nrecording every op costs (tokens/s lost): %s\n", overhead.c_str());
    }

    // Before the bandwidth probe, whose buffer would count otherwise.
    const size_t kv_bytes = session ? session->kv_cache_bytes() : 0;
    const size_t peak_rss = peak_rss_bytes();

    std::optional<BandwidthReport> bw;
    if (o.bandwidth) {
        BandwidthReport b;
        ThreadPool pool(threads);
        BandwidthParams bp;
        bp.buffer_bytes = o.bandwidth_mib << 20;
        b.bw = measure_read_bandwidth(pool, bp);
        if (model) {
            // A decode step reads every weight once, except the token embedding, of
            // which it reads one row (unless it is also the output matrix).
            b.bytes_per_token = weight_bytes;
            if (!model->config().tied_output)
                if (const GgufTensor* e = model->tensors().find("token_embd.weight")) b.bytes_per_token -= e->n_bytes;
            b.decode_bound_ts = b.bw.gb_per_s * 1e9 / static_cast<double>(b.bytes_per_token);
            for (const auto& r : results)
                if (r.n_gen > 0 && b.decode_bound_ts > 0) b.tg_fraction = r.avg_ts / b.decode_bound_ts;
        }
        bw = b;
    }

    if (md) {
        if (model) {
            const ModelConfig& c = model->config();
            std::printf("\nmodel:      %s (%s, %lld layers, hidden %lld, vocab %lld, %s)\n", o.model.c_str(),
                        c.arch_name.c_str(), static_cast<long long>(c.n_layer), static_cast<long long>(c.n_embd),
                        static_cast<long long>(c.n_vocab), type_name.c_str());
            std::printf("memory:     weights %s (%s), KV cache %s (F32, n_ctx %lld), peak RSS %s\n",
                        format_bytes(static_cast<double>(weight_bytes)).c_str(),
                        file_load_name(model->gguf() ? model->gguf()->load() : FileLoad::Map),
                        format_bytes(static_cast<double>(kv_bytes)).c_str(),
                        static_cast<long long>(session ? session->n_ctx() : 0),
                        format_bytes(static_cast<double>(peak_rss)).c_str());
        }
        std::printf("cpu:        %s, %s, %d threads, %d repetitions after a warm-up\n", cpu.c_str(),
                    simd.c_str(), threads, o.reps);
        if (bw) {
            std::printf("bandwidth:  %.2f GB/s read (best of %d passes over %s, %d threads; mean %.2f GB/s)\n",
                        bw->bw.gb_per_s, bw->bw.runs, format_bytes(static_cast<double>(bw->bw.buffer_bytes)).c_str(),
                        bw->bw.threads, bw->bw.mean_gb_per_s);
            if (model) {
                std::printf("decode bound: %.2f tokens/s (%s of weights read per token)", bw->decode_bound_ts,
                            format_bytes(static_cast<double>(bw->bytes_per_token)).c_str());
                if (bw->tg_fraction) std::printf("; tg reaches %.1f%% of it", 100.0 * *bw->tg_fraction);
                std::printf("\n");
            }
        }
        return 0;
    }

    if (o.output == "json") {
        std::string j = "{\n";
        if (model) {
            const ModelConfig& c = model->config();
            j += "  \"model\": {\"path\": " + json_string(o.model) + ", \"name\": " + json_string(c.name) +
                 ", \"arch\": " + json_string(c.arch_name) + ", \"type\": " + json_string(type_name) +
                 ", \"n_params\": " + std::to_string(n_params) + ", \"model_bytes\": " + std::to_string(weight_bytes) +
                 ", \"n_layer\": " + std::to_string(c.n_layer) + ", \"n_embd\": " + std::to_string(c.n_embd) +
                 ", \"n_vocab\": " + std::to_string(c.n_vocab) + "},\n";
        }
        j += "  \"system\": {\"cpu\": " + json_string(cpu) + ", \"simd\": " + json_string(simd) +
             ", \"threads\": " + std::to_string(threads) +
             ", \"hardware_threads\": " + std::to_string(ThreadPool::hardware_threads()) + "},\n";
        if (session)
            j += "  \"session\": {\"n_ctx\": " + std::to_string(session->n_ctx()) + ", \"n_batch\": " +
                 std::to_string(std::max(o.n_prompt, 1)) + ", \"kv_cache_bytes\": " + std::to_string(kv_bytes) +
                 ", \"kv_type\": \"F32\"},\n";
        j += "  \"peak_rss_bytes\": " + std::to_string(peak_rss) + ",\n";
        j += "  \"results\": [";
        for (size_t i = 0; i < results.size(); ++i) {
            const TestResult& r = results[i];
            std::string samples;
            for (const double ns : r.samples_ns) samples += (samples.empty() ? "" : ", ") + num(ns, 0);
            j += std::string(i ? "," : "") + "\n    {\"test\": " + json_string(r.name) +
                 ", \"n_prompt\": " + std::to_string(r.n_prompt) + ", \"n_gen\": " + std::to_string(r.n_gen) +
                 ", \"repetitions\": " + std::to_string(r.samples_ns.size()) + ", \"avg_ts\": " + num(r.avg_ts, 4) +
                 ", \"stddev_ts\": " + num(r.stddev_ts, 4) + ", \"avg_ns\": " + num(r.avg_ns, 0) +
                 ", \"samples_ns\": [" + samples + "]}";
        }
        j += results.empty() ? "]" : "\n  ]";
        if (bw) {
            j += ",\n  \"bandwidth\": {\"gb_per_s\": " + num(bw->bw.gb_per_s, 4) + ", \"mean_gb_per_s\": " +
                 num(bw->bw.mean_gb_per_s, 4) + ", \"buffer_bytes\": " + std::to_string(bw->bw.buffer_bytes) +
                 ", \"threads\": " + std::to_string(bw->bw.threads) + ", \"runs\": " + std::to_string(bw->bw.runs);
            if (model)
                j += ", \"bytes_per_token\": " + std::to_string(bw->bytes_per_token) +
                     ", \"decode_bound_ts\": " + num(bw->decode_bound_ts, 4);
            if (bw->tg_fraction) j += ", \"tg_fraction\": " + num(*bw->tg_fraction, 4);
            j += "}";
        }
        j += "\n}\n";
        std::fputs(j.c_str(), stdout);
        return 0;
    }

    // csv: one line per test (or one bandwidth-only line).
    std::printf("model,path,type,model_bytes,n_params,threads,simd,cpu,test,n_prompt,n_gen,repetitions,avg_ts,"
                "stddev_ts,avg_ns,kv_cache_bytes,peak_rss_bytes,bandwidth_gb_s,decode_bound_ts\n");
    auto line = [&](const TestResult* r) {
        std::printf("%s,%s,%s,%zu,%llu,%d,%s,%s,%s,%d,%d,%zu,%s,%s,%s,%zu,%zu,%s,%s\n", csv_field(label).c_str(),
                    csv_field(o.model).c_str(), csv_field(type_name).c_str(), weight_bytes,
                    static_cast<unsigned long long>(n_params), threads, csv_field(simd).c_str(), csv_field(cpu).c_str(),
                    r ? r->name.c_str() : "bandwidth", r ? r->n_prompt : 0, r ? r->n_gen : 0,
                    r ? r->samples_ns.size() : size_t{0}, r ? num(r->avg_ts, 4).c_str() : "",
                    r ? num(r->stddev_ts, 4).c_str() : "", r ? num(r->avg_ns, 0).c_str() : "", kv_bytes, peak_rss,
                    bw ? num(bw->bw.gb_per_s, 4).c_str() : "", bw && model ? num(bw->decode_bound_ts, 4).c_str() : "");
    };
    for (const auto& r : results) line(&r);
    if (results.empty()) line(nullptr);
    return 0;
}

}  // namespace

Command add_bench(CLI::App& app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App* sub = app.add_subcommand("bench", "Measure prompt and generation speed (as llama-bench) and bandwidth");
    sub->add_option("-m,--model", o->model, "Model file (GGUF)");
    sub->add_option("-p,--n-prompt", o->n_prompt, "Prompt tokens, evaluated in one batch (0: skip)")->capture_default_str();
    sub->add_option("-n,--n-gen", o->n_gen, "Tokens generated one at a time (0: skip)")->capture_default_str();
    sub->add_option("-r,--repetitions", o->reps, "Timed repetitions of each test")->capture_default_str();
    sub->add_option("-t,--threads", o->threads, "Threads (0: all cores)")->capture_default_str();
    sub->add_option("-o,--output", o->output, "Output format: md, json or csv")->capture_default_str();
    sub->add_flag("--trace-overhead", o->trace_overhead,
                  "Also run each test with the profiler's recorder attached (interleaved) and report its cost");
    sub->add_flag("--bandwidth", o->bandwidth, "Also measure memory read bandwidth and the decode bound");
    sub->add_option("--bandwidth-mib", o->bandwidth_mib,
                    "Bandwidth probe buffer in MiB (default: 4x the last-level cache, 1-2 GiB)");
    return [o] { return run_bench(*o); };
}

}  // namespace pareto::cli
