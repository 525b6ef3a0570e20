#pragma once
// A loaded decoder-only transformer (llama, qwen2). Weights stay in the file's
// memory map; the Model holds views of them, shapes annotated per field.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/gguf.h"
#include "model/config.h"
#include "model/tensor_set.h"
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

// How Model::load holds a GGUF file of `file_bytes`: copied into huge pages when it
// takes at most half of the available memory (decode streams them faster), else
// memory-mapped. The environment variable PARETO_WEIGHTS=map|copy overrides.
FileLoad weight_load_for(size_t file_bytes);

class Model {
public:
    // Opens a model: a GGUF file, or a HuggingFace checkpoint (a folder, its
    // config.json or a .safetensors file; model/hf_model.h). Config, tokenizer and
    // weight views. Throws pareto::Error naming the file and the problem (missing
    // tensor, wrong shape, unsupported type). A GGUF file's bytes are held as
    // weight_load_for() says.
    static std::unique_ptr<Model> load(const std::string& path);

    // A model from parts any loader or transformation produced: a HuggingFace
    // checkpoint, or a compressed copy of another model (which may share its
    // tokenizer and GGUF metadata). `gguf` may be null. Validates shapes and types
    // exactly as load() does.
    static std::unique_ptr<Model> from_parts(ModelConfig config, std::shared_ptr<const Tokenizer> tokenizer,
                                             TensorSet tensors, std::shared_ptr<const GgufFile> gguf = nullptr);

    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    const std::shared_ptr<const Tokenizer>& shared_tokenizer() const { return tokenizer_; }
    const TensorSet& tensors() const { return tensors_; }
    // The GGUF file the model (or the model it was derived from) was read from, for
    // its metadata; null for other sources.
    const GgufFile* gguf() const { return gguf_.get(); }
    const std::shared_ptr<const GgufFile>& shared_gguf() const { return gguf_; }
    const std::string& path() const { return tensors_.source(); }

    // Bytes of all weight tensors.
    size_t weight_bytes() const { return tensors_.total_bytes(); }

private:
    Model() = default;
    void bind_weights();

    std::shared_ptr<const GgufFile> gguf_;
    TensorSet tensors_;
    ModelConfig config_;
    ModelWeights weights_;
    std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace pareto
