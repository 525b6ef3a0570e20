#include "gui/model_info.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "format/gguf.h"
#include "model/hf_model.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto::gui {

int64_t layer_of(const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    int64_t layer = 0;
    size_t i = 4;
    if (i >= name.size() || name[i] < '0' || name[i] > '9') return -1;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) layer = layer * 10 + (name[i] - '0');
    return i < name.size() && name[i] == '.' ? layer : -1;
}

namespace {

// Engine messages about a file's contents name the key or tensor; the page shows
// them without the file beside them, so the path is put in front when it is missing.
[[noreturn]] void fail_with_path(const std::string& path, const std::string& message) {
    if (message.find(path) != std::string::npos) fail(message);
    fail(path + ": " + message);
}

// The tensor table, by layer and by type: the same for every source.
void add_tensors(ModelInfo& info, const std::vector<GgufTensor>& tensors) {
    std::map<int64_t, TensorGroup> groups;
    std::map<std::string, TypeShare> types;
    for (const GgufTensor& t : tensors) {
        TensorEntry e;
        e.name = t.name;
        e.type = std::string(dtype_name(t.type));
        e.shape = t.shape;
        e.n_params = t.n_elements;
        e.n_bytes = t.n_bytes;
        const int64_t layer = layer_of(t.name);
        TensorGroup& g = groups[layer];
        g.layer = layer;
        g.n_params += e.n_params;
        g.n_bytes += e.n_bytes;
        TypeShare& s = types[e.type];
        s.type = e.type;
        s.n_tensors += 1;
        s.n_bytes += e.n_bytes;
        info.n_params += e.n_params;
        info.weight_bytes += e.n_bytes;
        g.tensors.push_back(std::move(e));
    }
    for (auto& [layer, g] : groups) {  // -1 (global) sorts first
        g.title = layer < 0 ? "Embeddings and output" : "Layer " + std::to_string(layer);
        info.groups.push_back(std::move(g));
    }
    for (auto& [name, s] : types) info.types.push_back(s);
    std::sort(info.types.begin(), info.types.end(),
              [](const TypeShare& a, const TypeShare& b) { return a.n_bytes > b.n_bytes; });
}

ModelInfo read_info(const std::string& path) {
    const GgufFile file = GgufFile::open(path);
    ModelInfo info;
    info.path = path;
    info.file_bytes = file.file_size();
    info.gguf_version = file.version();
    info.config = read_config(file);

    const auto tok = Tokenizer::from_gguf(file);
    info.tokenizer_model = std::string(tok->model_name());
    info.tokenizer_pre = tok->pre_name();
    info.vocab_size = tok->vocab_size();
    if (tok->bos()) info.bos = tok->token_text(*tok->bos());
    if (tok->eos()) info.eos = tok->token_text(*tok->eos());

    // Files without {arch}.vocab_size: the embedding's rows, as Model::load takes them.
    if (info.config.n_vocab <= 0) {
        const GgufTensor* embd = file.find_tensor("token_embd.weight");
        info.config.n_vocab = embd && embd->shape.size() == 2 ? static_cast<int64_t>(embd->shape[1])
                                                              : static_cast<int64_t>(info.vocab_size);
    }

    // Tied output: no output matrix of its own (Model::load decides the same way).
    info.config.tied_output = file.find_tensor("output.weight") == nullptr;

    add_tensors(info, file.tensors());
    return info;
}

// A HuggingFace folder: its config.json, tokenizer and safetensors headers, read by
// the loader (weights stay mapped, untouched; only Llama's Q/K rows are re-laid).
ModelInfo read_hf_info(const std::string& path) {
    const auto model = Model::load(path);
    ModelInfo info;
    info.path = path;
    info.config = model->config();
    const Tokenizer& tok = model->tokenizer();
    info.tokenizer_model = std::string(tok.model_name());
    info.tokenizer_pre = tok.pre_name();
    info.vocab_size = tok.vocab_size();
    if (tok.bos()) info.bos = tok.token_text(*tok.bos());
    if (tok.eos()) info.eos = tok.token_text(*tok.eos());
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path, ec))
        if (e.is_regular_file()) info.file_bytes += e.file_size(ec);
    add_tensors(info, model->tensors().tensors());
    return info;
}

}  // namespace

ModelInfo inspect_model(const std::string& path) {
    try {
        if (is_hf_checkpoint(path)) return read_hf_info(path);
        return read_info(path);
    } catch (const Error& e) {
        fail_with_path(path, e.what());
    }
}

}  // namespace pareto::gui
