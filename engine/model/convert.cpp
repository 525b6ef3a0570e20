#include "model/convert.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <span>

#include <nlohmann/json.hpp>

#include "format/gguf_writer.h"
#include "format/safetensors.h"
#include "model/hf_config.h"
#include "tensor/half.h"
#include "tensor/ops.h"
#include "tokenizer/hf_export.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

DType type_of(ConvertType c) {
    return c == ConvertType::F16 ? DType::F16 : c == ConvertType::BF16 ? DType::BF16 : DType::F32;
}

// Which Q/K tensors change layout, and how many heads they hold.
struct RopeRows {
    bool permute = false;
    bool to_normal = false;
    int64_t n_heads = 0;
};

RopeRows rope_rows(const ModelConfig& c, const std::string& name, bool want_normal) {
    RopeRows r;
    if (c.arch != Arch::Llama) return r;  // Qwen2 is NeoX in both formats
    const bool have_normal = c.rope_order == RopeOrder::Normal;
    if (have_normal == want_normal) return r;
    const auto ends = [&](std::string_view s) {
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (ends(".attn_q.weight") || ends(".attn_q.bias")) r.n_heads = c.n_head;
    else if (ends(".attn_k.weight") || ends(".attn_k.bias")) r.n_heads = c.n_head_kv;
    else return r;
    if (c.rope_dim != c.head_dim)
        fail("cannot convert the RoPE layout of '" + name + "': partial rotary embeddings are not supported");
    r.permute = true;
    r.to_normal = want_normal;
    return r;
}

// A tensor on its way out: the source's bytes as they are, or a converted copy.
struct OutTensor {
    std::string name;                 // in the target format
    DType type;
    std::vector<uint64_t> gguf_shape;
    std::vector<uint8_t> owned;
    std::span<const uint8_t> view;
    std::span<const uint8_t> bytes() const { return owned.empty() ? view : std::span<const uint8_t>(owned); }
};

OutTensor prepare(const GgufTensor& t, DType target, const RopeRows& rope) {
    OutTensor o;
    o.type = target;
    o.gguf_shape = t.shape;
    if (t.type == target && !rope.permute) {
        o.view = std::span<const uint8_t>(t.data, t.n_bytes);
        return o;
    }
    const auto row_len = static_cast<int64_t>(t.shape.at(0));
    const uint64_t rows = t.n_elements / static_cast<uint64_t>(row_len);
    const size_t in_row = *dtype_row_bytes(t.type, static_cast<uint64_t>(row_len));
    const size_t out_row = *dtype_row_bytes(target, static_cast<uint64_t>(row_len));
    std::vector<uint8_t> out(static_cast<size_t>(rows) * out_row);
    if (t.type == target) {
        std::copy(t.data, t.data + t.n_bytes, out.begin());
    } else {
        if (!dtype_is_computable(t.type))
            fail("tensor '" + t.name + "' has type " + std::string(dtype_name(t.type)) + ", which Pareto cannot decode");
        std::vector<float> buf(static_cast<size_t>(row_len));
        for (uint64_t r = 0; r < rows; ++r) {
            dequantize_row(t.type, t.data + r * in_row, buf.data(), row_len);
            uint8_t* dst = out.data() + r * out_row;
            for (int64_t i = 0; i < row_len; ++i) {
                if (target == DType::F32) {
                    std::memcpy(dst + 4 * i, &buf[static_cast<size_t>(i)], 4);
                } else {
                    const uint16_t h = target == DType::F16 ? f32_to_f16(buf[static_cast<size_t>(i)])
                                                            : f32_to_bf16(buf[static_cast<size_t>(i)]);
                    std::memcpy(dst + 2 * i, &h, 2);
                }
            }
        }
    }
    if (rope.permute) {
        // A matrix permutes whole rows; a bias (one row) its elements.
        const bool vector = t.shape.size() == 1;
        const uint64_t n_rows = vector ? t.n_elements : rows;
        const size_t row_bytes = vector ? out.size() / static_cast<size_t>(t.n_elements) : out_row;
        if (n_rows % static_cast<uint64_t>(rope.n_heads) != 0)
            fail("tensor '" + t.name + "' has " + std::to_string(n_rows) + " rows, not a multiple of its " +
                 std::to_string(rope.n_heads) + " heads");
        std::vector<uint8_t> permuted(out.size());
        permute_rope_rows(out.data(), permuted.data(), rope.n_heads,
                          static_cast<int64_t>(n_rows) / rope.n_heads, row_bytes, rope.to_normal);
        out = std::move(permuted);
    }
    o.owned = std::move(out);
    return o;
}

// Tensors in the order llama.cpp's converters write them: embedding, layers in
// order, then the output norm and head.
std::vector<const GgufTensor*> canonical_order(const TensorSet& set) {
    static const std::vector<std::string> layer_order = {
        "attn_norm.weight", "attn_q.weight",   "attn_q.bias",     "attn_k.weight", "attn_k.bias",   "attn_v.weight",
        "attn_v.bias",      "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"};
    auto rank = [&](const std::string& n) -> std::pair<int64_t, int64_t> {
        if (n == "token_embd.weight") return {0, 0};
        if (n == "rope_freqs.weight") return {0, 1};
        if (n == "output_norm.weight") return {int64_t{1} << 40, 0};
        if (n == "output.weight") return {int64_t{1} << 40, 1};
        if (n.rfind("blk.", 0) == 0) {
            const size_t dot = n.find('.', 4);
            const int64_t layer = std::stoll(n.substr(4, dot - 4));
            const auto it = std::find(layer_order.begin(), layer_order.end(), n.substr(dot + 1));
            return {1 + layer, it - layer_order.begin()};
        }
        return {int64_t{1} << 41, 0};
    };
    std::vector<const GgufTensor*> out;
    for (const GgufTensor& t : set.tensors()) out.push_back(&t);
    std::stable_sort(out.begin(), out.end(), [&](const GgufTensor* a, const GgufTensor* b) { return rank(a->name) < rank(b->name); });
    return out;
}

// "3 Q4_0 tensors dequantized to F32"-style notes from (from, to) counts.
void add_type_notes(const std::map<std::pair<DType, DType>, size_t>& changes, ConvertReport& report) {
    for (const auto& [ft, n] : changes) {
        const auto [from, to] = ft;
        report.n_converted += n;
        report.notes.push_back(std::to_string(n) + " " + std::string(dtype_name(from)) + " tensor" + (n == 1 ? "" : "s") +
                               (is_float(from) ? " converted to " : " dequantized to ") + std::string(dtype_name(to)));
    }
}

std::string torch_dtype_name(DType t) {
    return t == DType::F16 ? "float16" : t == DType::BF16 ? "bfloat16" : "float32";
}

}  // namespace

