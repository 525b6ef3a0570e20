// Fuzz target: a HuggingFace tokenizer folder holding tokenizer.json (the input up to
// its first NUL) and tokenizer_config.json (the rest, when there is a NUL). The
// tokenizer loads from files only, so they are written to a scratch folder. After a
// load, a short string is encoded and decoded.
#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    const auto [tokenizer_json, config_json] = fuzz::split_at_nul(fuzz::as_text(data, size));
    const auto dir = fuzz::scratch_dir() / "tokenizer-json";
    std::filesystem::create_directories(dir);
    fuzz::write_file(dir / "tokenizer.json", tokenizer_json);
    if (config_json.empty()) std::filesystem::remove(dir / "tokenizer_config.json");
    else fuzz::write_file(dir / "tokenizer_config.json", config_json);
    try {
        const auto tok = Tokenizer::from_hf_dir(dir.string());
        const auto ids = tok->encode("Hello world, <s> héllo\n\t 123 <|im_start|>", {.add_bos = true, .parse_special = true});
        size_t sink = tok->decode(ids, true).size();
        for (TokenId id = 0; id < static_cast<TokenId>(tok->vocab_size()) && id < 64; ++id)
            sink += tok->token_to_piece(id, true).size();
        fuzz::keep(sink);
    } catch (const Error&) {
    }
    return 0;
}
