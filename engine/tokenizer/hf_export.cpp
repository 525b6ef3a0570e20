#include "tokenizer/hf_export.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tokenizer/pretokenizer.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581

// A JSON string literal; text that is not UTF-8 cannot be one.
std::string quote(const std::string& s, TokenId id) {
    try {
        return Json(s).dump(-1, ' ', false, Json::error_handler_t::strict);
    } catch (const Json::exception&) {
        fail("tokenizer.json: token " + std::to_string(id) + " is not valid UTF-8, which JSON cannot hold");
    }
}

bool is_added(TokenKind k) { return k == TokenKind::Control || k == TokenKind::UserDefined || k == TokenKind::Unknown; }

Json special_token_template(const Tokenizer& tok) {
    const TokenId bos = *tok.bos();
    const std::string& text = tok.token_text(bos);
    Json single = Json::array({Json{{"SpecialToken", {{"id", text}, {"type_id", 0}}}},
                               Json{{"Sequence", {{"id", "A"}, {"type_id", 0}}}}});
    Json pair = single;
    pair.push_back(Json{{"SpecialToken", {{"id", text}, {"type_id", 1}}}});
    pair.push_back(Json{{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
    Json specials = Json::object();
    specials[text] = Json{{"id", text}, {"ids", {bos}}, {"tokens", {text}}};
    return Json{{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};
}

// SentencePiece scores as HuggingFace's merge list: tokens by score (best first,
// then by id); for each, every split into two tokens, ordered by the ids of the parts.
std::vector<std::pair<TokenId, TokenId>> spm_merges(const Tokenizer& tok) {
    const auto n = static_cast<TokenId>(tok.vocab_size());
    std::unordered_map<std::string_view, TokenId> by_text;
    for (TokenId i = 0; i < n; ++i)
        if (tok.token_kind(i) == TokenKind::Normal) by_text.emplace(tok.token_text(i), i);
    std::vector<TokenId> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](TokenId a, TokenId b) { return tok.token_score(a) > tok.token_score(b); });
    std::vector<std::pair<TokenId, TokenId>> merges;
    for (TokenId id : order) {
        if (tok.token_kind(id) != TokenKind::Normal) continue;
        const std::string_view text = tok.token_text(id);
        std::vector<std::pair<TokenId, TokenId>> local;
        for (size_t pos = 0; pos < text.size();) {
            utf8_decode(text, pos);  // split only between characters
            if (pos >= text.size()) break;
            const auto l = by_text.find(text.substr(0, pos));
            const auto r = by_text.find(text.substr(pos));
            if (l != by_text.end() && r != by_text.end()) local.emplace_back(l->second, r->second);
        }
        std::sort(local.begin(), local.end());
        merges.insert(merges.end(), local.begin(), local.end());
    }
    return merges;
}

}  // namespace

std::string hf_tokenizer_json(const Tokenizer& tok) {
    const bool spm = tok.model_name() == "llama";
    const auto n = static_cast<TokenId>(tok.vocab_size());

    // The vocabulary is a text -> id map: a text used twice cannot be written.
    std::unordered_map<std::string_view, TokenId> seen;
    for (TokenId i = 0; i < n; ++i) {
        const auto [it, added] = seen.emplace(tok.token_text(i), i);
        if (!added)
            fail("tokenizer.json: tokens " + std::to_string(it->second) + " and " + std::to_string(i) +
                 " have the same text, which a HuggingFace vocabulary cannot hold");
    }

    Json added = Json::array();
    for (TokenId i = 0; i < n; ++i) {
        const TokenKind k = tok.token_kind(i);
        if (!is_added(k)) continue;
        added.push_back(Json{{"id", i}, {"content", tok.token_text(i)}, {"single_word", false}, {"lstrip", false},
                             {"rstrip", false}, {"normalized", false}, {"special", k != TokenKind::UserDefined}});
    }

    Json normalizer, pre_tokenizer, post_processor, decoder, model;
    const bool bos_template = tok.add_bos_default() && tok.bos();
    if (spm) {
        const Json replace = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpaceMark}};
        Json steps = Json::array();
        if (tok.add_space_prefix()) steps.push_back(Json{{"type", "Prepend"}, {"prepend", kSpaceMark}});
        steps.push_back(replace);
        normalizer = Json{{"type", "Sequence"}, {"normalizers", steps}};
        pre_tokenizer = nullptr;
        post_processor = bos_template ? special_token_template(tok) : Json(nullptr);
        Json dec = Json::array({Json{{"type", "Replace"}, {"pattern", {{"String", kSpaceMark}}}, {"content", " "}},
                                Json{{"type", "ByteFallback"}}, Json{{"type", "Fuse"}}});
        if (tok.add_space_prefix()) dec.push_back(Json{{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
        decoder = Json{{"type", "Sequence"}, {"decoders", dec}};
        model = Json{{"type", "BPE"}, {"dropout", nullptr},
                     {"unk_token", tok.unk() ? Json(tok.token_text(*tok.unk())) : Json(nullptr)},
                     {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", true},
                     {"byte_fallback", true}, {"ignore_merges", false}};
    } else {
        const std::string& pre = tok.pre_name();
        const bool gpt2 = pre == "gpt-2" || pre == "gpt2" || pre == "default";
        const Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", !gpt2 ? false : true},
                                 {"use_regex", gpt2}};
        if (gpt2) {
            pre_tokenizer = byte_level;
        } else {
            Json steps = Json::array();
            for (const std::string& p : PreTokenizer::patterns_of(pre))
                steps.push_back(Json{{"type", "Split"}, {"pattern", {{"Regex", p}}}, {"behavior", "Isolated"}, {"invert", false}});
            steps.push_back(byte_level);
            pre_tokenizer = Json{{"type", "Sequence"}, {"pretokenizers", steps}};
        }
        normalizer = nullptr;
        const Json plain = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
        post_processor = bos_template ? special_token_template(tok) : plain;
        decoder = plain;
        model = Json{{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                     {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false},
                     {"ignore_merges", pre == "llama-bpe" || pre == "llama3"}};
    }

    // The vocabulary and merges are written by hand: building a 150k-entry ordered
    // object key by key is quadratic.
    const auto merges = spm ? spm_merges(tok) : tok.merge_pairs();
    bool space_in_merge = false;
    for (const auto& [l, r] : merges)
        if (tok.token_text(l).find(' ') != std::string::npos || tok.token_text(r).find(' ') != std::string::npos)
            space_in_merge = true;
    std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n";
    out += "  \"added_tokens\": " + added.dump() + ",\n";
    out += "  \"normalizer\": " + normalizer.dump() + ",\n";
    out += "  \"pre_tokenizer\": " + pre_tokenizer.dump() + ",\n";
    out += "  \"post_processor\": " + post_processor.dump() + ",\n";
    out += "  \"decoder\": " + decoder.dump() + ",\n";
    std::string head = model.dump();
    head.pop_back();  // reopen the model object for vocab and merges
    out += "  \"model\": " + head + ",\n    \"vocab\": {";
    bool first = true;
    for (TokenId i = 0; i < n; ++i) {
        // Byte-level vocabularies keep their added tokens only in added_tokens.
        if (!spm && is_added(tok.token_kind(i))) continue;
        out += first ? "\n      " : ",\n      ";
        out += quote(tok.token_text(i), i) + ": " + std::to_string(i);
        first = false;
    }
    out += "\n    },\n    \"merges\": [";
    for (size_t m = 0; m < merges.size(); ++m) {
        out += m ? ",\n      " : "\n      ";
        const auto& [l, r] = merges[m];
        // "left right" unless a part holds a space: then every merge as a pair.
        if (space_in_merge) {
            out += '[';
            out += quote(tok.token_text(l), l);
            out += ", ";
            out += quote(tok.token_text(r), r);
            out += ']';
        } else {
            std::string joined = tok.token_text(l);
            joined += ' ';
            joined += tok.token_text(r);
            out += quote(joined, l);
        }
    }
    out += "\n    ]\n  }\n}\n";
    return out;
}

std::string hf_tokenizer_config_json(const Tokenizer& tok, int64_t model_max_length) {
    const bool spm = tok.model_name() == "llama";
    auto text_of = [&](std::optional<TokenId> id) { return id ? Json(tok.token_text(*id)) : Json(nullptr); };
    Json decoder = Json::object();
    for (TokenId i = 0; i < static_cast<TokenId>(tok.vocab_size()); ++i) {
        const TokenKind k = tok.token_kind(i);
        if (!is_added(k)) continue;
        decoder[std::to_string(i)] = Json{{"content", tok.token_text(i)}, {"lstrip", false}, {"normalized", false},
                                          {"rstrip", false}, {"single_word", false}, {"special", k != TokenKind::UserDefined}};
    }
    Json j = {{"add_bos_token", tok.add_bos_default()}, {"add_eos_token", tok.add_eos_default()},
              {"added_tokens_decoder", decoder}, {"bos_token", text_of(tok.bos())}, {"eos_token", text_of(tok.eos())},
              {"unk_token", text_of(tok.unk())}, {"pad_token", text_of(tok.pad())}};
    if (!tok.chat_template().empty()) j["chat_template"] = tok.chat_template();
    j["clean_up_tokenization_spaces"] = false;
    if (model_max_length > 0) j["model_max_length"] = model_max_length;
    j["tokenizer_class"] = spm ? "LlamaTokenizerFast" : "PreTrainedTokenizerFast";
    if (spm) j["legacy"] = true;  // a space after special tokens, as Pareto and llama.cpp tokenize
    try {
        return j.dump(2, ' ', false, Json::error_handler_t::strict) + "\n";
    } catch (const Json::exception& e) {
        fail(std::string("tokenizer_config.json: ") + e.what());
    }
}

}  // namespace pareto
