#include "model/model.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "model/hf_model.h"
#include "util/error.h"
#include "util/memory.h"

namespace pareto {
namespace {

std::string layer_name(int64_t layer, const char* suffix) {
    return "blk." + std::to_string(layer) + "." + suffix;
}

void check_shape(const TensorSet& f, const GgufTensor& t, std::vector<uint64_t> expected) {
    if (t.shape != expected) {
        GgufTensor e;
        e.shape = std::move(expected);
        fail(f.source() + ": tensor '" + t.name + "' has shape " + t.shape_string() + ", expected " +
             e.shape_string());
    }
}

WeightMatrix matrix(const TensorSet& f, const std::string& name, int64_t rows, int64_t cols) {
    const GgufTensor& t = f.require(name);
    check_shape(f, t, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)});
    if (!dtype_is_computable(t.type))
        fail(f.source() + ": tensor '" + name + "' has type " + std::string(dtype_name(t.type)) +
             ", which Pareto cannot compute with (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K)");
    WeightMatrix m;
    m.data = t.data;
    m.type = t.type;
    m.rows = rows;
    m.cols = cols;
    m.row_bytes = *dtype_row_bytes(t.type, static_cast<uint64_t>(cols));
    return m;
}

// Small 1-D tensors (norms, biases) are widened to float once at load.
std::vector<float> vector_f32(const TensorSet& f, const GgufTensor& t, int64_t n) {
    check_shape(f, t, {static_cast<uint64_t>(n)});
    if (!dtype_is_computable(t.type))
        fail(f.source() + ": tensor '" + t.name + "' has unsupported type " + std::string(dtype_name(t.type)));
    std::vector<float> v(static_cast<size_t>(n));
    dequantize_row(t.type, t.data, v.data(), n);
    return v;
}

std::vector<float> vector_f32(const TensorSet& f, const std::string& name, int64_t n) {
    return vector_f32(f, f.require(name), n);
}

}  // namespace

FileLoad weight_load_for(size_t file_bytes) {
    if (const char* env = std::getenv("PARETO_WEIGHTS"); env && *env) {
        const std::string_view v(env);
        if (v == "map") return FileLoad::Map;
        if (v == "copy") return FileLoad::Copy;
        fail("PARETO_WEIGHTS must be map or copy, not '" + std::string(v) + "'");
    }
    const size_t available = available_memory_bytes();
    return available > 0 && file_bytes <= available / 2 ? FileLoad::Copy : FileLoad::Map;
}

std::unique_ptr<Model> Model::load(const std::string& path) {
    if (is_hf_checkpoint(path)) return load_hf_model(path);
    std::error_code ec;
    const auto file_bytes = std::filesystem::file_size(path, ec);
    const FileLoad how = ec ? FileLoad::Map : weight_load_for(static_cast<size_t>(file_bytes));
    auto file = std::make_shared<GgufFile>(GgufFile::open(path, how));
    ModelConfig config = read_config(*file);
    // An embedding table that is not also the output matrix is read one row per
    // token: copied, it would cost memory for rows never used. Tied, it is the output
    // matrix, streamed whole every token, and stays copied: file pages (4 KiB) stream
    // slower (qwen2-0.5b Q4_0's lm_head, 2 threads: 20-26 GB/s mapped back, 30 copied).
    // config.tied_output is only known after bind_weights, which decides the same way.
    const bool tied = file->find_tensor("output.weight") == nullptr;
    if (!tied)
        if (const GgufTensor* e = file->find_tensor("token_embd.weight")) file->map_back(*e);
    std::shared_ptr<const Tokenizer> tokenizer = Tokenizer::from_gguf(*file);
    TensorSet tensors = TensorSet::from_gguf(*file, nullptr);  // the file keeps its mapping
    return from_parts(std::move(config), std::move(tokenizer), std::move(tensors), std::move(file));
}

