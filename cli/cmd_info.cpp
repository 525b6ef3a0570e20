// pareto-cli info: what a model file holds — architecture, hyperparameters,
// tokenizer, and every tensor grouped by layer with its type and bytes.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "format/gguf.h"
#include "model/config.h"
#include "model/hf_model.h"
#include "model/model.h"
#include "model/weight_check.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct InfoOptions {
    std::string model;
    bool metadata = false;
    bool check_weights = false;
};

// "blk.12.attn_q.weight" -> "blk.12"; other names are global tensors.
std::string group_of(const std::string& name) {
    if (name.rfind("blk.", 0) == 0) {
        const size_t dot = name.find('.', 4);
        if (dot != std::string::npos) return name.substr(0, dot);
    }
    return "global";
}

// Architecture, tokenizer and tensors, whatever the file format.
void print_model(const ModelConfig& c, const Tokenizer& tok, const std::vector<GgufTensor>& tensors, bool has_output,
                 const std::function<void()>& print_metadata) {
    std::printf("\narchitecture:   %s%s%s\n", c.arch_name.c_str(), c.name.empty() ? "" : "  name: ", c.name.c_str());
    std::printf("layers:         %lld\n", static_cast<long long>(c.n_layer));
    std::printf("hidden size:    %lld\n", static_cast<long long>(c.n_embd));
    std::printf("ffn size:       %lld\n", static_cast<long long>(c.n_ff));
    std::printf("heads:          %lld (KV heads %lld, head dim %lld)\n", static_cast<long long>(c.n_head),
                static_cast<long long>(c.n_head_kv), static_cast<long long>(c.head_dim));
    std::printf("context:        %lld (trained)\n", static_cast<long long>(c.n_ctx_train));
    std::printf("rope:           %s, dims %lld, theta %g%s\n", c.rope_order == RopeOrder::NeoX ? "neox" : "normal",
                static_cast<long long>(c.rope_dim), static_cast<double>(c.rope_theta),
                c.rope_scaling == RopeScaling::None ? "" : c.rope_scaling == RopeScaling::Linear ? ", linear scaling" : ", yarn scaling");
    std::printf("rms eps:        %g\n", static_cast<double>(c.rms_eps));
    std::printf("output:         %s\n", has_output ? "separate matrix" : "tied to token_embd");

    std::printf("\ntokenizer:      %s (pre: %s), %zu tokens", std::string(tok.model_name()).c_str(),
                tok.pre_name().c_str(), tok.vocab_size());
    if (tok.bos()) std::printf(", BOS %d '%s'", *tok.bos(), tok.token_text(*tok.bos()).c_str());
    if (tok.eos()) std::printf(", EOS %d '%s'", *tok.eos(), tok.token_text(*tok.eos()).c_str());
    std::printf(", adds BOS: %s\n", tok.add_bos_default() ? "yes" : "no");
    if (!tok.chat_template().empty()) {
        std::string family;
        try {
            family = ChatTemplate::for_tokenizer(tok).description();
        } catch (const Error&) {
            family = "not recognised";
        }
        std::printf("chat template:  %s\n", family.c_str());
    }

    if (print_metadata) print_metadata();

    // Tensors grouped by layer, in file order within a group.
    std::map<std::string, std::vector<const GgufTensor*>> groups;
    std::map<std::string, std::pair<size_t, uint64_t>> by_type;  // bytes, params
    uint64_t params = 0;
    size_t bytes = 0;
    for (const auto& t : tensors) {
        groups[group_of(t.name)].push_back(&t);
        auto& bt = by_type[std::string(dtype_name(t.type))];
        bt.first += t.n_bytes;
        bt.second += t.n_elements;
        params += t.n_elements;
        bytes += t.n_bytes;
    }
    auto print_group = [&](const std::string& g) {
        size_t gb = 0;
        for (const auto* t : groups[g]) gb += t->n_bytes;
        std::printf("\n%s  (%zu tensors, %s)\n", g.c_str(), groups[g].size(), format_bytes(static_cast<double>(gb)).c_str());
        for (const auto* t : groups[g])
            std::printf("  %-32s %-7s %-20s %12zu B\n", t->name.c_str(), std::string(dtype_name(t->type)).c_str(),
                        t->shape_string().c_str(), t->n_bytes);
    };
    if (groups.count("global")) print_group("global");
    for (int64_t l = 0; l < c.n_layer; ++l)
        if (groups.count("blk." + std::to_string(l))) print_group("blk." + std::to_string(l));

    std::printf("\nby type:\n");
    for (const auto& [type, bp] : by_type)
        std::printf("  %-8s %14llu params %12s\n", type.c_str(), static_cast<unsigned long long>(bp.second),
                    format_bytes(static_cast<double>(bp.first)).c_str());
    std::printf("total:           %llu params, %s of weights (%.2f bits per weight)\n",
                static_cast<unsigned long long>(params), format_bytes(static_cast<double>(bytes)).c_str(),
                params ? 8.0 * static_cast<double>(bytes) / static_cast<double>(params) : 0.0);
}

