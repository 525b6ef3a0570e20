#pragma once
// Text <-> token ids. Built from GGUF metadata (tokenizer.ggml.*) or from a
// HuggingFace vocab.json + merges.txt pair. Two algorithms:
//   - "llama": SentencePiece-style BPE over scores with byte fallback (llama family);
//   - "gpt2":  byte-level BPE over merge ranks after a pre-tokenizer regex
//              (llama-bpe, qwen2, deepseek-llm, deepseek-coder, deepseek-r1-qwen, gpt-2).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pareto {

class GgufFile;
using TokenId = int32_t;

enum class TokenKind : int32_t {  // GGUF tokenizer.ggml.token_type values
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

struct TokenizeOptions {
    bool add_bos = true;        // prepend BOS when the vocabulary says it uses one
    bool parse_special = false; // recognise control/user-defined token text such as "<|im_start|>"
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Throws pareto::Error when the metadata is missing or inconsistent.
    static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);
    // A HuggingFace byte-level BPE: vocab.json + merges.txt in `dir` (tokenizer_config.json
    // there is read for special tokens when present). `pre` names the pre-tokenizer family.
    static std::unique_ptr<Tokenizer> from_hf_vocab_merges(const std::string& dir, const std::string& pre = "qwen2");

    virtual std::vector<TokenId> encode(std::string_view text, TokenizeOptions options = {}) const = 0;

    // The bytes a token stands for. Control tokens give their text only when
    // `render_special` is set (as llama.cpp prints "<s>"); byte tokens give one byte.
    virtual std::string token_to_piece(TokenId id, bool render_special = false) const = 0;

    // Concatenated pieces, with the leading space a SentencePiece vocabulary adds
    // removed from the first token (so decode(encode(text)) == text).
    virtual std::string decode(const std::vector<TokenId>& ids, bool render_special = false) const;

    virtual std::string_view model_name() const = 0;  // "llama" or "gpt2"
    const std::string& pre_name() const { return pre_; }

    size_t vocab_size() const { return tokens_.size(); }
    const std::string& token_text(TokenId id) const;  // raw vocabulary string
    TokenKind token_kind(TokenId id) const;
    std::optional<TokenId> find_token(std::string_view text) const;

    std::optional<TokenId> bos() const { return bos_; }
    std::optional<TokenId> eos() const { return eos_; }
    bool add_bos_default() const { return add_bos_; }
    // End-of-generation: EOS and tokens such as <|im_end|>, <|eot_id|>, <|endoftext|>.
    bool is_end_of_generation(TokenId id) const;

protected:
    std::string pre_;
    std::vector<std::string> tokens_;
    std::vector<TokenKind> kinds_;
    std::optional<TokenId> bos_, eos_;
    std::vector<TokenId> eog_;
    bool add_bos_ = true;
    bool add_space_prefix_ = false;
};

}  // namespace pareto
