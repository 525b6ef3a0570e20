// The algorithm-independent half of Tokenizer, and reading a vocabulary from GGUF
// metadata (tokenizer.ggml.*) with every inconsistency reported by key name.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "format/gguf.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/vocab_index.h"
#include "util/error.h"

namespace pareto {

namespace detail {

int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int v = 0;
    for (char c : text.substr(3, 2)) {
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else return -1;
    }
    return v;
}

bool is_end_of_turn_text(std::string_view text) {
    static constexpr std::array<std::string_view, 10> kTexts = {
        "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>", "<|end|>",
        "<end_of_turn>", "<|EOT|>", "<EOT>",
        "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",  // <｜end▁of▁sentence｜>
    };
    return std::find(kTexts.begin(), kTexts.end(), text) != kTexts.end();
}

}  // namespace detail

// ---- shared behaviour -------------------------------------------------------------

void Tokenizer::init_vocab(detail::VocabSpec& spec) {
    pre_ = spec.pre;
    tokens_ = std::move(spec.tokens);
    kinds_ = std::move(spec.kinds);
    kinds_.resize(tokens_.size(), TokenKind::Normal);
    bos_ = spec.bos;
    eos_ = spec.eos;
    unk_ = spec.unk;
    pad_ = spec.pad;
    add_bos_ = spec.add_bos && bos_.has_value();
    add_eos_ = spec.add_eos && eos_.has_value();
    add_space_prefix_ = spec.add_space_prefix;
    chat_template_ = std::move(spec.chat_template);
    index_ = std::make_shared<const detail::VocabIndex>(tokens_, kinds_);

    // End of generation: EOS, ids the metadata names, and the chat formats'
    // end-of-turn tokens when the vocabulary marks them special.
    auto add_eog = [&](TokenId id) {
        if (std::find(eog_.begin(), eog_.end(), id) == eog_.end()) eog_.push_back(id);
    };
    if (eos_) add_eog(*eos_);
    for (TokenId id : spec.extra_eog) add_eog(id);
    for (size_t i = 0; i < tokens_.size(); ++i) {
        const TokenKind k = kinds_[i];
        if ((k == TokenKind::Control || k == TokenKind::UserDefined) && detail::is_end_of_turn_text(tokens_[i]))
            add_eog(static_cast<TokenId>(i));
    }
}

void Tokenizer::check_id(TokenId id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size())
        fail("token id " + std::to_string(id) + " is out of range (the vocabulary has " +
             std::to_string(tokens_.size()) + " tokens)");
}

const std::string& Tokenizer::token_text(TokenId id) const {
    check_id(id);
    return tokens_[id];
}

TokenKind Tokenizer::token_kind(TokenId id) const {
    check_id(id);
    return kinds_[id];
}

std::optional<TokenId> Tokenizer::find_token(std::string_view text) const {
    const auto it = index_->by_text.find(text);
    if (it == index_->by_text.end()) return std::nullopt;
    return it->second;
}

float Tokenizer::token_score(TokenId id) const {
    check_id(id);
    return 0.0f;
}

bool Tokenizer::is_end_of_generation(TokenId id) const {
    return std::find(eog_.begin(), eog_.end(), id) != eog_.end();
}

std::vector<detail::Fragment> Tokenizer::split_special(std::string_view text, bool parse_special) const {
    return index_->specials.split(text, parse_special);
}

