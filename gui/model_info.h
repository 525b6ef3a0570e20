#pragma once
// What the Model page shows about a model file before it is loaded: its
// architecture, tokenizer and tensors grouped by layer. Read in a worker (a large
// vocabulary takes a moment), shown on the UI thread.
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace pareto::gui {

struct TensorEntry {
    std::string name;            // "blk.3.attn_q.weight"
    std::string type;            // "Q4_K"
    std::vector<uint64_t> shape; // GGUF order (shape[0] is the row length)
    uint64_t n_params = 0;
    uint64_t n_bytes = 0;
};

struct TensorGroup {
    std::string title;           // "Layer 3", or "Embeddings and output"
    int64_t layer = -1;          // -1 for the global tensors
    std::vector<TensorEntry> tensors;
    uint64_t n_params = 0;
    uint64_t n_bytes = 0;
};

struct TypeShare {
    std::string type;
    size_t n_tensors = 0;
    uint64_t n_bytes = 0;
};

struct ModelInfo {
    std::string path;
    uint64_t file_bytes = 0;
    uint32_t gguf_version = 0;
    ModelConfig config;
    std::string tokenizer_model;   // "llama" (SentencePiece) or "gpt2" (byte-level BPE)
    std::string tokenizer_pre;
    size_t vocab_size = 0;
    std::string bos, eos;          // token texts, "" when absent
    std::vector<TensorGroup> groups;  // global first, then layers in order
    std::vector<TypeShare> types;     // by bytes, largest first
    uint64_t n_params = 0;
    uint64_t weight_bytes = 0;     // every tensor's bytes
};

// Reads a GGUF file's header, config, tokenizer and tensor table, or a HuggingFace
// checkpoint folder's config.json, tokenizer and safetensors headers. Throws
// pareto::Error naming the file and the problem.
ModelInfo inspect_model(const std::string& path);

// "blk.12.attn_q.weight" -> 12; -1 for tensors outside the blocks.
int64_t layer_of(const std::string& tensor_name);

}  // namespace pareto::gui
