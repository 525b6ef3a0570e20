#pragma once
// What the engine tells whoever watches it run: the beginning and end of every op
// of every layer, the boundaries of every evaluation, and (for calibration) the
// float rows going into each weight matrix. A Session with no observer attached
// pays one well-predicted null check per op; see docs/profiler.md for the measured
// cost with one attached.
//
// The engine calls an observer only from the thread that called Session::eval (or
// generate), never from its pool's workers: one session, one observing thread.
#include <cstdint>
#include <string_view>

namespace pareto {

// Every op a decoder layer (or the model around the layers) performs, in order.
enum class OpKind : uint8_t {
    Embed,       // token ids -> rows of token_embd
    AttnNorm,    // RMS norm before attention
    QKV,         // the q, k and v projections (plus their biases, for qwen2), as one job
    Q, K, V,     // one of them: matmul inputs, and the ops of traces before schema 2
    Rope,        // rotary position embedding of q and k, and the KV cache append
    Attention,   // softmax(q k^T / sqrt(d)) v over the cache
    O,           // output projection, plus the residual add
    FfnNorm,     // RMS norm before the feed-forward block
    GateUp,      // the feed-forward input projections, gate and up, as one job
    Gate, Up,    // one of them: matmul inputs, and the ops of traces before schema 2
    Activation,  // SwiGLU: silu(gate) * up
    Down,        // feed-forward output projection, plus the residual add
    OutputNorm,  // final RMS norm
    LmHead,      // output projection to the vocabulary
    Sampling,    // logits -> next token (generate())
};
inline constexpr int kOpKindCount = static_cast<int>(OpKind::Sampling) + 1;
std::string_view op_kind_name(OpKind kind);  // "attn_norm", "q", "lm_head", ...

enum class Phase : uint8_t {
    Prefill,  // the prompt, in batches of up to n_batch tokens
    Decode,   // one generated token at a time
};
std::string_view phase_name(Phase phase);  // "prefill" / "decode"

struct OpEvent {
    OpKind kind = OpKind::Embed;
    Phase phase = Phase::Prefill;
    int32_t layer = -1;         // block index; -1 for ops outside the blocks
    int32_t n_tokens = 0;       // tokens the op ran on: its batch, or a chunk of it (a long batch's FFN)
    int64_t pos = 0;            // position of the first of those tokens
    uint64_t bytes_read = 0;    // weight bytes streamed (attention: KV cache bytes)
    uint64_t flops = 0;         // floating-point operations (a multiply-add counts 2)
};

// Brackets one Session::eval call: a prefill batch or a decode step.
struct EvalEvent {
    Phase phase = Phase::Prefill;
    int64_t pos = 0;            // position of the first token
    int32_t n_tokens = 0;
};

class Observer {
public:
    virtual ~Observer() = default;

    virtual void eval_begin(const EvalEvent&) {}
    virtual void eval_end(const EvalEvent&) {}
    virtual void op_begin(const OpEvent&) {}
    virtual void op_end(const OpEvent&) {}

    // Calibration: when this returns true, the session reports the rows entering
    // every weight matrix, before it multiplies them. `x` is [n_tok, cols],
    // row-major, valid only during the call. The event's kind names the matrix (Q,
    // K, V, O, Gate, Up, Down, LmHead), not the job that multiplies it: Q, K and V
    // share one input, as do Gate and Up, and it is reported once per matrix.
    virtual bool wants_matmul_inputs() const { return false; }
    virtual void matmul_input(const OpEvent& /*op*/, const float* /*x*/, int64_t /*n_tok*/, int64_t /*cols*/) {}
};

}  // namespace pareto