// Scans every weight for NaN and Inf; an error names the first one found.
void check_weights(const std::string& path) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto model = Model::load(path);
    const auto bad = find_non_finite_weight(model->tensors());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (bad)
        fail(path + ": tensor '" + bad->tensor + "' holds " + (std::isnan(bad->value) ? "NaN" : "an infinity") +
             " at element " + std::to_string(bad->index) + ": the model cannot compute finite results");
    std::printf("\nweights:        all finite (%s scanned in %.0f ms)\n",
                format_bytes(static_cast<double>(model->weight_bytes())).c_str(), ms);
}

void print_info(const InfoOptions& o) {
    if (is_hf_checkpoint(o.model)) {
        // A HuggingFace folder: what the loader makes of it (tensors under GGUF names).
        const auto model = Model::load(o.model);
        std::printf("file:           %s\n", o.model.c_str());
        std::printf("format:         HuggingFace checkpoint (safetensors), %zu tensors, %s\n",
                    model->tensors().tensors().size(), format_bytes(static_cast<double>(model->weight_bytes())).c_str());
        print_model(model->config(), model->tokenizer(), model->tensors().tensors(), !model->config().tied_output, nullptr);
        return;
    }
    const GgufFile f = GgufFile::open(o.model);
    std::printf("file:           %s\n", f.path().c_str());
    std::printf("format:         GGUF v%u, %zu metadata keys, %zu tensors, %s\n", f.version(), f.metadata().size(),
                f.tensors().size(), format_bytes(static_cast<double>(f.file_size())).c_str());
    const ModelConfig c = read_config(f);
    const auto tok = Tokenizer::from_gguf(f);
    print_model(c, *tok, f.tensors(), f.find_tensor("output.weight") != nullptr, [&] {
        if (!o.metadata) return;
        std::printf("\nmetadata:\n");
        for (const auto& [key, value] : f.metadata()) std::printf("  %-44s %s\n", key.c_str(), value.to_display().c_str());
    });
}

int run_info(const InfoOptions& o) {
    print_info(o);
    if (o.check_weights) check_weights(o.model);
    return 0;
}

}  // namespace

Command add_info(CLI::App& app) {
    auto o = std::make_shared<InfoOptions>();
    CLI::App* sub = app.add_subcommand("info", "Show a model's architecture, tokenizer and tensors");
    sub->add_option("-m,--model", o->model, "Model: a GGUF file or a HuggingFace folder")->required();
    sub->add_flag("--metadata", o->metadata, "Also list every metadata key");
    sub->add_flag("--check-weights", o->check_weights, "Scan every weight for NaN and Inf (reads the whole file)");
    return [o] { return run_info(*o); };
}

}  // namespace pareto::cli
