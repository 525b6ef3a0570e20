#pragma once
// The hyperparameters of a decoder-only transformer, read from GGUF metadata
// ("{arch}.*" keys). Every loader (GGUF, later HuggingFace) produces this one struct.
#include <cstdint>
#include <string>

namespace pareto {

class GgufFile;

enum class Arch { Llama, Qwen2 };
enum class RopeOrder {
    Normal,  // rotate adjacent pairs (x[2i], x[2i+1]) — GGUF llama (weights pre-permuted)
    NeoX,    // rotate halves (x[i], x[i + d/2]) — qwen2
};
enum class RopeScaling { None, Linear, Yarn };

struct ModelConfig {
    Arch arch = Arch::Llama;
    std::string arch_name;       // "llama" / "qwen2"
    std::string name;            // general.name, informational
    int64_t n_vocab = 0;
    int64_t n_embd = 0;          // hidden size
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;       // < n_head: grouped-query attention
    int64_t head_dim = 0;        // key/value length per head
    int64_t n_ff = 0;            // feed-forward (SwiGLU) width
    int64_t n_ctx_train = 0;
    float rms_eps = 1e-5f;

    RopeOrder rope_order = RopeOrder::Normal;
    int64_t rope_dim = 0;        // rotated dims per head (<= head_dim)
    float rope_theta = 10000.0f;
    RopeScaling rope_scaling = RopeScaling::None;
    float rope_freq_scale = 1.0f;        // 1 / scaling factor
    int64_t rope_orig_ctx = 0;           // YaRN: the context the model was trained with
    float yarn_beta_fast = 32.0f, yarn_beta_slow = 1.0f;

    bool has_qkv_bias = false;   // qwen2
    bool tied_output = false;    // lm_head shares token_embd

    int64_t q_dim() const { return n_head * head_dim; }
    int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and validates the config of a GGUF model. Throws pareto::Error naming the
// missing or inconsistent key.
ModelConfig read_config(const GgufFile& file);

const char* arch_name(Arch a);

}  // namespace pareto
