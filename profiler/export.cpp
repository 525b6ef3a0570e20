#include "profiler/export.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace pareto::prof {
namespace {

// Writes through a temporary file renamed into place, so a failed export never
// leaves half a file under the requested name.
template <class Body>
void write_atomically(const std::string& path, Body&& body) {
    namespace fs = std::filesystem;
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary);
        if (!out) fail("cannot create " + path);
        body(out);
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            fail("cannot write " + path + " (disk full?)");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        fail("cannot write " + path + ": " + ec.message());
    }
}

std::string us(int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) * 1e-3);
    return buf;
}

}  // namespace

void export_chrome_trace(const Run& run, const std::string& out_path) {
    const std::string process = nlohmann::json(run.config.name + " (" + run.config.model_path + ")").dump();
    write_atomically(out_path, [&](std::ostream& out) {
        out << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << nlohmann::json{{"model", run.config.model_path},
                                                                              {"threads", run.config.threads},
                                                                              {"simd", run.config.simd},
                                                                              {"cpu", run.config.cpu_model}}.dump()
            << ",\"traceEvents\":[\n";
        out << "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":" << process << "}}";
        out << ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":1000,\"name\":\"thread_name\",\"args\":{\"name\":\"tokens\"}}";
        for (const TokenRecord& t : run.tokens) {
            out << ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":1000,\"name\":\"" << (t.step == 0 ? "prompt" : "token")
                << "\",\"cat\":\"" << phase_name(t.phase) << "\",\"ts\":" << us(t.t_begin_ns)
                << ",\"dur\":" << us(t.duration_ns()) << ",\"args\":{\"step\":" << t.step << ",\"pos\":" << t.pos
                << ",\"n_tokens\":" << t.n_tokens << ",\"token_id\":" << t.token_id << "}}";
        }
        for (const OpRecord& r : run.ops) {
            out << ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":" << r.thread << ",\"name\":\"" << op_kind_name(r.kind)
                << "\",\"cat\":\"" << phase_name(r.phase) << "\",\"ts\":" << us(r.t_begin_ns)
                << ",\"dur\":" << us(r.duration_ns()) << ",\"args\":{\"layer\":" << r.layer << ",\"token\":" << r.step
                << ",\"pos\":" << r.pos << ",\"n_tokens\":" << r.n_tokens << ",\"bytes\":" << r.bytes_read
                << ",\"flops\":" << r.flops << "}}";
        }
        for (const MemorySample& m : run.memory)
            out << ",\n{\"ph\":\"C\",\"pid\":1,\"name\":\"memory\",\"ts\":" << us(m.t_ns)
                << ",\"args\":{\"rss_MiB\":" << static_cast<double>(m.rss_bytes) / (1 << 20)
                << ",\"peak_rss_MiB\":" << static_cast<double>(m.peak_rss_bytes) / (1 << 20) << "}}";
        for (const TokenRecord& t : run.tokens) {
            const double ms = static_cast<double>(t.duration_ns()) * 1e-6;
            const double rate = ms > 0 ? (t.step == 0 ? t.n_tokens : 1) * 1000.0 / ms : 0;
            out << ",\n{\"ph\":\"C\",\"pid\":1,\"name\":\"tokens/s\",\"ts\":" << us(t.t_end_ns)
                << ",\"args\":{\"" << phase_name(t.phase) << "\":" << rate << "}}";
        }
        out << "\n]}\n";
    });
}

void export_ops_csv(const Run& run, const std::string& out_path) {
    write_atomically(out_path, [&](std::ostream& out) {
        out << "step,phase,layer,op,pos,n_tokens,thread,begin_us,duration_us,bytes,flops\n";
        for (const OpRecord& r : run.ops)
            out << r.step << ',' << phase_name(r.phase) << ',' << r.layer << ',' << op_kind_name(r.kind) << ','
                << r.pos << ',' << r.n_tokens << ',' << r.thread << ',' << us(r.t_begin_ns) << ','
                << us(r.duration_ns()) << ',' << r.bytes_read << ',' << r.flops << '\n';
    });
}

}  // namespace pareto::prof
