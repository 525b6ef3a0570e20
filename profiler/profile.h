#pragma once
// Profiling one generation: a prompt in, a Run out (every op, every token, memory
// over time and by owner, and what was run, on which machine).
#include <cstdint>
#include <functional>
#include <string>

#include "model/generate.h"
#include "model/model.h"
#include "profiler/run.h"

namespace pareto::prof {

struct ProfileParams {
    std::string prompt;
    std::string name;                  // the run's name; empty: the trace store picks one
    GenerateParams generate = generate_default_params();
    int n_threads = 0;
    int64_t n_ctx = 0;                 // 0: prompt + n_predict (at least 16)
    int64_t n_batch = 512;
    std::string compression_plan;      // JSON of the plan that produced the model, if any
    bool hash_model = true;            // compute the model's SHA-256 (cached per file)
    bool record = true;                // false: run without an observer (for overhead comparisons)
    // Each generated token, as generate() reports it; false stops the run.
    std::function<bool(TokenId)> on_token;
};
ProfileParams profile_default_params();

// Throws pareto::Error for an empty prompt (or what generate() refuses).
Run profile_generation(const Model& model, const ProfileParams& params);

// Who owns the memory a session over `model` uses: every weight tensor (name, type,
// layer), the KV cache and the scratch buffers.
std::vector<MemoryEntry> memory_breakdown(const Model& model, size_t kv_cache_bytes, size_t scratch_bytes);

// The configuration part of a run that depends only on the model and the machine.
RunConfig describe_model_and_machine(const Model& model, bool hash_model);

// "2026-11-23T10:04:05Z"
std::string utc_timestamp();

}  // namespace pareto::prof
