#pragma once
// Internal to the tokenizers: a vocabulary as read from its source (GGUF metadata or
// HuggingFace files), validated, and handed to one of the two algorithms.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pareto::detail {

struct VocabSpec {
    std::string source;  // file or directory, for error messages
    std::string pre;     // pre-tokenizer family (byte-level BPE only)
    std::vector<std::string> tokens;
    std::vector<TokenKind> kinds;
    std::vector<float> scores;                                 // SentencePiece only
    std::vector<std::pair<std::string, std::string>> merges;   // byte-level BPE only, best first
    std::optional<TokenId> bos, eos, unk, pad;
    std::vector<TokenId> extra_eog;  // end-of-turn ids named by metadata (eot/eom)
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;
    std::string chat_template;
};

std::unique_ptr<Tokenizer> make_spm_tokenizer(VocabSpec spec);
std::unique_ptr<Tokenizer> make_bpe_tokenizer(VocabSpec spec);

// "<0x41>" -> 0x41, the byte a byte-fallback token stands for; -1 for other text.
int parse_byte_token(std::string_view text);

// Texts of end-of-turn tokens used by common chat formats; a control or
// user-defined token with one of these texts ends generation.
bool is_end_of_turn_text(std::string_view text);

}  // namespace pareto::detail
