#pragma once
// Choosing the next token from logits. The chain, in order: repetition penalty,
// top-k, top-p, min-p, temperature, then a seeded draw. Temperature <= 0 is greedy.
// The candidate buffer is allocated once per sampler, never per token.
#include <cstdint>
#include <span>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pareto {

struct SamplerParams {
    float temperature = 0.8f;     // <= 0: greedy (argmax after the penalty)
    int32_t top_k = 40;           // <= 0: off
    float top_p = 0.95f;          // >= 1: off
    float min_p = 0.05f;          // <= 0: off; keep tokens with p >= min_p * p_max
    float repeat_penalty = 1.0f;  // 1: off; > 1 discourages tokens seen in the last repeat_last_n
    int32_t repeat_last_n = 64;
    uint64_t seed = 0x5eed;
};
SamplerParams sampler_default_params();

class Sampler {
public:
    explicit Sampler(SamplerParams params = sampler_default_params());

    // `history` is the context so far (prompt and generated tokens), for the penalty.
    TokenId sample(std::span<const float> logits, std::span<const TokenId> history);

    const SamplerParams& params() const { return params_; }
    void reseed(uint64_t seed);

private:
    struct Candidate {
        TokenId id;
        float logit;
        float p;
    };
    double next_uniform();  // [0, 1), same sequence on every platform for a seed
    // The logits with the repetition penalty applied: `logits` itself when no penalty
    // applies, else a copy in penalized_.
    std::span<const float> penalize(std::span<const float> logits, std::span<const TokenId> history);

    SamplerParams params_;
    uint64_t state_;
    std::vector<float> penalized_;
    std::vector<Candidate> cand_;
};

}  // namespace pareto
