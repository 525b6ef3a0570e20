#pragma once
// HuggingFace config.json <-> ModelConfig, and HuggingFace tensor names <-> the
// engine's (GGUF) names, for LlamaForCausalLM and Qwen2ForCausalLM.
//
// Weights need no reshaping: an HF Linear weight is [out, in] row-major, which is
// GGUF's shape [in, out] (shape[0] the row length), byte for byte. What differs is
// RoPE: HF rotates the two halves of each head (rotate_half, RopeOrder::NeoX) for
// Llama as for Qwen2, while GGUF llama files hold Q and K with the rows of each head
// permuted so that adjacent pairs rotate (RopeOrder::Normal). Both compute the same
// attention (the dot products of Q and K see the same permutation), but summed in a
// different order. parse_hf_config says NeoX, the HF layout; the loader permutes the
// llama Q/K rows into GGUF's layout and says Normal (model/hf_model.h), and the
// converters re-order rows whenever a layout and its destination disagree.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/config.h"

namespace pareto {

class Tokenizer;

struct HfConfig {
    ModelConfig config;
    bool tie_word_embeddings = false;
    std::optional<int64_t> bos_token_id;
    std::vector<int64_t> eos_token_ids;    // config.json's eos_token_id (a number or a list)
    std::vector<float> rope_freq_factors;  // [rope_dim / 2] from "llama3" rope scaling; empty otherwise
    std::string torch_dtype;               // informational
};

// Reads config.json. Throws pareto::Error naming the file and the key for a missing
// or mistyped key, an unsupported architecture or feature (sliding window, MLP bias,
// dynamic / longrope scaling, an activation other than SiLU).
HfConfig read_hf_config(const std::string& path);
HfConfig parse_hf_config(std::string_view json_text, const std::string& where);

// config.json for a model: architecture, sizes, RoPE (theta, linear / YaRN scaling),
// tied embeddings, the tokenizer's BOS/EOS ids, torch_dtype (e.g. "float32").
// Throws for what config.json cannot say (per-dimension rope_freqs factors).
std::string hf_config_json(const ModelConfig& c, const Tokenizer& tok, bool has_rope_freqs,
                           const std::string& torch_dtype);

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight". nullopt for a
// name that is not a weight of these architectures.
std::optional<std::string> gguf_name_of_hf(std::string_view hf_name);
// The inverse; nullopt for names with no HuggingFace counterpart (rope_freqs.weight).
std::optional<std::string> hf_name_of_gguf(std::string_view gguf_name);
// HF buffers that are not weights (rotary inverse frequencies some exports include).
bool is_ignored_hf_tensor(std::string_view hf_name);

// Converts the rows of a Q or K projection (or its bias) between the two RoPE
// layouts: `rows` holds n_heads * head_dim rows of row_bytes each. to_normal: HF
// (rotate halves) -> GGUF llama (adjacent pairs); else the inverse.
void permute_rope_rows(const uint8_t* src, uint8_t* dst, int64_t n_heads, int64_t head_dim, size_t row_bytes,
                       bool to_normal);

}  // namespace pareto
