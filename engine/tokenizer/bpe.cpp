// Byte-level BPE ("gpt2" vocabularies): a pre-tokenizer cuts the text into words,
// each word's bytes are spelled with GPT-2's printable byte alphabet, and adjacent
// symbols merge in the order of the merge list.
#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/vocab_index.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto {
namespace {

// GPT-2 writes every byte as a printable character so that vocabularies and merge
// files are plain text: printable Latin-1 bytes stand for themselves, the other 68
// bytes (controls, space, 0x7F-0xA0, soft hyphen) take U+0100 onwards in byte order.
struct ByteAlphabet {
    std::array<std::string, 256> text;  // UTF-8 of each byte's character
    std::array<int16_t, 512> byte_of;   // code point -> byte, -1 if not in the alphabet

    ByteAlphabet() {
        byte_of.fill(-1);
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
            text[b] = utf8_encode(cp);
            byte_of[cp] = static_cast<int16_t>(b);
        }
    }
};

const ByteAlphabet& byte_alphabet() {
    static const ByteAlphabet a;
    return a;
}

class BpeTokenizer final : public Tokenizer {
public:
    explicit BpeTokenizer(detail::VocabSpec spec)
        : pretokenizer_(spec.pre), ignore_merges_(spec.pre == "llama-bpe" || spec.pre == "llama3") {
        auto merges = std::move(spec.merges);
        init_vocab(spec);
        const ByteAlphabet& alpha = byte_alphabet();
        for (int b = 0; b < 256; ++b) byte_tokens_[b] = lookup(alpha.text[b]);

        merges_.reserve(merges.size());
        for (size_t rank = 0; rank < merges.size(); ++rank) {
            const auto& [a, b] = merges[rank];
            const TokenId left = lookup(a), right = lookup(b), joined = lookup(a + b);
            // A merge whose parts or result are not tokens can never apply.
            if (left < 0 || right < 0 || joined < 0) continue;
            merges_.emplace(pair_key(left, right), Merge{static_cast<int32_t>(rank), joined});
        }
    }

    std::string_view model_name() const override { return "gpt2"; }

    std::vector<std::pair<TokenId, TokenId>> merge_pairs() const override {
        std::vector<std::pair<int32_t, std::pair<TokenId, TokenId>>> ranked;
        ranked.reserve(merges_.size());
        for (const auto& [key, m] : merges_)
            ranked.push_back({m.rank, {static_cast<TokenId>(key >> 32), static_cast<TokenId>(key & 0xffffffffu)}});
        std::sort(ranked.begin(), ranked.end());
        std::vector<std::pair<TokenId, TokenId>> out;
        out.reserve(ranked.size());
        for (const auto& r : ranked) out.push_back(r.second);
        return out;
    }

    std::vector<TokenId> encode(std::string_view text, TokenizeOptions options) const override {
        std::vector<TokenId> out;
        if (options.add_bos && add_bos_ && bos_) out.push_back(*bos_);
        for (const detail::Fragment& f : split_special(text, options.parse_special)) {
            if (f.is_token()) {
                out.push_back(f.token);
                continue;
            }
            for (std::string_view word : pretokenizer_.split(f.text)) encode_word(word, out);
        }
        if (options.add_bos && add_eos_ && eos_) out.push_back(*eos_);
        return out;
    }

    std::string normal_piece(const std::string& text) const override {
        // Undo the byte alphabet; a character outside it is kept as it is.
        const ByteAlphabet& alpha = byte_alphabet();
        std::string piece;
        piece.reserve(text.size());
        for (size_t pos = 0; pos < text.size();) {
            const size_t start = pos;
            const char32_t cp = utf8_decode(text, pos);
            if (cp < alpha.byte_of.size() && alpha.byte_of[cp] >= 0)
                piece += static_cast<char>(alpha.byte_of[cp]);
            else
                piece.append(text, start, pos - start);
        }
        return piece;
    }

private:
    struct Merge {
        int32_t rank;
        TokenId result;
    };
    static uint64_t pair_key(TokenId l, TokenId r) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
    }

    TokenId lookup(std::string_view text) const {
        const auto& map = index().by_text;
        const auto it = map.find(text);
        return it == map.end() ? -1 : it->second;
    }

    void encode_word(std::string_view word, std::vector<TokenId>& out) const {
        if (word.size() > std::numeric_limits<uint32_t>::max() / 2)
            fail("text is too long to tokenize (a single word of over 2 GiB)");
        // Spell the word in the byte alphabet, one symbol per byte.
        const ByteAlphabet& alpha = byte_alphabet();
        std::string spelled;
        spelled.reserve(word.size() * 2);
        std::vector<uint32_t> offsets;
        std::vector<TokenId> ids;
        offsets.reserve(word.size() + 1);
        ids.reserve(word.size());
        for (char c : word) {
            const auto b = static_cast<unsigned char>(c);
            offsets.push_back(static_cast<uint32_t>(spelled.size()));
            ids.push_back(byte_tokens_[b]);
            spelled += alpha.text[b];
        }
        offsets.push_back(static_cast<uint32_t>(spelled.size()));

        // Llama 3's tokenizer (HuggingFace "ignore_merges") takes a word that is a
        // token by itself as it is, even when the merges would split it differently.
        if (ignore_merges_ && ids.size() > 1) {
            if (const TokenId whole = lookup(spelled); whole >= 0 && kinds_[whole] == TokenKind::Normal) {
                out.push_back(whole);
                return;
            }
        }

        std::vector<detail::MergeSymbol> syms = detail::make_symbols(offsets, ids);
        detail::merge_symbols(syms, [&](const detail::MergeSymbol& l, const detail::MergeSymbol& r)
                                        -> std::optional<detail::MergeCandidate> {
            if (l.id < 0 || r.id < 0) return std::nullopt;
            const auto it = merges_.find(pair_key(l.id, r.id));
            if (it == merges_.end()) return std::nullopt;
            return detail::MergeCandidate{-static_cast<double>(it->second.rank), it->second.result};
        });
        for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
            const detail::MergeSymbol& s = syms[i];
            if (s.id >= 0) out.push_back(s.id);
            else if (unk_) out.push_back(*unk_);
            else fail(unrepresentable(static_cast<unsigned char>(word[i])));  // unmerged: byte i
        }
    }

    std::string unrepresentable(unsigned char b) const {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", b);
        return "cannot tokenize byte " + std::string(hex) +
               ": the vocabulary has no token for it and no unknown token";
    }

    PreTokenizer pretokenizer_;
    bool ignore_merges_ = false;
    std::array<TokenId, 256> byte_tokens_{};
    std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> rank and result
};

}  // namespace

namespace detail {
std::unique_ptr<Tokenizer> make_bpe_tokenizer(VocabSpec spec) {
    return std::make_unique<BpeTokenizer>(std::move(spec));
}
}  // namespace detail

}  // namespace pareto
