#pragma once
// Opening a HuggingFace checkpoint folder as a Model: config.json, model.safetensors
// (or shards with model.safetensors.index.json), tokenizer.json / tokenizer_config.json.
// Weights stay in the safetensors memory maps (zero copy), under GGUF names, except
// the Q and K projections of llama models: those are copied with the rows of each
// head permuted into GGUF's RoPE layout (model/hf_config.h), so that every llama in
// memory has one layout, computes bit for bit what the GGUF file computes, and is
// written back to GGUF as it is.
#include <memory>
#include <string>

#include "model/model.h"

namespace pareto {

// True for a folder, a config.json, a .safetensors file or an index .json: the
// inputs load_hf_model takes. Anything else is taken for a GGUF file.
bool is_hf_checkpoint(const std::string& path);

// `path` is the folder or one of its files (the folder is the file's parent).
// Throws pareto::Error naming the file and the problem: unsupported architecture,
// missing config keys, missing or unexpected tensors, wrong shapes or types.
std::unique_ptr<Model> load_hf_model(const std::string& path);

}  // namespace pareto
