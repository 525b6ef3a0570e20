#pragma once
// Pre-tokenizers for byte-level BPE: cut text into words before merging, so merges
// never cross a word boundary. Each family is a list of regexes applied in order
// (HuggingFace's Sequence of Split(..., "isolated")): every step splits each piece
// produced by the previous step into its matches and the gaps between them.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pareto {

class PreTokenizer {
public:
    // Throws pareto::Error for a family it does not know; the message lists the known ones.
    explicit PreTokenizer(const std::string& family);
    ~PreTokenizer();
    PreTokenizer(const PreTokenizer&) = delete;
    PreTokenizer& operator=(const PreTokenizer&) = delete;

    static bool is_known(std::string_view family);
    static std::string known_families();  // "default, gpt-2, ..." for messages

    // The regexes of a family, in order (HuggingFace's Split steps); throws for an
    // unknown family.
    static std::vector<std::string> patterns_of(std::string_view family);
    // The family whose regexes are exactly `patterns` (as a tokenizer.json lists them),
    // by the name llama.cpp uses for it ("gpt-2", "llama-bpe", "qwen2", ...).
    static std::optional<std::string> family_of(const std::vector<std::string>& patterns);

    // Pieces in order; their concatenation is `text` exactly. Invalid UTF-8 bytes
    // are kept (they match no pattern, so they end up in gap pieces). Thread-safe.
    std::vector<std::string_view> split(std::string_view text) const;

private:
    class Regex;
    std::vector<std::unique_ptr<Regex>> steps_;
};

}  // namespace pareto
