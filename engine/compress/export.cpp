#include "compress/export.h"

#include "model/convert.h"
#include "util/error.h"

namespace pareto {
namespace {

GgufValue u32(uint64_t v) { return GgufValue::make_uint(GgufType::UINT32, v); }

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

}  // namespace

std::optional<std::string> gguf_shape_problem(const ModelConfig& c) {
    if (c.arch == Arch::Qwen2 && c.q_dim() != c.n_embd)
        return "a qwen2 model whose " + std::to_string(c.n_head) + " heads of " + std::to_string(c.head_dim) +
               " values do not span the embedding width " + std::to_string(c.n_embd) +
               " has no GGUF form: the qwen2 architecture ties the two (llama.cpp expects attn_q of " +
               std::to_string(c.n_embd) + " x " + std::to_string(c.n_embd) +
               "). Remove FFN channels only, or keep the attention heads";
    return std::nullopt;
}

GgufWriter model_gguf_writer(const Model& model, std::optional<uint32_t> file_type) {
    if (auto why = gguf_shape_problem(model.config())) fail(model.path() + ": " + *why);
    const GgufFile* src = model.gguf();
    if (!src)
        fail(model.path() + ": the model has no GGUF metadata to export with (only models read from GGUF files can be "
             "written as GGUF)");
    const ModelConfig& c = model.config();
    GgufWriter w;
    w.copy_metadata(*src);

    // The shape keys, from the config (structured pruning changes them). GGUF states
    // one FFN width and one head count for every layer, which is why structured
    // pruning removes the same number of channels and heads from each.
    const std::string a = c.arch_name + ".";
    w.set(a + "block_count", u32(static_cast<uint64_t>(c.n_layer)));
    w.set(a + "feed_forward_length", u32(static_cast<uint64_t>(c.n_ff)));
    w.set(a + "attention.head_count", u32(static_cast<uint64_t>(c.n_head)));
    w.set(a + "attention.head_count_kv", u32(static_cast<uint64_t>(c.n_head_kv)));
    // Readers derive the head size as n_embd / n_head unless told: tell them when that
    // is no longer true (heads removed), or when the source said so itself.
    if (c.head_dim * c.n_head != c.n_embd || w.find(a + "attention.key_length")) {
        w.set(a + "attention.key_length", u32(static_cast<uint64_t>(c.head_dim)));
        w.set(a + "attention.value_length", u32(static_cast<uint64_t>(c.head_dim)));
    }

    bool quantized = false;
    for (const GgufTensor& t : model.tensors().tensors()) {
        if (t.name.size() > GgufWriter::kMaxTensorName)
            fail(model.path() + ": tensor name '" + t.name + "' is longer than GGUF readers accept");
        quantized = quantized || !is_float(t.type);
        w.add_tensor_view(t.name, t.type, t.shape, std::span<const uint8_t>(t.data, t.n_bytes));
    }
    if (file_type) w.set("general.file_type", u32(*file_type));
    if (quantized) w.set("general.quantization_version", u32(2));
    return w;
}

void write_model_gguf(const Model& model, const std::string& path, std::optional<uint32_t> file_type) {
    // A model from a HuggingFace checkpoint has no GGUF metadata to copy: the
    // converter writes it from the config and tokenizer (and puts llama's Q/K rows
    // into GGUF's RoPE layout).
    if (!model.gguf()) {
        if (auto why = gguf_shape_problem(model.config())) fail(model.path() + ": " + *why);
        write_gguf_model(model, path, ConvertType::Auto);
        return;
    }
    model_gguf_writer(model, file_type).write(path);
}

}  // namespace pareto
