#include "model/hf_config.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto {
namespace {

using nlohmann::json;

struct Reader {
    const json& j;
    std::string where;

    const json* find(const char* key) const {
        const auto it = j.find(key);
        return it == j.end() || it->is_null() ? nullptr : &*it;
    }
    [[noreturn]] void bad(const char* key, const std::string& problem) const {
        fail(where + ": '" + key + "' " + problem);
    }
    int64_t integer(const char* key, int64_t lo, int64_t hi) const {
        const json* v = find(key);
        if (!v) fail(where + ": required key '" + key + "' is missing");
        if (!v->is_number_integer()) bad(key, "should be an integer, not " + v->dump());
        const int64_t x = v->get<int64_t>();
        if (x < lo || x > hi)
            bad(key, "= " + std::to_string(x) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return x;
    }
    int64_t integer_or(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
        return find(key) ? integer(key, lo, hi) : fallback;
    }
    double number_or(const char* key, double fallback) const {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_number()) bad(key, "should be a number, not " + v->dump());
        return v->get<double>();
    }
    bool boolean_or(const char* key, bool fallback) const {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_boolean()) bad(key, "should be true or false, not " + v->dump());
        return v->get<bool>();
    }
    std::string string_or(const char* key, std::string fallback) const {
        const json* v = find(key);
        if (!v) return fallback;
        if (!v->is_string()) bad(key, "should be a string, not " + v->dump());
        return v->get<std::string>();
    }
};

constexpr int64_t kBig = int64_t{1} << 20;

struct ArchInfo {
    const char* hf_class;
    const char* model_type;
    Arch arch;
};
constexpr ArchInfo kArchs[] = {{"LlamaForCausalLM", "llama", Arch::Llama}, {"Qwen2ForCausalLM", "qwen2", Arch::Qwen2}};

// HF "llama3" scaling as per-frequency divisors: long wavelengths are stretched by
// `factor`, short ones kept, those between blended smoothly.
std::vector<float> llama3_factors(const Reader& r, const json& s, const ModelConfig& c) {
    const Reader rs{s, r.where + ": rope_scaling"};
    const double factor = rs.number_or("factor", 0.0);
    const double low = rs.number_or("low_freq_factor", 1.0);
    const double high = rs.number_or("high_freq_factor", 4.0);
    const double old_ctx = static_cast<double>(rs.integer_or("original_max_position_embeddings", 8192, 1, int64_t{1} << 24));
    if (!(factor > 0.0) || !(high > low)) fail(r.where + ": rope_scaling (llama3) needs factor > 0 and high_freq_factor > low_freq_factor");
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    std::vector<float> f(static_cast<size_t>(c.rope_dim / 2));
    for (size_t i = 0; i < f.size(); ++i) {
        const double freq = std::pow(static_cast<double>(c.rope_theta), -2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
        const double wavelen = 2.0 * std::numbers::pi / freq;
        if (wavelen < high_wavelen) f[i] = 1.0f;
        else if (wavelen > low_wavelen) f[i] = static_cast<float>(factor);
        else {
            const double smooth = (old_ctx / wavelen - low) / (high - low);
            f[i] = static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth));
        }
    }
    return f;
}

