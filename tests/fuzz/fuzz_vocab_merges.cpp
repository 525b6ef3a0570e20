// Fuzz target: a byte-level BPE from vocab.json (the input up to its first NUL) and
// merges.txt (the rest), written to a scratch folder as the loader reads files; then
// a short string is encoded and decoded.
#include "fuzz_support.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace pareto;
    const auto [vocab_json, merges_txt] = fuzz::split_at_nul(fuzz::as_text(data, size));
    const auto dir = fuzz::scratch_dir() / "vocab-merges";
    std::filesystem::create_directories(dir);
    fuzz::write_file(dir / "vocab.json", vocab_json);
    fuzz::write_file(dir / "merges.txt", merges_txt);
    try {
        const auto tok = Tokenizer::from_hf_vocab_merges(dir.string(), "qwen2");
        const auto ids = tok->encode("Hello world, héllo\n\t 123 <|endoftext|>", {.add_bos = true, .parse_special = true});
        size_t sink = tok->decode(ids, true).size();
        fuzz::keep(sink);
    } catch (const Error&) {
    }
    return 0;
}