ConvertType parse_convert_type(const std::string& name) {
    if (name == "auto") return ConvertType::Auto;
    if (name == "f32") return ConvertType::F32;
    if (name == "f16") return ConvertType::F16;
    if (name == "bf16") return ConvertType::BF16;
    fail("unknown output type '" + name + "' (auto, f32, f16, bf16)");
}

// ---- HuggingFace -----------------------------------------------------------------------

ConvertReport write_hf_checkpoint(const Model& model, const std::string& dir, ConvertType type) {
    const ModelConfig& c = model.config();
    const Tokenizer& tok = model.tokenizer();
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) fail(dir + ": exists and is not a folder");
    fs::create_directories(dir, ec);
    if (ec) fail(dir + ": cannot create the folder: " + ec.message());
    // An index would take precedence over the model.safetensors written here.
    if (fs::exists(fs::path(dir) / safetensors::kIndexFile, ec))
        fail(dir + ": holds a sharded checkpoint (" + safetensors::kIndexFile + "); write into an empty folder");

    ConvertReport report;
    std::map<std::pair<DType, DType>, size_t> changes;
    size_t n_permuted = 0;
    std::map<DType, size_t> matrix_types;
    std::vector<OutTensor> outs;
    const bool has_rope_freqs = model.tensors().find("rope_freqs.weight") != nullptr;
    // Fails early, before any file is written, when config.json cannot hold the model.
    const std::string config_probe = hf_config_json(c, tok, has_rope_freqs, "float32");
    (void)config_probe;
    for (const GgufTensor* t : canonical_order(model.tensors())) {
        const auto hf = hf_name_of_gguf(t->name);
        if (!hf) fail(model.path() + ": tensor '" + t->name + "' has no HuggingFace name");
        const DType target = type == ConvertType::Auto ? (is_float(t->type) ? t->type : DType::F32) : type_of(type);
        const RopeRows rope = rope_rows(c, t->name, /*want_normal=*/false);
        OutTensor o = prepare(*t, target, rope);
        o.name = *hf;
        if (t->type != target) ++changes[{t->type, target}];
        if (rope.permute) ++n_permuted;
        if (t->shape.size() == 2) ++matrix_types[target];
        outs.push_back(std::move(o));
    }
    DType main_type = DType::F32;
    size_t most = 0;
    for (const auto& [t, n] : matrix_types)
        if (n > most) most = n, main_type = t;

    SafetensorsWriter w;
    w.set_metadata("format", "pt");  // transformers requires it
    for (const OutTensor& o : outs) {
        std::vector<uint64_t> hf_shape(o.gguf_shape.rbegin(), o.gguf_shape.rend());
        w.add_tensor_view(o.name, o.type, std::move(hf_shape), o.bytes());
        report.tensor_bytes += o.bytes().size();
    }
    report.n_tensors = outs.size();

    const fs::path root(dir);
    auto write_text = [&](const char* name, const std::string& text) {
        write_file_atomically((root / name).string(), text);
        report.files.push_back((root / name).string());
    };
    w.write((root / safetensors::kSingleFile).string());
    report.files.push_back((root / safetensors::kSingleFile).string());
    write_text("tokenizer.json", hf_tokenizer_json(tok));
    write_text("tokenizer_config.json", hf_tokenizer_config_json(tok, c.n_ctx_train));
    nlohmann::ordered_json gen;
    gen["_from_model_config"] = true;
    if (tok.bos()) gen["bos_token_id"] = *tok.bos();
    const auto& eog = tok.end_of_generation_ids();
    if (eog.size() == 1) gen["eos_token_id"] = eog.front();
    else if (!eog.empty()) gen["eos_token_id"] = eog;
    write_text("generation_config.json", gen.dump(2) + "\n");
    // Last, so a folder is only recognised as a model once everything is in place.
    write_text("config.json", hf_config_json(c, tok, has_rope_freqs, torch_dtype_name(main_type)));

    add_type_notes(changes, report);
    if (n_permuted)
        report.notes.push_back(std::to_string(n_permuted) + " Q/K tensors re-ordered from GGUF's RoPE layout to HuggingFace's");
    return report;
}

