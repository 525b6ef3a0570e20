// pareto-cli convert: GGUF <-> HuggingFace checkpoint folder.
//   convert -m MODEL.gguf -o DIR        (config.json, model.safetensors, tokenizer files)
//   convert -m DIR -o OUT.gguf          (a GGUF that llama.cpp and Pareto load)
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "model/convert.h"
#include "model/hf_model.h"
#include "model/model.h"
#include "util/error.h"

namespace pareto::cli {
namespace {

struct ConvertOptions {
    std::string model;
    std::string out;
    std::string outtype = "auto";
};

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_convert(const ConvertOptions& o) {
    const ConvertType type = parse_convert_type(o.outtype);
    const bool to_gguf = ends_with(o.out, ".gguf");
    const bool from_hf = is_hf_checkpoint(o.model);
    if (to_gguf == !from_hf)
        fail(std::string("convert goes from one format to the other: ") +
             (from_hf ? "a HuggingFace folder converts to an OUT.gguf file" : "a GGUF file converts to an output folder (not *.gguf)"));
    const auto model = Model::load(o.model);
    const ConvertReport r = to_gguf ? write_gguf_model(*model, o.out, type) : write_hf_checkpoint(*model, o.out, type);

    std::printf("converted %s (%s, %s) -> %s (%s)\n", o.model.c_str(), from_hf ? "HuggingFace" : "GGUF",
                model->config().arch_name.c_str(), o.out.c_str(), to_gguf ? "GGUF" : "HuggingFace folder");
    std::printf("tensors:  %zu, %s (%zu changed type)\n", r.n_tensors, format_bytes(static_cast<double>(r.tensor_bytes)).c_str(),
                r.n_converted);
    for (const std::string& note : r.notes) std::printf("note:     %s\n", note.c_str());
    for (const std::string& f : r.files) std::printf("wrote:    %s\n", f.c_str());
    return 0;
}

}  // namespace

Command add_convert(CLI::App& app) {
    auto o = std::make_shared<ConvertOptions>();
    CLI::App* sub = app.add_subcommand("convert", "Convert a GGUF model to a HuggingFace folder, or back");
    sub->add_option("-m,--model", o->model, "Input: a GGUF file or a HuggingFace folder")->required();
    sub->add_option("-o,--out", o->out, "Output: a folder (from GGUF) or OUT.gguf (from HuggingFace)")->required();
    sub->add_option("--outtype", o->outtype,
                    "auto (keep float types; quantized GGUF tensors become F32), f32, f16 or bf16")
        ->capture_default_str();
    return [o] { return run_convert(*o); };
}

}  // namespace pareto::cli
