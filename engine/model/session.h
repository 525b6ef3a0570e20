#pragma once
// One inference context over a Model: the KV cache, scratch buffers and thread pool.
// Everything is allocated when the session is created; evaluating tokens allocates
// nothing (except, once, a buffer for all-token logits when asked for them).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "model/model.h"
#include "observer.h"
#include "util/thread_pool.h"

namespace pareto {

struct SessionParams {
    int64_t n_ctx = 0;      // KV cache length; 0: the model's training context, capped at 4096
    int n_threads = 0;      // 0: one per hardware thread
    int64_t n_batch = 512;  // tokens per forward pass while processing a prompt
};
SessionParams session_default_params();

// What a Session over `cfg` with `params` allocates, known before it exists (the
// workbench shows it before a model is loaded). The KV cache and the F32 scratch are
// exact; the activation conversion buffers are not included (they depend on the
// weight types and are a few percent of the scratch).
struct SessionFootprint {
    int64_t n_ctx = 0;          // the context the session would have (params.n_ctx resolved)
    int n_threads = 0;          // the threads it would have (params.n_threads resolved)
    size_t kv_cache_bytes = 0;  // K and V, F32: 2 x n_layer x n_ctx x kv_dim x 4
    size_t scratch_bytes = 0;   // activations for n_batch tokens, attention scores, logits, RoPE tables
};
SessionFootprint session_footprint(const ModelConfig& cfg, const SessionParams& params);

// Refuses, before anything is allocated, a session whose weights + KV cache + scratch
// exceed memory_budget() (util/memory.h): the error gives the numbers. Every Session
// checks this first.
void require_memory(const Model& model, const SessionParams& params);

// Ops a Session reports to its observer (OpEvent) for one forward pass over n_tokens
// tokens (at most n_batch) that ends in logits: embed, 12 per layer with the FFN's
// gate, up, activation and down once per chunk of a long batch, output norm and
// lm_head. Recorders size their buffers with it.
int64_t ops_per_forward(const ModelConfig& cfg, int64_t n_tokens, int64_t n_batch);

class Session {
public:
    explicit Session(const Model& model, SessionParams params = session_default_params());
    ~Session();

    // Runs `tokens` at positions n_past().. and appends them to the KV cache. Keeps
    // the logits of the last token, or of every token when `all_logits` is set.
    // Throws pareto::Error when the context would overflow or an id is out of range.
    void eval(std::span<const TokenId> tokens, bool all_logits = false);

    std::span<const float> logits() const;            // [n_vocab] of the last token evaluated
    std::span<const float> logits_at(int64_t i) const; // i-th token of the last eval(all_logits)

    int64_t n_past() const { return n_past_; }
    int64_t n_ctx() const { return n_ctx_; }
    void clear() { n_past_ = 0; }                     // forget the cache (buffers are kept)
    void truncate(int64_t n_keep);                   // keep only the first n_keep positions

    // Watches every op of every later eval (see observer.h); null detaches. The
    // observer must outlive its attachment.
    void set_observer(Observer* observer) { observer_ = observer; }
    Observer* observer() const { return observer_; }
    Phase phase() const { return phase_; }  // of the last eval

    const Model& model() const { return model_; }
    ThreadPool& pool() { return *pool_; }
    size_t kv_cache_bytes() const;
    size_t scratch_bytes() const;

private:
    void forward_batch(const TokenId* tokens, int64_t n, float* logits_out, bool all_logits);
    void attention(int64_t layer, int64_t n, int64_t pos0);
    void apply_rope(float* vec, int64_t n_heads, int64_t pos) const;

    const Model& model_;
    const ModelConfig& cfg_;
    int64_t n_ctx_;
    int64_t n_batch_;
    int64_t n_past_ = 0;
    Observer* observer_ = nullptr;
    Phase phase_ = Phase::Prefill;
    std::unique_ptr<ThreadPool> pool_;

    // KV cache, F32. K: [n_layer][n_ctx][kv_dim]; V transposed: [n_layer][kv_dim][n_ctx]
    // (attention multiplies each head's dimensions, as rows, by the scores).
    std::vector<float> k_cache_, v_cache_;
    // RoPE angles per position: [n_ctx][rope_dim/2] each.
    std::vector<float> rope_cos_, rope_sin_;

    // Scratch for one batch of up to n_batch tokens.
    std::vector<float> x_;       // [n_batch, n_embd] residual stream
    std::vector<float> xn_;      // [n_batch, n_embd] normalised input of a block
    std::vector<float> q_;       // [n_batch, q_dim]
    std::vector<float> k_;       // [n_batch, kv_dim]
    std::vector<float> v_;       // [n_batch, kv_dim]
    std::vector<float> attn_;    // [n_batch, q_dim] attention output
    int64_t ffn_chunk_;          // prompt tokens whose FFN runs at once (<= n_batch)
    std::vector<float> gate_;    // [ffn_chunk, n_ff]
    std::vector<float> up_;      // [ffn_chunk, n_ff]
    std::vector<float> scores_;  // [n_threads, n_head / n_head_kv, n_ctx] attention weights per thread
    std::vector<float> logits_;  // [n_vocab] or [n tokens, n_vocab] after eval(all_logits)
    MatmulInput in_embd_;        // xn_ as matmul input (Q/K/V, gate/up, lm_head)
    MatmulInput in_wide_;        // attn_ or gate_ as matmul input (O, down)
    int64_t n_logits_ = 0;       // rows held in logits_
};

}  // namespace pareto