std::unique_ptr<Model> Model::from_parts(ModelConfig config, std::shared_ptr<const Tokenizer> tokenizer,
                                         TensorSet tensors, std::shared_ptr<const GgufFile> gguf) {
    if (!tokenizer) fail(tensors.source() + ": model has no tokenizer");
    std::unique_ptr<Model> m(new Model());
    m->gguf_ = std::move(gguf);
    m->tensors_ = std::move(tensors);
    m->config_ = std::move(config);
    m->tokenizer_ = std::move(tokenizer);
    m->bind_weights();
    return m;
}

void Model::bind_weights() {
    const TensorSet& f = tensors_;
    ModelConfig& c = config_;

    const GgufTensor& embd = f.require("token_embd.weight");
    if (embd.shape.size() != 2 || embd.shape[0] != static_cast<uint64_t>(c.n_embd))
        fail(f.source() + ": tensor 'token_embd.weight' has shape " + embd.shape_string() +
             ", expected [" + std::to_string(c.n_embd) + ", n_vocab]");
    if (c.n_vocab == 0) c.n_vocab = static_cast<int64_t>(embd.shape[1]);
    if (static_cast<uint64_t>(c.n_vocab) != embd.shape[1])
        fail(f.source() + ": vocab_size " + std::to_string(c.n_vocab) + " does not match token_embd rows " +
             std::to_string(embd.shape[1]));
    if (tokenizer_->vocab_size() > static_cast<size_t>(c.n_vocab))
        fail(f.source() + ": the tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
             " tokens but the embedding only " + std::to_string(c.n_vocab) + " rows");
    weights_.token_embd = matrix(f, "token_embd.weight", c.n_vocab, c.n_embd);
    weights_.output_norm = vector_f32(f, "output_norm.weight", c.n_embd);
    if (f.find("output.weight")) {
        weights_.output = matrix(f, "output.weight", c.n_vocab, c.n_embd);
        c.tied_output = false;
    } else {
        weights_.output = weights_.token_embd;
        c.tied_output = true;
    }
    if (const GgufTensor* rf = f.find("rope_freqs.weight"))
        weights_.rope_freq_factors = vector_f32(f, *rf, c.rope_dim / 2);

    c.has_qkv_bias = f.find("blk.0.attn_q.bias") != nullptr;
    if (c.arch == Arch::Qwen2 && !c.has_qkv_bias)
        fail(f.source() + ": qwen2 model lacks the Q/K/V biases (tensor 'blk.0.attn_q.bias' is missing)");

    weights_.layers.resize(static_cast<size_t>(c.n_layer));
    for (int64_t l = 0; l < c.n_layer; ++l) {
        LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
        w.attn_norm = vector_f32(f, layer_name(l, "attn_norm.weight"), c.n_embd);
        w.wq = matrix(f, layer_name(l, "attn_q.weight"), c.q_dim(), c.n_embd);
        w.wk = matrix(f, layer_name(l, "attn_k.weight"), c.kv_dim(), c.n_embd);
        w.wv = matrix(f, layer_name(l, "attn_v.weight"), c.kv_dim(), c.n_embd);
        if (c.has_qkv_bias) {
            w.bq = vector_f32(f, layer_name(l, "attn_q.bias"), c.q_dim());
            w.bk = vector_f32(f, layer_name(l, "attn_k.bias"), c.kv_dim());
            w.bv = vector_f32(f, layer_name(l, "attn_v.bias"), c.kv_dim());
        }
        w.wo = matrix(f, layer_name(l, "attn_output.weight"), c.n_embd, c.q_dim());
        w.ffn_norm = vector_f32(f, layer_name(l, "ffn_norm.weight"), c.n_embd);
        w.w_gate = matrix(f, layer_name(l, "ffn_gate.weight"), c.n_ff, c.n_embd);
        w.w_up = matrix(f, layer_name(l, "ffn_up.weight"), c.n_ff, c.n_embd);
        w.w_down = matrix(f, layer_name(l, "ffn_down.weight"), c.n_embd, c.n_ff);
    }
}

}  // namespace pareto