void read_rope_scaling(const Reader& r, HfConfig& h) {
    const json* s = r.find("rope_scaling");
    if (!s) return;
    if (!s->is_object()) r.bad("rope_scaling", "should be an object or null");
    ModelConfig& c = h.config;
    const Reader rs{*s, r.where + ": rope_scaling"};
    std::string type = rs.string_or("rope_type", rs.string_or("type", ""));
    if (type.empty()) fail(r.where + ": rope_scaling has no 'rope_type' (or 'type')");
    if (type == "default") return;
    if (type == "llama3") {
        h.rope_freq_factors = llama3_factors(r, *s, c);
        return;
    }
    const double factor = rs.number_or("factor", 0.0);
    if (!(factor > 0.0)) fail(r.where + ": rope_scaling 'factor' must be a positive number");
    if (type == "linear") {
        c.rope_scaling = RopeScaling::Linear;
    } else if (type == "yarn") {
        c.rope_scaling = RopeScaling::Yarn;
        c.rope_orig_ctx = rs.integer_or("original_max_position_embeddings", c.n_ctx_train, 1, int64_t{1} << 24);
        c.yarn_beta_fast = static_cast<float>(rs.number_or("beta_fast", 32.0));
        c.yarn_beta_slow = static_cast<float>(rs.number_or("beta_slow", 1.0));
        if (rs.find("attention_factor") || rs.find("mscale") || rs.find("mscale_all_dim"))
            fail(r.where + ": rope_scaling (yarn) with attention_factor / mscale is not supported");
    } else {
        fail(r.where + ": rope_scaling type '" + type + "' is not supported (supported: default, linear, yarn, llama3)");
    }
    c.rope_freq_scale = static_cast<float>(1.0 / factor);
}

std::vector<int64_t> id_list(const Reader& r, const char* key) {
    const json* v = r.find(key);
    if (!v) return {};
    const json list = v->is_array() ? *v : json::array({*v});
    std::vector<int64_t> out;
    for (const json& x : list) {
        if (!x.is_number_integer() || x.get<int64_t>() < 0) r.bad(key, "should be a token id or a list of them");
        out.push_back(x.get<int64_t>());
    }
    return out;
}

// The shortest decimal that reads back as the same float: 1e-05, not 9.99999974e-06.
double shortest(float f) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, f);
    return std::strtod(std::string(buf, res.ptr).c_str(), nullptr);
}

}  // namespace

HfConfig parse_hf_config(std::string_view text, const std::string& where) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        fail(where + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) fail(where + ": expected a JSON object");
    const Reader r{j, where};
    HfConfig h;
    ModelConfig& c = h.config;

    // The architecture: the first listed class Pareto supports, else model_type.
    const ArchInfo* arch = nullptr;
    std::string named;
    if (const json* a = r.find("architectures")) {
        if (!a->is_array()) r.bad("architectures", "should be a list of class names");
        for (const json& name : *a) {
            if (!name.is_string()) r.bad("architectures", "should be a list of class names");
            if (named.empty()) named = name.get<std::string>();
            for (const ArchInfo& info : kArchs)
                if (!arch && name.get<std::string>() == info.hf_class) arch = &info;
        }
    }
    if (!arch && named.empty()) {
        named = r.string_or("model_type", "");
        for (const ArchInfo& info : kArchs)
            if (named == info.model_type) arch = &info;
        if (named.empty()) fail(where + ": neither 'architectures' nor 'model_type' says what the model is");
    }
    if (!arch)
        fail(where + ": architecture '" + named + "' is not supported (supported: LlamaForCausalLM, Qwen2ForCausalLM)");
    c.arch = arch->arch;
    c.arch_name = arch->model_type;
    c.name = r.string_or("_name_or_path", "");

    c.n_embd = r.integer("hidden_size", 1, kBig);
    c.n_layer = r.integer("num_hidden_layers", 1, 4096);
    c.n_head = r.integer("num_attention_heads", 1, 4096);
    c.n_head_kv = r.integer_or("num_key_value_heads", c.n_head, 1, c.n_head);
    if (c.n_head % c.n_head_kv != 0)
        fail(where + ": num_attention_heads " + std::to_string(c.n_head) + " is not a multiple of num_key_value_heads " +
             std::to_string(c.n_head_kv));
    if (!r.find("head_dim") && c.n_embd % c.n_head != 0)
        fail(where + ": hidden_size " + std::to_string(c.n_embd) + " is not a multiple of num_attention_heads and no head_dim is given");
    c.head_dim = r.integer_or("head_dim", c.n_embd / c.n_head, 1, kBig);
    c.n_ff = r.integer("intermediate_size", 1, kBig);
    const bool qwen2 = c.arch == Arch::Qwen2;
    c.n_ctx_train = r.integer_or("max_position_embeddings", qwen2 ? 32768 : 2048, 1, int64_t{1} << 24);
    c.rms_eps = static_cast<float>(r.number_or("rms_norm_eps", 1e-6));
    if (!(c.rms_eps > 0.0f && c.rms_eps < 1.0f)) fail(where + ": 'rms_norm_eps' is not in (0, 1)");
    c.rope_theta = static_cast<float>(r.number_or("rope_theta", 10000.0));
    if (!(c.rope_theta > 1.0f)) fail(where + ": 'rope_theta' must be greater than 1");
    // HF applies rotate_half to Llama and Qwen2 alike (see the header).
    c.rope_order = RopeOrder::NeoX;
    c.rope_dim = c.head_dim;
    if (r.number_or("partial_rotary_factor", 1.0) != 1.0) fail(where + ": 'partial_rotary_factor' other than 1 is not supported");
    if (c.head_dim % 2 != 0) fail(where + ": the head dimension must be even for RoPE");
    c.rope_orig_ctx = c.n_ctx_train;
    read_rope_scaling(r, h);
    c.n_vocab = r.integer_or("vocab_size", 0, 1, int64_t{1} << 24);  // else taken from the embedding

    const std::string act = r.string_or("hidden_act", "silu");
    if (act != "silu") fail(where + ": 'hidden_act' is \"" + act + "\"; only silu (SwiGLU) is supported");
    if (r.boolean_or("mlp_bias", false)) fail(where + ": 'mlp_bias' true is not supported");
    if (qwen2 && r.boolean_or("use_sliding_window", false))
        fail(where + ": 'use_sliding_window' true (sliding-window attention) is not supported");
    h.tie_word_embeddings = r.boolean_or("tie_word_embeddings", false);
    c.tied_output = h.tie_word_embeddings;
    if (const auto bos = id_list(r, "bos_token_id"); !bos.empty()) h.bos_token_id = bos.front();
    h.eos_token_ids = id_list(r, "eos_token_id");
    h.torch_dtype = r.string_or("torch_dtype", r.string_or("dtype", ""));
    return h;
}

