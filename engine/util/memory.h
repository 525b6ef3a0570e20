#pragma once
// What the process and the machine have: resident memory (current and peak), the
// last-level cache, available RAM, and a read-bandwidth probe — the number that
// bounds decode speed, since every generated token reads every weight once.
#include <cstddef>
#include <cstdint>
#include <string>

namespace pareto {

class ThreadPool;

// Resident set size now (VmRSS in /proc/self/status); falls back to peak when
// /proc is not there. 0 when neither can be read.
size_t current_rss_bytes();
// Peak resident set size of the process so far (VmHWM in /proc/self/status, or
// getrusage's ru_maxrss where /proc is not there).
size_t peak_rss_bytes();
// Size of the largest CPU cache (L3 usually; L2 when there is no L3), from sysfs or
// sysconf. 0 when unknown.
size_t last_level_cache_bytes();
// MemAvailable from /proc/meminfo; 0 when unknown.
size_t available_memory_bytes();

// The memory a model and its session may take, checked before they are allocated:
// PARETO_MEMORY_LIMIT when set (bytes, or with a K, M or G suffix: binary units;
// "off" or 0 turns the check off), else MemAvailable. `bytes` 0: no check.
struct MemoryBudget {
    size_t bytes = 0;
    std::string source;  // "MemAvailable" or "PARETO_MEMORY_LIMIT"
};
MemoryBudget memory_budget();
// Parses a PARETO_MEMORY_LIMIT value; throws pareto::Error naming a bad one.
size_t parse_memory_limit(const std::string& text);

struct BandwidthParams {
    size_t buffer_bytes = 0;  // 0: 4 x the last-level cache, at least 1 GiB, at most 2 GiB
                              //    and a quarter of the available memory
    int runs = 5;             // timed passes (after one untimed warm-up pass); the best counts
};

struct BandwidthResult {
    double gb_per_s = 0;      // 1e9 bytes per second, from the fastest pass
    double mean_gb_per_s = 0; // over all timed passes
    size_t buffer_bytes = 0;
    int threads = 0;
    int runs = 0;
    double best_ms = 0;
};

// Sums a buffer (much larger than the last-level cache) with every thread of `pool`,
// each reading its own contiguous slice, as a matmul over weights does. The buffer is
// on huge pages like copied weights (util/huge_page_buffer.h), read with the widest
// vector loads of the dispatched kernels, allocated and first touched by the threads
// that read it, and freed on return.
BandwidthResult measure_read_bandwidth(ThreadPool& pool, BandwidthParams params = {});

}  // namespace pareto
