#include "util/memory.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "tensor/kernels.h"
#include "util/error.h"
#include "util/huge_page_buffer.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

// The value of a "Key:   1234 kB" line in a /proc file, in bytes; 0 when absent.
size_t proc_kib_field(const char* path, std::string_view key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
            const unsigned long long kib = std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
            return static_cast<size_t>(kib) * 1024;
        }
    }
    return 0;
}

// "32K", "480M", "1G" or a plain byte count, as sysfs prints cache sizes.
size_t parse_size(const std::string& s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    size_t mult = 1;
    if (end && *end) {
        switch (*end) {
            case 'K': case 'k': mult = size_t{1} << 10; break;
            case 'M': case 'm': mult = size_t{1} << 20; break;
            case 'G': case 'g': mult = size_t{1} << 30; break;
            default: break;
        }
    }
    return static_cast<size_t>(v) * mult;
}

std::string read_line(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

}  // namespace

size_t current_rss_bytes() {
    const size_t rss = proc_kib_field("/proc/self/status", "VmRSS");
    return rss ? rss : peak_rss_bytes();
}

size_t peak_rss_bytes() {
    if (const size_t hwm = proc_kib_field("/proc/self/status", "VmHWM")) return hwm;
    struct rusage ru {};
    if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return static_cast<size_t>(ru.ru_maxrss) * 1024;  // kilobytes on Linux
}

size_t last_level_cache_bytes() {
    size_t best = 0;
    int best_level = 0;
    std::error_code ec;
    const std::filesystem::path dir = "/sys/devices/system/cpu/cpu0/cache";
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("index", 0) != 0) continue;
        const std::string type = read_line(entry.path() / "type");
        if (type == "Instruction") continue;
        const int level = std::atoi(read_line(entry.path() / "level").c_str());
        const size_t size = parse_size(read_line(entry.path() / "size"));
        if (level > best_level || (level == best_level && size > best)) {
            best_level = level;
            best = size;
        }
    }
    if (best) return best;
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (const long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE); l3 > 0) return static_cast<size_t>(l3);
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (const long l2 = ::sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0) return static_cast<size_t>(l2);
#endif
    return 0;
}

size_t available_memory_bytes() { return proc_kib_field("/proc/meminfo", "MemAvailable"); }

size_t parse_memory_limit(const std::string& text) {
    if (text == "off" || text == "OFF") return 0;
    size_t used = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    const std::string suffix = used > 0 ? text.substr(used) : "";
    int shift = -1;
    if (suffix.empty()) shift = 0;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB") shift = 10;
    else if (suffix == "M" || suffix == "MiB") shift = 20;
    else if (suffix == "G" || suffix == "GiB") shift = 30;
    if (used == 0 || shift < 0 || text[0] == '-' || v > (~0ull >> shift))
        fail("PARETO_MEMORY_LIMIT: expected bytes, a size such as 512M or 2G, or 'off', got '" + text + "'");
    return static_cast<size_t>(v << shift);
}

MemoryBudget memory_budget() {
    if (const char* env = std::getenv("PARETO_MEMORY_LIMIT"); env && *env)
        return {parse_memory_limit(env), "PARETO_MEMORY_LIMIT"};
    return {available_memory_bytes(), "MemAvailable"};
}

BandwidthResult measure_read_bandwidth(ThreadPool& pool, BandwidthParams params) {
    constexpr size_t kMiB = size_t{1} << 20;
    size_t bytes = params.buffer_bytes;
    if (bytes == 0) {
        bytes = std::max<size_t>(4 * last_level_cache_bytes(), 1024 * kMiB);
        bytes = std::min<size_t>(bytes, 2048 * kMiB);
        if (const size_t avail = available_memory_bytes(); avail > 0)
            bytes = std::min(bytes, std::max<size_t>(avail / 4, 64 * kMiB));
    }
    if (bytes < kMiB) fail("bandwidth probe: the buffer must be at least 1 MiB");
    if (params.runs < 1) fail("bandwidth probe: runs must be at least 1");

    const int nth = pool.size();
    const size_t n = bytes / sizeof(float);
    bytes = n * sizeof(float);
    // The same kind of memory the weights are loaded into (huge pages), read with the
    // widest loads this CPU has (the dispatched kernels' sum of squares: two vector
    // FMAs per 128 bytes, far from compute-bound), so the figure is the best a
    // streaming kernel could reach, not a weaker loop's.
    HugePageBuffer buf(bytes);
    float* data = reinterpret_cast<float*>(buf.data());
    const FloatKernels& f = kernels().f;

    // Each thread owns one contiguous slice: it touches it first (so its pages are
    // local to it) and reads it in every pass.
    auto slice = [&](int ith, size_t& begin, size_t& end) {
        const size_t per = (n + static_cast<size_t>(nth) - 1) / static_cast<size_t>(nth);
        begin = std::min(n, per * static_cast<size_t>(ith));
        end = std::min(n, begin + per);
    };
    pool.run([&](int ith, int) {
        size_t b, e;
        slice(ith, b, e);
        std::fill(data + b, data + e, 1.0f);
    });

    std::atomic<int64_t> sink{0};
    auto pass = [&] {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run([&](int ith, int) {
            size_t b, e;
            slice(ith, b, e);
            const float s = f.sum_squares(data + b, static_cast<int64_t>(e - b));
            sink.fetch_add(static_cast<int64_t>(s), std::memory_order_relaxed);
        });
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    pass();  // warm-up: TLB, frequency, the pool's threads
    double best = 0, total = 0;
    for (int r = 0; r < params.runs; ++r) {
        const double s = pass();
        total += s;
        if (r == 0 || s < best) best = s;
    }
    // Keeps the sums observable so the reads cannot be optimised away.
    if (sink.load() == 0x5eed) std::fputc(' ', stderr);

    BandwidthResult res;
    res.buffer_bytes = bytes;
    res.threads = nth;
    res.runs = params.runs;
    res.best_ms = best * 1e3;
    res.gb_per_s = best > 0 ? static_cast<double>(bytes) / best / 1e9 : 0;
    res.mean_gb_per_s = total > 0 ? static_cast<double>(bytes) * params.runs / total / 1e9 : 0;
    return res;
}

}  // namespace pareto
