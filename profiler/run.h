#pragma once
// One profiled run: what was run (configuration), every op it executed, the tokens
// it produced with their latencies, memory over time and by owner, and accuracy
// when it was measured. The one data model of the profiler: the recorder fills it,
// the HDF5 trace store writes and reads it, the CLI, the exporters and the GUI
// show it. docs/trace-format.md gives its on-disk form.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observer.h"

namespace pareto::prof {

// One op on one batch of tokens. Times are nanoseconds since the run's start.
struct OpRecord {
    int64_t t_begin_ns = 0;
    int64_t t_end_ns = 0;
    int64_t pos = 0;            // position of the first token the op ran on
    uint64_t bytes_read = 0;    // weights streamed (attention: KV cache)
    uint64_t flops = 0;
    int32_t step = 0;           // the token step the op belongs to (TokenRecord::step)
    int32_t layer = -1;         // -1 outside the blocks
    int32_t n_tokens = 0;       // tokens it ran on: its batch, or a chunk of it (a long batch's FFN)
    OpKind kind = OpKind::Embed;
    Phase phase = Phase::Prefill;
    uint16_t thread = 0;        // recording thread, numbered from 0 in order of first use

    int64_t duration_ns() const { return t_end_ns - t_begin_ns; }
};

// One step of generation: step 0 is the prompt (all its prefill batches and the
// first sampling: its duration is the time to first token); each later step is one
// decode eval and its sampling (the time per output token).
struct TokenRecord {
    int32_t step = 0;
    Phase phase = Phase::Prefill;
    int32_t n_tokens = 0;       // tokens evaluated in the step (the prompt length for step 0)
    int64_t pos = 0;            // position of the step's first token
    int32_t token_id = -1;      // the token sampled at the end of the step; -1 if none
    int64_t t_begin_ns = 0;
    int64_t t_end_ns = 0;

    int64_t duration_ns() const { return t_end_ns - t_begin_ns; }
};

struct MemorySample {
    int64_t t_ns = 0;
    uint64_t rss_bytes = 0;
    uint64_t peak_rss_bytes = 0;
};

// Who owns the run's memory: each weight tensor, the KV cache, the scratch buffers.
struct MemoryEntry {
    enum class Category : uint8_t { Weights, KvCache, Scratch };
    Category category = Category::Weights;
    std::string name;           // tensor name; "kv_cache"; "scratch"
    std::string type;           // tensor type name ("Q4_0"), or "F32" for cache and scratch
    int32_t layer = -1;         // block index of a tensor; -1 for the others
    uint64_t bytes = 0;
};
const char* memory_category_name(MemoryEntry::Category c);

// Accuracy of the run's model on a text, against its baseline when one was given.
struct AccuracyRecord {
    std::string text;           // evaluation text (path)
    int64_t n_ctx = 0;
    int64_t n_chunks = 0;
    int64_t n_scored = 0;
    double ppl = 0, ppl_error = 0;
    bool has_baseline = false;
    std::string base_model;
    double base_ppl = 0, base_ppl_error = 0;
    double kl_mean = 0, kl_error = 0, kl_median = 0, kl_p90 = 0, kl_p99 = 0, kl_max = 0;
    double same_top_rate = 0;
    double delta_p_mean = 0, delta_p_rms = 0;
};

// What was run, where and how: the run group's attributes.
struct RunConfig {
    std::string name;
    std::string kind = "profile";  // "profile": a generation; "eval": an accuracy measurement
    std::string created;        // ISO 8601, UTC
    std::string pareto_version;
    std::string model_path;
    std::string model_sha256;   // of the model file (of config.json + weights for a folder)
    std::string model_name;
    std::string architecture;
    std::string model_type;     // file type ("Q4_0", "F16", "mixed")
    std::string compression_plan;  // JSON; empty for an uncompressed model
    uint64_t n_params = 0;
    uint64_t weight_bytes = 0;
    int32_t threads = 0;
    std::string cpu_model;
    std::string simd;
    int64_t n_ctx = 0;
    int64_t n_batch = 0;
    uint64_t seed = 0;
    std::string sampler;        // JSON of the sampler settings
    std::string prompt;
    int64_t n_prompt = 0;
    int64_t n_generated = 0;
};

struct Run {
    RunConfig config;
    std::vector<OpRecord> ops;          // in execution order
    std::vector<TokenRecord> tokens;    // in step order
    std::vector<MemorySample> memory;   // in time order
    std::vector<MemoryEntry> memory_breakdown;
    std::optional<AccuracyRecord> accuracy;
};

}  // namespace pareto::prof