HfConfig read_hf_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open (a HuggingFace model folder needs config.json)");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_hf_config(ss.str(), path);
}

std::string hf_config_json(const ModelConfig& c, const Tokenizer& tok, bool has_rope_freqs,
                           const std::string& torch_dtype) {
    if (has_rope_freqs)
        fail("config.json cannot express per-dimension RoPE factors (rope_freqs.weight) that are not llama3 scaling "
             "parameters; this model cannot be written as a HuggingFace checkpoint");
    const bool qwen2 = c.arch == Arch::Qwen2;
    if (c.rope_dim != c.head_dim) fail("config.json: partial rotary embeddings (rope_dim < head_dim) are not supported");
    nlohmann::ordered_json j;
    j["architectures"] = {qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
    j["model_type"] = qwen2 ? "qwen2" : "llama";
    j["hidden_size"] = c.n_embd;
    j["intermediate_size"] = c.n_ff;
    j["num_hidden_layers"] = c.n_layer;
    j["num_attention_heads"] = c.n_head;
    j["num_key_value_heads"] = c.n_head_kv;
    if (c.head_dim * c.n_head != c.n_embd) j["head_dim"] = c.head_dim;
    j["hidden_act"] = "silu";
    j["max_position_embeddings"] = c.n_ctx_train;
    j["rms_norm_eps"] = shortest(c.rms_eps);
    j["rope_theta"] = shortest(c.rope_theta);
    if (c.rope_scaling == RopeScaling::None) {
        j["rope_scaling"] = nullptr;
    } else {
        const double factor = shortest(1.0f / c.rope_freq_scale);
        if (c.rope_scaling == RopeScaling::Linear) {
            j["rope_scaling"] = {{"rope_type", "linear"}, {"type", "linear"}, {"factor", factor}};
        } else {
            j["rope_scaling"] = {{"rope_type", "yarn"}, {"type", "yarn"}, {"factor", factor},
                                 {"original_max_position_embeddings", c.rope_orig_ctx},
                                 {"beta_fast", shortest(c.yarn_beta_fast)}, {"beta_slow", shortest(c.yarn_beta_slow)}};
        }
    }
    j["tie_word_embeddings"] = c.tied_output;
    j["vocab_size"] = c.n_vocab;
    j["bos_token_id"] = tok.bos() ? nlohmann::ordered_json(*tok.bos()) : nlohmann::ordered_json(nullptr);
    j["eos_token_id"] = tok.eos() ? nlohmann::ordered_json(*tok.eos()) : nlohmann::ordered_json(nullptr);
    if (!qwen2) j["attention_bias"] = c.has_qkv_bias;
    if (qwen2) {
        j["use_sliding_window"] = false;
        j["sliding_window"] = c.n_ctx_train;
        j["max_window_layers"] = c.n_layer;
    }
    j["torch_dtype"] = torch_dtype;
    j["use_cache"] = true;
    if (!c.name.empty()) j["_name_or_path"] = c.name;
    return j.dump(2) + "\n";
}

// ---- tensor names ----------------------------------------------------------------------

namespace {

struct NamePair {
    const char* hf;    // after "model.layers.N." for layer tensors
    const char* gguf;  // after "blk.N."
};

constexpr NamePair kGlobal[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

constexpr NamePair kLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// "<prefix>N.<rest>" -> (N, rest), N a plain decimal below 2^20.
std::optional<std::pair<int64_t, std::string_view>> split_layer(std::string_view name, std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
    name.remove_prefix(prefix.size());
    const size_t dot = name.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot > 7) return std::nullopt;
    int64_t n = 0;
    for (char ch : name.substr(0, dot)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        n = n * 10 + (ch - '0');
    }
    if (dot > 1 && name[0] == '0') return std::nullopt;  // "01" is not a layer number
    return std::pair{n, name.substr(dot + 1)};
}

}  // namespace

std::optional<std::string> gguf_name_of_hf(std::string_view hf) {
    for (const NamePair& p : kGlobal)
        if (hf == p.hf) return std::string(p.gguf);
    if (const auto layer = split_layer(hf, "model.layers."))
        for (const NamePair& p : kLayer)
            if (layer->second == p.hf) return "blk." + std::to_string(layer->first) + "." + p.gguf;
    return std::nullopt;
}

std::optional<std::string> hf_name_of_gguf(std::string_view gguf) {
    for (const NamePair& p : kGlobal)
        if (gguf == p.gguf) return std::string(p.hf);
    if (const auto layer = split_layer(gguf, "blk."))
        for (const NamePair& p : kLayer)
            if (layer->second == p.gguf) return "model.layers." + std::to_string(layer->first) + "." + p.hf;
    return std::nullopt;
}

bool is_ignored_hf_tensor(std::string_view hf) {
    const std::string_view suffix = "self_attn.rotary_emb.inv_freq";
    return hf.size() >= suffix.size() && hf.substr(hf.size() - suffix.size()) == suffix;
}

void permute_rope_rows(const uint8_t* src, uint8_t* dst, int64_t n_heads, int64_t head_dim, size_t row_bytes,
                       bool to_normal) {
    const int64_t half = head_dim / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        const int64_t base = h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            for (int64_t s = 0; s < 2; ++s) {
                const int64_t halves = base + s * half + i;  // HF: first halves, then second halves
                const int64_t pairs = base + 2 * i + s;      // GGUF llama: adjacent pairs
                const int64_t from = to_normal ? halves : pairs;
                const int64_t to = to_normal ? pairs : halves;
                std::memcpy(dst + static_cast<size_t>(to) * row_bytes, src + static_cast<size_t>(from) * row_bytes,
                            row_bytes);
            }
        }
    }
}

}  // namespace pareto
