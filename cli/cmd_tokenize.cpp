// pareto-cli tokenize: the token ids of a text, as "[1, 2, 3]" on one line.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "format/gguf.h"
#include "model/hf_model.h"
#include "tokenizer/tokenizer.h"

namespace pareto::cli {
namespace {

struct TokenizeCliOptions {
    std::string model;
    std::string text;
    bool no_bos = false;
    bool parse_special = false;
    bool show_pieces = false;
};

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
    if (is_hf_checkpoint(path)) {
        std::error_code ec;
        const bool dir = std::filesystem::is_directory(path, ec);
        const std::string folder = dir ? path : std::filesystem::path(path).parent_path().string();
        return Tokenizer::from_hf_dir(folder.empty() ? "." : folder);
    }
    const GgufFile f = GgufFile::open(path);
    return Tokenizer::from_gguf(f);
}

int run_tokenize(const TokenizeCliOptions& o) {
    const auto tok = load_tokenizer(o.model);
    TokenizeOptions opt;
    opt.add_bos = !o.no_bos && tok->add_bos_default();
    opt.parse_special = o.parse_special;
    const auto ids = tok->encode(o.text, opt);
    std::string line = "[";
    for (size_t i = 0; i < ids.size(); ++i) line += (i ? ", " : "") + std::to_string(ids[i]);
    std::printf("%s]\n", line.c_str());
    if (o.show_pieces)
        for (TokenId id : ids) std::printf("%6d -> '%s'\n", id, tok->token_to_piece(id, true).c_str());
    return 0;
}

}  // namespace

Command add_tokenize(CLI::App& app) {
    auto o = std::make_shared<TokenizeCliOptions>();
    CLI::App* sub = app.add_subcommand("tokenize", "Print the token ids of a text");
    sub->add_option("-m,--model", o->model, "Model or vocabulary file (GGUF), or a HuggingFace folder")->required();
    sub->add_option("text", o->text, "Text to tokenize")->required();
    sub->add_flag("--no-bos", o->no_bos, "Do not prepend the BOS token");
    sub->add_flag("--special", o->parse_special, "Recognise special-token text such as <|im_start|>");
    sub->add_flag("--pieces", o->show_pieces, "Also print each token's text");
    return [o] { return run_tokenize(*o); };
}

}  // namespace pareto::cli