// ---- GGUF --------------------------------------------------------------------------

ConvertReport write_gguf_model(const Model& model, const std::string& path, ConvertType type) {
    const ModelConfig& c = model.config();
    const Tokenizer& tok = model.tokenizer();
    GgufWriter w;
    const std::string a = c.arch_name + ".";
    auto u32 = [](int64_t v) { return GgufValue::make_uint(GgufType::UINT32, static_cast<uint64_t>(v)); };
    auto f32 = [](double v) { return GgufValue::make_float(GgufType::FLOAT32, v); };
    w.add("general.architecture", GgufValue::make_string(c.arch_name));
    if (!c.name.empty()) w.add("general.name", GgufValue::make_string(c.name));
    w.add(a + "context_length", u32(c.n_ctx_train));
    w.add(a + "embedding_length", u32(c.n_embd));
    w.add(a + "block_count", u32(c.n_layer));
    w.add(a + "feed_forward_length", u32(c.n_ff));
    w.add(a + "attention.head_count", u32(c.n_head));
    w.add(a + "attention.head_count_kv", u32(c.n_head_kv));
    if (c.head_dim * c.n_head != c.n_embd) {
        w.add(a + "attention.key_length", u32(c.head_dim));
        w.add(a + "attention.value_length", u32(c.head_dim));
    }
    w.add(a + "rope.dimension_count", u32(c.rope_dim));
    w.add(a + "rope.freq_base", f32(c.rope_theta));
    w.add(a + "attention.layer_norm_rms_epsilon", f32(c.rms_eps));
    w.add(a + "vocab_size", u32(c.n_vocab));
    if (c.rope_scaling != RopeScaling::None) {
        w.add(a + "rope.scaling.type", GgufValue::make_string(c.rope_scaling == RopeScaling::Linear ? "linear" : "yarn"));
        w.add(a + "rope.scaling.factor", f32(1.0 / c.rope_freq_scale));
        w.add(a + "rope.scaling.original_context_length", u32(c.rope_orig_ctx));
    }

    // Tokenizer.
    const bool spm = tok.model_name() == "llama";
    const auto n = static_cast<TokenId>(tok.vocab_size());
    GgufValue::Array tokens, types, scores;
    tokens.reserve(static_cast<size_t>(n));
    types.reserve(static_cast<size_t>(n));
    for (TokenId i = 0; i < n; ++i) {
        tokens.push_back(GgufValue::make_string(tok.token_text(i)));
        types.push_back(GgufValue::make_int(GgufType::INT32, static_cast<int32_t>(tok.token_kind(i))));
        if (spm) scores.push_back(GgufValue::make_float(GgufType::FLOAT32, tok.token_score(i)));
    }
    w.add("tokenizer.ggml.model", GgufValue::make_string(std::string(tok.model_name())));
    w.add("tokenizer.ggml.pre", GgufValue::make_string(spm ? "default" : tok.pre_name()));
    w.add("tokenizer.ggml.tokens", GgufValue::make_array(GgufType::STRING, std::move(tokens)));
    w.add("tokenizer.ggml.token_type", GgufValue::make_array(GgufType::INT32, std::move(types)));
    if (spm) {
        w.add("tokenizer.ggml.scores", GgufValue::make_array(GgufType::FLOAT32, std::move(scores)));
    } else {
        GgufValue::Array merges;
        for (const auto& [l, r] : tok.merge_pairs()) {
            // GGUF spells a merge "left right": a part holding a space cannot be written.
            if (tok.token_text(l).find(' ') != std::string::npos || tok.token_text(r).find(' ') != std::string::npos)
                fail(path + ": the merge of tokens " + std::to_string(l) + " and " + std::to_string(r) +
                     " has a space in a part, which GGUF's \"left right\" merge strings cannot hold");
            std::string m = tok.token_text(l);
            m += ' ';
            m += tok.token_text(r);
            merges.push_back(GgufValue::make_string(std::move(m)));
        }
        w.add("tokenizer.ggml.merges", GgufValue::make_array(GgufType::STRING, std::move(merges)));
    }
    if (tok.bos()) w.add("tokenizer.ggml.bos_token_id", u32(*tok.bos()));
    if (tok.eos()) w.add("tokenizer.ggml.eos_token_id", u32(*tok.eos()));
    if (tok.unk()) w.add("tokenizer.ggml.unknown_token_id", u32(*tok.unk()));
    if (tok.pad()) w.add("tokenizer.ggml.padding_token_id", u32(*tok.pad()));
    w.add("tokenizer.ggml.add_bos_token", GgufValue::make_bool(tok.add_bos_default()));
    w.add("tokenizer.ggml.add_eos_token", GgufValue::make_bool(tok.add_eos_default()));
    if (spm) w.add("tokenizer.ggml.add_space_prefix", GgufValue::make_bool(tok.add_space_prefix()));
    if (!tok.chat_template().empty()) w.add("tokenizer.chat_template", GgufValue::make_string(tok.chat_template()));

    // Tensors.
    ConvertReport report;
    std::map<std::pair<DType, DType>, size_t> changes;
    size_t n_permuted = 0;
    std::map<DType, size_t> matrix_types;
    std::vector<OutTensor> outs;
    for (const GgufTensor* t : canonical_order(model.tensors())) {
        DType target = t->type;
        if (type != ConvertType::Auto) target = t->shape.size() == 1 ? DType::F32 : type_of(type);
        const RopeRows rope = rope_rows(c, t->name, /*want_normal=*/true);
        OutTensor o = prepare(*t, target, rope);
        o.name = t->name;
        if (t->type != target) ++changes[{t->type, target}];
        if (rope.permute) ++n_permuted;
        if (t->shape.size() == 2) ++matrix_types[target];
        outs.push_back(std::move(o));
    }
    // general.file_type: the source's when types are kept, else from the matrices.
    int64_t file_type = -1;
    if (type == ConvertType::Auto && model.gguf()) file_type = model.gguf()->get_int("general.file_type", -1);
    if (file_type < 0) {
        bool all_f32 = true, all_f16 = true, all_bf16 = true;
        for (const auto& [t, cnt] : matrix_types) {
            all_f32 = all_f32 && t == DType::F32;
            all_f16 = all_f16 && t == DType::F16;
            all_bf16 = all_bf16 && t == DType::BF16;
        }
        file_type = all_f32 ? 0 : all_f16 ? 1 : all_bf16 ? 32 : -1;  // llama.cpp's LLAMA_FTYPE values
    }
    if (file_type >= 0) w.add("general.file_type", u32(file_type));
    if (model.gguf())
        if (const GgufValue* qv = model.gguf()->find("general.quantization_version")) w.add("general.quantization_version", *qv);
    for (const OutTensor& o : outs) {
        w.add_tensor_view(o.name, o.type, o.gguf_shape, o.bytes());
        report.tensor_bytes += o.bytes().size();
    }
    report.n_tensors = outs.size();
    w.write(path);
    report.files.push_back(path);
    add_type_notes(changes, report);
    if (n_permuted)
        report.notes.push_back(std::to_string(n_permuted) + " Q/K tensors re-ordered from HuggingFace's RoPE layout to GGUF's");
    return report;
}

}  // namespace pareto
