#pragma once
// Text <-> token ids. Built from GGUF metadata (tokenizer.ggml.*) or from a
// HuggingFace folder (tokenizer.json, or vocab.json + merges.txt). Two algorithms:
//   - "llama": SentencePiece-style BPE over scores with byte fallback (llama family);
//   - "gpt2":  byte-level BPE over merge ranks after a pre-tokenizer regex
//              (llama-bpe, qwen2, deepseek-llm, deepseek-coder, deepseek-r1-qwen, gpt-2).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pareto {

class GgufFile;
using TokenId = int32_t;

namespace detail {
struct VocabIndex;
struct VocabSpec;
struct Fragment;
}  // namespace detail

enum class TokenKind : int32_t {  // GGUF tokenizer.ggml.token_type values
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

struct TokenizeOptions {
    // Add the special tokens the vocabulary asks for: BOS when add_bos_default(),
    // EOS when add_eos_default() (llama.cpp's add_special). False gives bare text ids.
    bool add_bos = true;
    // Recognise control-token text such as "<|im_start|>" in the input. User-defined
    // tokens (added tokens that are not special) are recognised either way, as in
    // llama.cpp and HuggingFace.
    bool parse_special = false;
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Throws pareto::Error when the metadata is missing or inconsistent.
    static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);
    // A HuggingFace byte-level BPE: vocab.json + merges.txt in `dir` (tokenizer_config.json
    // there is read for special tokens when present). `pre` names the pre-tokenizer family.
    static std::unique_ptr<Tokenizer> from_hf_vocab_merges(const std::string& dir, const std::string& pre = "qwen2");
    // A HuggingFace tokenizer folder: tokenizer.json when present (byte-level BPE, or
    // Llama's SentencePiece-style BPE with byte fallback), else vocab.json + merges.txt
    // with the `pre` family; then tokenizer_config.json (special tokens, add_bos, chat
    // template) and generation_config.json (end-of-generation ids) when present.
    // Throws pareto::Error naming the file and the key it cannot use.
    static std::unique_ptr<Tokenizer> from_hf_dir(const std::string& dir, const std::string& pre = "qwen2");

    // Thread-safe: encoding keeps no state between calls.
    virtual std::vector<TokenId> encode(std::string_view text, TokenizeOptions options = {}) const = 0;

    // The bytes a token stands for. Control tokens give their text only when
    // `render_special` is set (as llama.cpp prints "<s>"); byte tokens give one byte.
    // Throws pareto::Error for an id outside the vocabulary.
    std::string token_to_piece(TokenId id, bool render_special = false) const;

    // Concatenated pieces, with the leading space a SentencePiece vocabulary adds
    // removed from the first token (so decode(encode(text)) == text). That space is
    // also dropped after a special token, where encode() adds it too.
    virtual std::string decode(const std::vector<TokenId>& ids, bool render_special = false) const;

    virtual std::string_view model_name() const = 0;  // "llama" or "gpt2"
    const std::string& pre_name() const { return pre_; }

    size_t vocab_size() const { return tokens_.size(); }
    const std::string& token_text(TokenId id) const;  // raw vocabulary string
    TokenKind token_kind(TokenId id) const;
    std::optional<TokenId> find_token(std::string_view text) const;

    std::optional<TokenId> bos() const { return bos_; }
    std::optional<TokenId> eos() const { return eos_; }
    std::optional<TokenId> unk() const { return unk_; }
    std::optional<TokenId> pad() const { return pad_; }
    bool add_bos_default() const { return add_bos_; }
    bool add_eos_default() const { return add_eos_; }
    bool add_space_prefix() const { return add_space_prefix_; }
    // End-of-generation: EOS and tokens such as <|im_end|>, <|eot_id|>, <|endoftext|>.
    bool is_end_of_generation(TokenId id) const;
    const std::vector<TokenId>& end_of_generation_ids() const { return eog_; }

    // The Jinja chat template the model was published with (GGUF
    // tokenizer.chat_template, or tokenizer_config.json's chat_template); "" if none.
    const std::string& chat_template() const { return chat_template_; }

    // For writers of other formats. SentencePiece merge scores (0 for byte-level BPE);
    // byte-level BPE merges that can apply, best first (empty for SentencePiece).
    virtual float token_score(TokenId id) const;
    virtual std::vector<std::pair<TokenId, TokenId>> merge_pairs() const { return {}; }

protected:
    Tokenizer() = default;
    // Takes the vocabulary shared by both algorithms out of `spec` and builds the
    // lookup structures. Subclasses call it from their constructor.
    void init_vocab(detail::VocabSpec& spec);
    // Throws pareto::Error unless 0 <= id < vocab_size().
    void check_id(TokenId id) const;
    // Cuts special-token text out of `text` (see detail::SpecialTokenMatcher).
    std::vector<detail::Fragment> split_special(std::string_view text, bool parse_special) const;
    const detail::VocabIndex& index() const { return *index_; }
    // The bytes of a Normal token: the algorithm's own spelling undone ("▁" for a
    // space in SentencePiece, GPT-2's byte alphabet in byte-level BPE).
    virtual std::string normal_piece(const std::string& text) const = 0;

    std::string pre_;
    std::vector<std::string> tokens_;
    std::vector<TokenKind> kinds_;
    std::optional<TokenId> bos_, eos_, unk_, pad_;
    std::vector<TokenId> eog_;
    bool add_bos_ = true;
    bool add_eos_ = false;
    bool add_space_prefix_ = false;
    std::string chat_template_;
    // shared_ptr because VocabIndex is only declared here and the destructor is inline.
    std::shared_ptr<const detail::VocabIndex> index_;
};

}  // namespace pareto
