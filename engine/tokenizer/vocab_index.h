#pragma once
// Internal to the tokenizers: the text -> id index of a vocabulary and the matcher
// that cuts special-token text out of raw input before the normal algorithm runs.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pareto::detail {

// Lets unordered maps keyed by std::string be searched with a string_view without
// building a temporary string (the merge loops look up millions of substrings).
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
// Keys view the tokenizer's own token strings (which never change or move after the
// index is built), so the vocabulary is stored once.
using TokenMap = std::unordered_map<std::string_view, TokenId, StringHash, std::equal_to<>>;

// A piece of the input: raw text for the tokenizer algorithm, or a token that was
// recognised by its literal text (token >= 0).
struct Fragment {
    std::string_view text;
    TokenId token = -1;
    bool is_token() const { return token >= 0; }
};

// Finds special-token text in raw input. User-defined tokens are always recognised
// (llama.cpp and HuggingFace both treat them as added tokens that bypass the model);
// control and unknown tokens only when the caller asks for parse_special.
//
// Overlaps are resolved the way llama.cpp's partitioning does it, so results match
// its test vectors: candidates are taken longest first (ties: lower id), each one
// claiming its non-overlapping occurrences left to right in text that no earlier
// candidate has claimed. We get the same answer from one pass over the text with a
// byte trie instead of one substring search per special token.
class SpecialTokenMatcher {
public:
    SpecialTokenMatcher(const std::vector<std::string>& tokens, const std::vector<TokenKind>& kinds);

    std::vector<Fragment> split(std::string_view text, bool parse_special) const;

private:
    struct Node {
        TokenId token = -1;        // token whose text ends here
        bool always = false;       // that token is matched without parse_special
    };
    int32_t child(int32_t node, unsigned char byte) const;

    std::vector<Node> nodes_;                       // nodes_[0] is the root
    std::unordered_map<uint64_t, int32_t> edges_;   // (node << 8 | byte) -> child node
    bool first_byte_[256] = {};                     // bytes that can start a candidate
    bool any_always_ = false;
    bool any_special_ = false;
};

// Everything derived from the token list that the algorithms share.
struct VocabIndex {
    VocabIndex(const std::vector<std::string>& tokens, const std::vector<TokenKind>& kinds)
        : specials(tokens, kinds) {
        by_text.reserve(tokens.size());
        for (size_t i = 0; i < tokens.size(); ++i)
            if (!tokens[i].empty())  // placeholders for unused ids have no text
                by_text.emplace(tokens[i], static_cast<TokenId>(i));  // a duplicate keeps the lower id
    }
    TokenMap by_text;
    SpecialTokenMatcher specials;
};

}  // namespace pareto::detail
