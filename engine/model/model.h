#pragma once
// A loaded decoder-only transformer (llama, qwen2). Weights stay in the file's
// memory map; the Model holds views of them, shapes annotated per field.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "model/config.h"
#include "tensor/ops.h"
#include "tokenizer/tokenizer.h"

namespace pareto {

struct LayerWeights {
    std::vector<float> attn_norm;            // [n_embd] (widened to F32 at load: tiny)
    WeightMatrix wq;                         // [q_dim rows, n_embd cols]
    WeightMatrix wk;                         // [kv_dim, n_embd]
    WeightMatrix wv;                         // [kv_dim, n_embd]
    std::vector<float> bq, bk, bv;           // [q_dim], [kv_dim], [kv_dim]; qwen2 only
    WeightMatrix wo;                         // [n_embd, q_dim]
    std::vector<float> ffn_norm;             // [n_embd]
    WeightMatrix w_gate;                     // [n_ff, n_embd]
    WeightMatrix w_up;                       // [n_ff, n_embd]
    WeightMatrix w_down;                     // [n_embd, n_ff]
};

struct ModelWeights {
    WeightMatrix token_embd;                 // [n_vocab, n_embd]
    std::vector<LayerWeights> layers;        // [n_layer]
    std::vector<float> output_norm;          // [n_embd]
    WeightMatrix output;                     // [n_vocab, n_embd]; == token_embd when tied
    std::vector<float> rope_freq_factors;    // [rope_dim / 2], llama3-style; empty if none
};

class Model {
public:
    // Opens a GGUF model: config, tokenizer and weight views. Throws pareto::Error
    // naming the file and the problem (missing tensor, wrong shape, unsupported type).
    static std::unique_ptr<Model> load(const std::string& path);

    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    const GgufFile& file() const { return file_; }
    const std::string& path() const { return file_.path(); }

    // Bytes of all weight tensors in the file.
    size_t weight_bytes() const;

private:
    explicit Model(GgufFile file) : file_(std::move(file)) {}
    void bind_weights();

    GgufFile file_;
    ModelConfig config_;
    ModelWeights weights_;
    std::unique_ptr<Tokenizer> tokenizer_;
};

}  // namespace pareto