std::string Tokenizer::token_to_piece(TokenId id, bool render_special) const {
    check_id(id);
    const std::string& text = tokens_[static_cast<size_t>(id)];
    switch (kinds_[static_cast<size_t>(id)]) {
        case TokenKind::Control:
        case TokenKind::Unknown:
        case TokenKind::Unused:
            return render_special ? text : std::string();
        case TokenKind::UserDefined:
            // Added tokens are matched literally in the input (never byte-spelled or
            // space-marked), so they are given back literally.
            return text;
        case TokenKind::Byte: {
            const int b = detail::parse_byte_token(text);
            return b >= 0 ? std::string(1, static_cast<char>(b)) : text;
        }
        case TokenKind::Normal:
        case TokenKind::Undefined:
            break;
    }
    return normal_piece(text);
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool render_special) const {
    std::string text;
    // encode() put a space in front of the text and after each special token; drop
    // it from the next normal token's piece.
    bool strip = add_space_prefix_;
    for (TokenId id : ids) {
        std::string piece = token_to_piece(id, render_special);
        const TokenKind k = kinds_[id];
        if (k == TokenKind::Control || k == TokenKind::UserDefined || k == TokenKind::Unknown) {
            strip = add_space_prefix_;
        } else if (k != TokenKind::Unused) {
            if (strip && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
            strip = false;
        }
        text += piece;
    }
    return text;
}

// ---- GGUF -------------------------------------------------------------------------

namespace {

constexpr std::string_view kPrefix = "tokenizer.ggml.";

std::string key(std::string_view name) { return std::string(kPrefix) + std::string(name); }

// Reads an optional token id. Converters write -1 or 0xFFFFFFFF for "none".
std::optional<TokenId> read_token_id(const GgufFile& f, std::string_view name, size_t n_tokens) {
    const std::string k = key(name);
    const GgufValue* v = f.find(k);
    if (!v) return std::nullopt;
    const int64_t id = v->as_int(f.path() + ": metadata '" + k + "'");
    if (id == -1 || id == 0xFFFFFFFFll) return std::nullopt;
    if (id < 0 || static_cast<uint64_t>(id) >= n_tokens)
        fail(f.path() + ": metadata '" + k + "' = " + std::to_string(id) + " is out of range (the vocabulary has " +
             std::to_string(n_tokens) + " tokens)");
    return static_cast<TokenId>(id);
}

// An array of `element` values (any integer type for kInteger, any number for
// kNumber) whose length must equal the token count (unless expected_size is 0).
enum class Elements { kString, kInteger, kNumber };

const GgufValue& read_array(const GgufFile& f, std::string_view name, size_t expected_size, Elements element) {
    const std::string k = key(name);
    const GgufValue& v = f.require(k);
    const size_t n = v.array_size(f.path() + ": metadata '" + k + "'");
    const GgufType t = v.element_type();
    const bool is_int = t == GgufType::UINT8 || t == GgufType::INT8 || t == GgufType::UINT16 ||
                        t == GgufType::INT16 || t == GgufType::UINT32 || t == GgufType::INT32 ||
                        t == GgufType::UINT64 || t == GgufType::INT64;
    const bool ok = element == Elements::kString    ? t == GgufType::STRING
                    : element == Elements::kInteger ? is_int
                                                    : is_int || t == GgufType::FLOAT32 || t == GgufType::FLOAT64;
    if (!ok)
        fail(f.path() + ": metadata '" + k + "' should be an array of " +
             (element == Elements::kString ? "strings" : element == Elements::kInteger ? "integers" : "numbers") +
             " but holds " + std::string(gguf_type_name(t)));
    if (expected_size != 0 && n != expected_size)
        fail(f.path() + ": metadata '" + k + "' has " + std::to_string(n) + " entries but '" + key("tokens") +
             "' has " + std::to_string(expected_size));
    return v;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
    detail::VocabSpec spec;
    spec.source = f.path();
    const std::string where = f.path() + ": ";
    const std::string model = f.require(key("model")).as_string(where + "metadata '" + key("model") + "'");
    if (model != "llama" && model != "gpt2")
        fail(where + "metadata '" + key("model") + "' is \"" + model +
             "\"; supported tokenizers are \"llama\" (SentencePiece) and \"gpt2\" (byte-level BPE)");
    const bool spm = model == "llama";

    // Tokens.
    const std::string tokens_key = key("tokens");
    const GgufValue& tokens = read_array(f, "tokens", 0, Elements::kString);
    const size_t n = tokens.array_size();
    if (n == 0) fail(where + "metadata '" + tokens_key + "' is empty");
    if (n > static_cast<size_t>(std::numeric_limits<TokenId>::max()))
        fail(where + "metadata '" + tokens_key + "' has too many entries");
    spec.tokens.reserve(n);
    for (size_t i = 0; i < n; ++i) spec.tokens.emplace_back(tokens.string_at(i));

    // Kinds: GGUF token_type values 0..6; absent means normal (bytes recognised by form).
    spec.kinds.assign(n, TokenKind::Normal);
    if (f.find(key("token_type"))) {
        const GgufValue& types = read_array(f, "token_type", n, Elements::kInteger);
        for (size_t i = 0; i < n; ++i) {
            const int64_t t = types.int_at(i);
            if (t < 0 || t > static_cast<int64_t>(TokenKind::Byte))
                fail(where + "metadata '" + key("token_type") + "' entry " + std::to_string(i) + " is " +
                     std::to_string(t) + " (valid types are 0 to 6)");
            spec.kinds[i] = static_cast<TokenKind>(t);
        }
    } else if (spm) {
        for (size_t i = 0; i < n; ++i)
            if (detail::parse_byte_token(spec.tokens[i]) >= 0) spec.kinds[i] = TokenKind::Byte;
    }

    if (spm) {
        // SentencePiece merges by score, so scores are not optional.
        const GgufValue& scores = read_array(f, "scores", n, Elements::kNumber);
        spec.scores.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            const double v = scores.float_at(i);
            // A NaN would break the merge queue's ordering: rank it below everything.
            constexpr double lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
            spec.scores.push_back(std::isnan(v) ? -std::numeric_limits<float>::infinity()
                                                : static_cast<float>(std::clamp(v, lo, hi)));
        }
    } else {
        const GgufValue& merges = read_array(f, "merges", 0, Elements::kString);
        spec.merges.reserve(merges.array_size());
        for (size_t i = 0; i < merges.array_size(); ++i) {
            const std::string_view m = merges.string_at(i);
            // "left right"; search from 1 so that a left part starting with ' ' still works.
            const size_t sp = m.find(' ', 1);
            if (sp == std::string::npos || sp + 1 >= m.size())
                fail(where + "metadata '" + key("merges") + "' entry " + std::to_string(i) + " (\"" + std::string(m) +
                     "\") is not two tokens separated by a space");
            spec.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
        }
    }

    spec.bos = read_token_id(f, "bos_token_id", n);
    spec.eos = read_token_id(f, "eos_token_id", n);
    spec.unk = read_token_id(f, "unknown_token_id", n);
    spec.pad = read_token_id(f, "padding_token_id", n);
    for (std::string_view extra : {"eot_token_id", "eom_token_id"})
        if (auto id = read_token_id(f, extra, n)) spec.extra_eog.push_back(*id);

    if (spm) {
        // Llama's SentencePiece ids when a converter left them out.
        auto fallback = [&](std::optional<TokenId>& id, std::string_view name, TokenId value) {
            if (!f.find(key(name)) && static_cast<size_t>(value) < n) id = value;
        };
        fallback(spec.unk, "unknown_token_id", 0);
        fallback(spec.bos, "bos_token_id", 1);
        fallback(spec.eos, "eos_token_id", 2);
        spec.pre = f.get_string(key("pre"), "default");
        spec.add_space_prefix = f.get_bool(key("add_space_prefix"), true);
        spec.add_bos = f.get_bool(key("add_bos_token"), true);
    } else {
        spec.pre = f.get_string(key("pre"), "default");
        if (!PreTokenizer::is_known(spec.pre))
            fail(where + "metadata '" + key("pre") + "' is \"" + spec.pre + "\", which is not a supported " +
                 "pre-tokenizer (supported: " + PreTokenizer::known_families() + ")");
        // These families' models were trained with a BOS token.
        const bool bos_family = spec.pre == "llama-bpe" || spec.pre == "llama3" || spec.pre == "deepseek-llm" ||
                                spec.pre == "deepseek-coder";
        spec.add_bos = f.get_bool(key("add_bos_token"), bos_family);
    }
    spec.add_eos = f.get_bool(key("add_eos_token"), false);
    spec.chat_template = f.get_string("tokenizer.chat_template", "");

    return spm ? detail::make_spm_tokenizer(std::move(spec)) : detail::make_bpe_tokenizer(std::move(spec));
}

}  // namespace pareto
