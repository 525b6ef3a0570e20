// SentencePiece-style BPE ("llama" vocabularies): spaces become U+2581, a space is
// put in front of the text, adjacent symbols merge by the vocabulary score of their
// joined text, and characters with no token fall back to <0xXX> byte tokens.
#include <array>
#include <cstdio>
#include <limits>

#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/vocab_index.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

class SpmTokenizer final : public Tokenizer {
public:
    explicit SpmTokenizer(detail::VocabSpec spec) : scores_(std::move(spec.scores)) {
        init_vocab(spec);
        scores_.resize(tokens_.size(), 0.0f);  // from_gguf checked the length; be safe anyway
        byte_tokens_.fill(-1);
        for (size_t i = 0; i < tokens_.size(); ++i) {
            if (kinds_[i] != TokenKind::Byte) continue;
            const int b = detail::parse_byte_token(tokens_[i]);
            if (b >= 0 && byte_tokens_[b] < 0) byte_tokens_[b] = static_cast<TokenId>(i);
        }
    }

    std::string_view model_name() const override { return "llama"; }

    float token_score(TokenId id) const override {
        check_id(id);
        return scores_[static_cast<size_t>(id)];
    }

    std::vector<TokenId> encode(std::string_view text, TokenizeOptions options) const override {
        std::vector<TokenId> out;
        if (options.add_bos && add_bos_ && bos_) out.push_back(*bos_);
        // SentencePiece puts a space before the text, and llama.cpp and HuggingFace's
        // slow tokenizer do so again after every special token.
        bool after_special = true;
        for (const detail::Fragment& f : split_special(text, options.parse_special)) {
            if (f.is_token()) {
                out.push_back(f.token);
                after_special = true;
                continue;
            }
            encode_text(f.text, add_space_prefix_ && after_special, out);
            after_special = false;
        }
        if (options.add_bos && add_eos_ && eos_) out.push_back(*eos_);
        return out;
    }

    std::string normal_piece(const std::string& text) const override {
        std::string piece;
        piece.reserve(text.size());
        for (size_t i = 0; i < text.size();) {
            if (text.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
                piece += ' ';
                i += kSpaceMark.size();
            } else {
                piece += text[i++];
            }
        }
        return piece;
    }

private:
    // Tokens that text may merge into. Control, byte and unused tokens are excluded:
    // SentencePiece never produces them from text ("<0x41>" typed in is not a byte).
    bool mergeable(TokenId id) const {
        const TokenKind k = kinds_[id];
        return k == TokenKind::Normal || k == TokenKind::UserDefined || k == TokenKind::Undefined;
    }

    TokenId lookup(std::string_view text) const {
        const auto& map = index().by_text;
        const auto it = map.find(text);
        return it != map.end() && mergeable(it->second) ? it->second : -1;
    }

    void encode_text(std::string_view raw, bool space_prefix, std::vector<TokenId>& out) const {
        // Escape: optional leading space, then every ' ' as U+2581.
        std::string text;
        text.reserve(raw.size() + raw.size() / 4 + 3);
        if (space_prefix) text += kSpaceMark;
        for (char c : raw) {
            if (c == ' ') text += kSpaceMark;
            else text += c;
        }
        if (text.size() > std::numeric_limits<uint32_t>::max()) fail("text is too long to tokenize (over 4 GiB)");

        // One symbol per UTF-8 character. A malformed byte is a symbol of its own,
        // so it cannot swallow the bytes after it (e.g. the U+2581 of a space).
        std::vector<uint32_t> offsets;
        std::vector<TokenId> ids;
        offsets.reserve(text.size() + 1);
        ids.reserve(text.size());
        for (size_t pos = 0; pos < text.size();) {
            const size_t start = pos;
            utf8_decode(text, pos);
            offsets.push_back(static_cast<uint32_t>(start));
            ids.push_back(lookup(std::string_view(text).substr(start, pos - start)));
        }
        offsets.push_back(static_cast<uint32_t>(text.size()));
        std::vector<detail::MergeSymbol> syms = detail::make_symbols(offsets, ids);

        const std::string_view view(text);
        detail::merge_symbols(syms, [&](const detail::MergeSymbol& l, const detail::MergeSymbol& r)
                                        -> std::optional<detail::MergeCandidate> {
            const TokenId id = lookup(view.substr(l.start, l.len + r.len));
            if (id < 0) return std::nullopt;
            return detail::MergeCandidate{scores_[id], id};
        });

        for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
            const detail::MergeSymbol& s = syms[i];
            if (s.id >= 0) {
                out.push_back(s.id);
                continue;
            }
            // Only single characters can lack a token (merges always produce one):
            // spell them in bytes.
            for (size_t k = 0; k < s.len; ++k) {
                const auto b = static_cast<unsigned char>(text[s.start + k]);
                if (byte_tokens_[b] >= 0) out.push_back(byte_tokens_[b]);
                else if (unk_) out.push_back(*unk_);
                else fail(unrepresentable(b));
            }
        }
    }

    std::string unrepresentable(unsigned char b) const {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", b);
        return "cannot tokenize byte " + std::string(hex) +
               ": the vocabulary has neither a byte token for it nor an unknown token";
    }

    std::vector<float> scores_;
    std::array<TokenId, 256> byte_tokens_{};
};

}  // namespace

namespace detail {
std::unique_ptr<Tokenizer> make_spm_tokenizer(VocabSpec spec) {
    return std::make_unique<SpmTokenizer>(std::move(spec));
}
}  // namespace detail

}  // namespace pareto
