#pragma once
// Prompt in, tokens out: batched prompt processing, then one token at a time,
// sampled, streamed to a callback, until a length, an end-of-generation token,
// a full context or the caller says stop.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/sampler.h"
#include "model/session.h"

namespace pareto {

struct GenerateParams {
    int32_t n_predict = 128;  // tokens to generate; < 0: until end of generation or full context
    SamplerParams sampler = sampler_default_params();
    bool stop_at_eog = true;  // stop at EOS / end-of-turn tokens
};
GenerateParams generate_default_params();

enum class StopReason { Length, EndOfGeneration, ContextFull, Callback };

struct GenerateStats {
    int64_t n_prompt = 0;
    int64_t n_generated = 0;
    double prompt_ms = 0;   // processing the prompt (one batched pass per n_batch tokens)
    double ttft_ms = 0;     // prompt processing + first sample: time to first token
    double decode_ms = 0;   // evaluating the generated tokens one by one
    StopReason stop = StopReason::Length;

    double prompt_tokens_per_s() const { return prompt_ms > 0 ? n_prompt * 1000.0 / prompt_ms : 0; }
    double decode_tokens_per_s() const;
};

// Called with each generated token (EOG tokens included, before stopping);
// returning false stops the generation.
using TokenCallback = std::function<bool(TokenId)>;

// Throws a clear error when a prompt of n_prompt tokens does not fit a context of
// n_ctx (on top of n_past tokens already held): before any work, with the numbers.
void require_prompt_fits(size_t n_prompt, int64_t n_ctx, int64_t n_past = 0);

// Evaluates `prompt` after whatever the session already holds, then generates.
GenerateStats generate(Session& session, std::span<const TokenId> prompt, const GenerateParams& params,
                       const TokenCallback& on_token);

}  // namespace pareto
