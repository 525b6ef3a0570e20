#pragma once
// Writing a Model in the other format: a HuggingFace checkpoint folder, or a GGUF
// file that llama.cpp and Pareto load. Each file is written atomically.
//
// Q and K of llama models are converted between RoPE layouts on the way (see
// model/hf_config.h): GGUF llama files hold them permuted for adjacent-pair rotation,
// HuggingFace checkpoints do not. A model knows its layout from config().rope_order.
#include <cstddef>
#include <string>
#include <vector>

#include "model/model.h"

namespace pareto {

enum class ConvertType {
    Auto,  // F32/F16/BF16 tensors keep their type; quantized ones become F32
    F32,
    F16,
    BF16,
};
// "auto", "f32", "f16", "bf16"; throws for other names.
ConvertType parse_convert_type(const std::string& name);

struct ConvertReport {
    std::vector<std::string> files;  // written, in order
    size_t n_tensors = 0;
    size_t tensor_bytes = 0;         // of the written tensors
    size_t n_converted = 0;          // tensors whose type changed
    std::vector<std::string> notes;  // what was changed, for the user ("12 Q4_0 tensors dequantized to F32")
};

// config.json, generation_config.json, model.safetensors, tokenizer.json and
// tokenizer_config.json in `dir` (created if needed). HF checkpoints hold float
// tensors only: quantized GGUF types are dequantized (to F32 with Auto). With F16/BF16
// every tensor is converted, as HF checkpoints keep one dtype.
ConvertReport write_hf_checkpoint(const Model& model, const std::string& dir, ConvertType type = ConvertType::Auto);

// A GGUF v3 file: the architecture's metadata, the tokenizer (tokens, types, scores
// or merges, special ids, chat template) and the tensors. With F16/BF16 the matrices
// are converted and the 1-D tensors (norms, biases) stay F32, as llama.cpp writes them.
ConvertReport write_gguf_model(const Model& model, const std::string& path, ConvertType type = ConvertType::Auto);

}  // namespace pareto
