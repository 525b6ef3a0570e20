#pragma once
// Writing a (compressed) model as GGUF that llama.cpp and Pareto load: the metadata
// of the GGUF the model came from (tokenizer included), with the architecture keys
// set from the model's config (so a structurally pruned model states its smaller FFN
// width and head counts), general.file_type and general.quantization_version; then
// every tensor in the model's order.
#include <cstdint>
#include <optional>
#include <string>

#include "format/gguf_writer.h"
#include "model/model.h"

namespace pareto {

// Why a model of this shape has no GGUF form that llama.cpp loads, or nullopt. The
// qwen2 architecture ties the attention width to the embedding width (its loader
// expects attn_q and attn_output of n_embd x n_embd), so a qwen2 model with attention
// heads removed cannot be written; llama states key_length and takes any head count.
std::optional<std::string> gguf_shape_problem(const ModelConfig& config);

// The writer for `model` (tensors by view: the model must outlive its use). Throws
// when the model has no GGUF metadata to start from, or when its shape is one GGUF
// cannot state.
GgufWriter model_gguf_writer(const Model& model, std::optional<uint32_t> file_type = std::nullopt);

// Writes `path` atomically (see GgufWriter::write). Throws gguf_shape_problem's reason
// for a shape GGUF cannot state. A model without GGUF metadata (from
// a HuggingFace checkpoint) is written by model/convert.h's write_gguf_model, which
// builds the metadata from the config and tokenizer (general.file_type is then only
// written for all-float models).
void write_model_gguf(const Model& model, const std::string& path, std::optional<uint32_t> file_type = std::nullopt);

}  // namespace pareto
