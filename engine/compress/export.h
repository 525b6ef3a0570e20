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

// The writer for `model` (tensors by view: the model must outlive its use). Throws
// when the model has no GGUF metadata to start from, or when its shape is one GGUF
// cannot state.
GgufWriter model_gguf_writer(const Model& model, std::optional<uint32_t> file_type = std::nullopt);

// Writes `path` atomically (see GgufWriter::write). A model without GGUF metadata (from
// a HuggingFace checkpoint) is written by model/convert.h's write_gguf_model, which
// builds the metadata from the config and tokenizer (general.file_type is then only
// written for all-float models).
void write_model_gguf(const Model& model, const std::string& path, std::optional<uint32_t> file_type = std::nullopt);

}  // namespace pareto
