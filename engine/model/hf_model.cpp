#include "model/hf_model.h"

#include <algorithm>
#include <filesystem>

#include "format/safetensors.h"
#include "model/hf_config.h"
#include "util/error.h"

namespace pareto {
namespace {
namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The heads of a llama Q or K projection (weight or bias); 0 for other tensors.
int64_t llama_rope_heads(const ModelConfig& c, const std::string& gguf_name) {
    if (c.arch != Arch::Llama) return 0;
    for (const char* q : {".attn_q.weight", ".attn_q.bias"})
        if (ends_with(gguf_name, q)) return c.n_head;
    for (const char* k : {".attn_k.weight", ".attn_k.bias"})
        if (ends_with(gguf_name, k)) return c.n_head_kv;
    return 0;
}
}  // namespace

bool is_hf_checkpoint(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec) || ends_with(path, ".safetensors") || ends_with(path, ".json");
}

std::unique_ptr<Model> load_hf_model(const std::string& path) {
    std::error_code ec;
    const bool is_dir = fs::is_directory(path, ec);
    if (!is_dir && !fs::exists(path, ec)) fail(path + ": cannot open: no such file or folder");
    const fs::path dir = is_dir ? fs::path(path) : fs::path(path).parent_path();
    const std::string where = dir.empty() ? std::string(".") : dir.string();
    const fs::path config_path = (dir.empty() ? fs::path(".") : dir) / "config.json";
    if (!fs::exists(config_path, ec))
        fail(where + ": no config.json here, so this is not a HuggingFace model folder");

    HfConfig hf = read_hf_config(config_path.string());
    ModelConfig& c = hf.config;
    if (c.name.empty()) c.name = fs::absolute(dir, ec).filename().string();

    // The weights: the folder's checkpoint, or exactly the file named.
    const bool whole_folder = is_dir || ends_with(path, "config.json");
    auto ckpt = std::make_shared<const SafetensorsCheckpoint>(SafetensorsCheckpoint::open(whole_folder ? where : path));

    TensorSet tensors(where);
    bool owner_added = false;
    for (const SafetensorsTensor* st : ckpt->tensors()) {
        const auto name = gguf_name_of_hf(st->name);
        if (!name) {
            if (is_ignored_hf_tensor(st->name)) continue;
            fail(ckpt->path() + ": tensor '" + st->name + "' is not a weight of " + c.arch_name +
                 " models that Pareto knows");
        }
        if (*name == "output.weight" && hf.tie_word_embeddings) continue;  // tied: the embedding serves
        GgufTensor t;
        t.name = *name;
        t.type = st->type;
        t.shape.assign(st->shape.rbegin(), st->shape.rend());  // HF [out, in] is GGUF [in, out]
        t.n_elements = st->n_elements;
        t.offset = st->begin;
        t.n_bytes = st->n_bytes();
        t.data = st->data;
        if (tensors.find(t.name)) fail(ckpt->path() + ": two tensors map to '" + t.name + "'");
        if (const int64_t heads = llama_rope_heads(c, t.name)) {
            // Into GGUF's RoPE layout (see the header): a copy of Q and K only.
            const bool vector = t.shape.size() == 1;
            const uint64_t rows = vector ? t.n_elements : t.n_elements / std::max<uint64_t>(t.shape[0], 1);
            if (rows != static_cast<uint64_t>(heads * c.head_dim))
                fail(ckpt->path() + ": tensor '" + st->name + "' has shape " + st->shape_string() + ", expected " +
                     std::to_string(heads * c.head_dim) + " rows (" + std::to_string(heads) + " heads of " +
                     std::to_string(c.head_dim) + ")");
            std::vector<uint8_t> permuted(t.n_bytes);
            permute_rope_rows(t.data, permuted.data(), heads, c.head_dim, t.n_bytes / rows, /*to_normal=*/true);
            tensors.put_owned(std::move(t), std::move(permuted));
            continue;
        }
        tensors.put(std::move(t), owner_added ? nullptr : std::shared_ptr<const void>(ckpt));
        owner_added = true;
    }
    if (c.arch == Arch::Llama) c.rope_order = RopeOrder::Normal;
    if (!hf.tie_word_embeddings && !tensors.find("output.weight"))
        fail(config_path.string() + ": tie_word_embeddings is false but the checkpoint has no lm_head.weight");
    if (!hf.rope_freq_factors.empty()) {
        GgufTensor rf;
        rf.name = "rope_freqs.weight";
        rf.type = DType::F32;
        rf.shape = {hf.rope_freq_factors.size()};
        rf.n_elements = hf.rope_freq_factors.size();
        rf.n_bytes = rf.n_elements * sizeof(float);
        const auto* p = reinterpret_cast<const uint8_t*>(hf.rope_freq_factors.data());
        tensors.put_owned(std::move(rf), std::vector<uint8_t>(p, p + hf.rope_freq_factors.size() * sizeof(float)));
    }

    std::shared_ptr<const Tokenizer> tok =
        Tokenizer::from_hf_dir(where, c.arch == Arch::Qwen2 ? "qwen2" : "llama-bpe");
    return Model::from_parts(std::move(c), std::move(tok), std::move(tensors));
}

}  // namespace pareto
