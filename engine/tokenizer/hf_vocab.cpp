// HuggingFace tokenizer folders: tokenizer.json, or vocab.json + merges.txt, with
// tokenizer_config.json (special tokens, add_bos, chat template) and
// generation_config.json (end-of-generation ids).
//
// tokenizer.json comes in two shapes Pareto computes:
//   - byte-level BPE (GPT-2, Llama 3, Qwen2, DeepSeek): a ByteLevel pre-tokenizer,
//     usually after Split regexes; the regexes are matched against the known
//     pre-tokenizer families, since they decide how text is cut;
//   - Llama's SentencePiece BPE as HuggingFace converts it: model.byte_fallback, and
//     spaces turned into U+2581 by the normalizer (Prepend + Replace) or a Metaspace
//     pre-tokenizer. The merge list stands in for SentencePiece's scores: a token
//     made by an earlier merge scores higher, so merging by score applies the merges
//     in their listed order.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json parse_json(const fs::path& p) {
    try {
        return json::parse(read_file(p));
    } catch (const json::exception& e) {
        fail(p.string() + ": not valid JSON: " + e.what());
    }
}

// Grows the token table so that `id` exists; new slots are unused placeholders.
void ensure_slot(detail::VocabSpec& spec, size_t id) {
    if (id >= spec.tokens.size()) {
        spec.tokens.resize(id + 1);
        spec.kinds.resize(id + 1, TokenKind::Unused);
    }
}

// Ids should be dense; a bound keeps a hostile file from allocating absurd tables.
size_t checked_id(const json& v, size_t n_entries, const std::string& what) {
    if (!v.is_number_integer()) fail(what + " is not an integer id");
    const int64_t id = v.get<int64_t>();
    if (id < 0 || id > static_cast<int64_t>(n_entries) * 2 + 1024 || id >= (int64_t{1} << 24))
        fail(what + " = " + std::to_string(id) + " is out of range");
    return static_cast<size_t>(id);
}

// {"token": id, ...}: vocab.json, or tokenizer.json's model.vocab.
// tokenizer.json's may be empty when every token is an added token.
void read_vocab(const json& vocab, const std::string& where, detail::VocabSpec& spec, bool allow_empty = false) {
    if (!vocab.is_object() || (vocab.empty() && !allow_empty))
        fail(where + ": expected a non-empty object of token -> id");
    std::vector<bool> seen;
    for (const auto& [text, id_value] : vocab.items()) {
        const size_t i = checked_id(id_value, vocab.size(), where + ": the id of \"" + text + "\"");
        ensure_slot(spec, i);
        if (seen.size() <= i) seen.resize(i + 1, false);
        if (seen[i]) fail(where + ": id " + std::to_string(i) + " is used by two tokens");
        seen[i] = true;
        spec.tokens[i] = text;
        spec.kinds[i] = TokenKind::Normal;
    }
}

// "left right"; the search starts at 1 so that a left part starting with ' ' works.
std::pair<std::string, std::string> split_merge(std::string_view line, const std::string& where) {
    const size_t sp = line.find(' ', 1);
    if (sp == std::string::npos || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string::npos)
        fail(where + ": expected two tokens separated by one space");
    return {std::string(line.substr(0, sp)), std::string(line.substr(sp + 1))};
}

void read_merges_txt(const fs::path& p, detail::VocabSpec& spec) {
    std::istringstream in(read_file(p));
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line_no == 1 && line.rfind("#version", 0) == 0) continue;  // tokenizers' header line
        spec.merges.push_back(split_merge(line, p.string() + ":" + std::to_string(line_no)));
    }
    if (spec.merges.empty()) fail(p.string() + ": no merges");
}

// A special-token entry in tokenizer_config.json: a string, an object with
// "content", or null.
std::optional<std::string> token_content(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    return std::nullopt;
}

std::optional<TokenId> find_text(const detail::VocabSpec& spec, const std::string& text) {
    for (size_t i = 0; i < spec.tokens.size(); ++i)
        if (spec.tokens[i] == text && spec.kinds[i] != TokenKind::Unused) return static_cast<TokenId>(i);
    return std::nullopt;
}

// What tokenizer_config.json and tokenizer.json's post-processor say about BOS.
struct BosHint {
    std::optional<bool> add_bos;
};

void read_tokenizer_config(const fs::path& p, detail::VocabSpec& spec, BosHint& hint) {
    const json cfg = parse_json(p);
    if (!cfg.is_object()) fail(p.string() + ": expected a JSON object");
    if (const auto it = cfg.find("added_tokens_decoder"); it != cfg.end() && it->is_object()) {
        for (const auto& [id_text, entry] : it->items()) {
            size_t used = 0;
            long long id = -1;
            try {
                id = std::stoll(id_text, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != id_text.size() || id < 0 || id > (1ll << 24))
                fail(p.string() + ": added_tokens_decoder key \"" + id_text + "\" is not a token id");
            const auto content = token_content(entry);
            if (!content || content->empty())
                fail(p.string() + ": added_tokens_decoder entry " + id_text + " has no content");
            const auto i = static_cast<size_t>(id);
            ensure_slot(spec, i);
            spec.tokens[i] = *content;
            // HF "special" tokens are control tokens (rendered only on request);
            // the others are user-defined text that always tokenizes as itself.
            const bool special = entry.is_object() && entry.value("special", false);
            spec.kinds[i] = special ? TokenKind::Control : TokenKind::UserDefined;
        }
    }
    auto id_of = [&](const char* name, std::optional<TokenId>& slot) {
        const auto it = cfg.find(name);
        if (it == cfg.end()) return;
        const auto content = token_content(*it);
        if (!content) {
            if (it->is_null()) slot.reset();  // "bos_token": null says there is none
            return;
        }
        slot = find_text(spec, *content);
        if (!slot) fail(p.string() + ": " + name + " \"" + *content + "\" is not in the vocabulary");
    };
    id_of("bos_token", spec.bos);
    id_of("eos_token", spec.eos);
    id_of("unk_token", spec.unk);
    id_of("pad_token", spec.pad);
    if (const auto it = cfg.find("add_bos_token"); it != cfg.end()) {
        if (!it->is_boolean()) fail(p.string() + ": add_bos_token is not true or false");
        hint.add_bos = it->get<bool>();
    }
    if (const auto it = cfg.find("add_eos_token"); it != cfg.end()) {
        if (!it->is_boolean()) fail(p.string() + ": add_eos_token is not true or false");
        spec.add_eos = it->get<bool>();
    }
    if (const auto it = cfg.find("chat_template"); it != cfg.end() && !it->is_null()) {
        if (it->is_string()) {
            spec.chat_template = it->get<std::string>();
        } else if (it->is_array()) {
            // Several named templates: the "default" one is the chat template.
            for (const json& t : *it)
                if (t.is_object() && t.value("name", "") == "default" && t.contains("template") && t["template"].is_string())
                    spec.chat_template = t["template"].get<std::string>();
            if (spec.chat_template.empty()) fail(p.string() + ": chat_template lists no \"default\" template");
        } else {
            fail(p.string() + ": chat_template is neither a string nor a list of named templates");
        }
    }
}

// generation_config.json's eos_token_id (a number or a list) ends generation too.
void read_generation_config(const fs::path& p, detail::VocabSpec& spec) {
    const json cfg = parse_json(p);
    if (!cfg.is_object()) fail(p.string() + ": expected a JSON object");
    const auto it = cfg.find("eos_token_id");
    if (it == cfg.end() || it->is_null()) return;
    const json ids = it->is_array() ? *it : json::array({*it});
    for (const json& v : ids) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= static_cast<int64_t>(spec.tokens.size()))
            fail(p.string() + ": eos_token_id " + v.dump() + " is not a token id of this vocabulary");
        spec.extra_eog.push_back(static_cast<TokenId>(v.get<int64_t>()));
    }
}

// ---- tokenizer.json ---------------------------------------------------------------------

// The steps of a Sequence (or the one step) of a normalizer or pre-tokenizer.
std::vector<json> steps_of(const json& v, const char* list_key) {
    if (v.is_null()) return {};
    if (!v.is_object()) fail(std::string("expected an object or null, got ") + v.type_name());
    if (v.value("type", "") == "Sequence") {
        const auto it = v.find(list_key);
        if (it == v.end() || !it->is_array()) fail(std::string("a Sequence without a \"") + list_key + "\" list");
        std::vector<json> out;
        for (const json& s : *it) {
            const auto inner = steps_of(s, list_key);
            out.insert(out.end(), inner.begin(), inner.end());
        }
        return out;
    }
    return {v};
}

std::string type_of(const json& step) {
    const auto it = step.find("type");
    return it != step.end() && it->is_string() ? it->get<std::string>() : std::string("(no type)");
}

// A Replace normalizer of " " by U+2581, as HuggingFace writes SentencePiece's escaping.
bool is_space_replace(const json& n) {
    if (type_of(n) != "Replace") return false;
    const auto pat = n.find("pattern");
    return pat != n.end() && pat->is_object() && pat->value("String", "") == " " && n.value("content", "") == kSpaceMark;
}

struct Style {
    bool spm = false;
    bool add_space_prefix = false;
    std::string pre;  // byte-level: the pre-tokenizer family
};

Style read_style(const json& j, const std::string& where) {
    const json normalizer = j.value("normalizer", json());
    const json pre_tokenizer = j.value("pre_tokenizer", json());
    std::vector<json> norms, pres;
    try {
        norms = steps_of(normalizer, "normalizers");
        pres = steps_of(pre_tokenizer, "pretokenizers");
    } catch (const Error& e) {
        fail(where + ": normalizer or pre_tokenizer: " + e.what());
    }

    Style st;
    bool metaspace = false;
    for (const json& p : pres)
        if (type_of(p) == "Metaspace") metaspace = true;
    for (const json& n : norms)
        if (is_space_replace(n)) st.spm = true;
    st.spm = st.spm || metaspace;

    if (st.spm) {
        for (const json& n : norms) {
            const std::string t = type_of(n);
            if (t == "Prepend" && n.value("prepend", "") == kSpaceMark) st.add_space_prefix = true;
            else if (!is_space_replace(n))
                fail(where + ": normalizer step \"" + t + "\" is not supported for a SentencePiece-style tokenizer "
                             "(supported: Prepend and Replace of spaces by U+2581)");
        }
        for (const json& p : pres) {
            if (type_of(p) != "Metaspace")
                fail(where + ": pre_tokenizer step \"" + type_of(p) + "\" is not supported with a SentencePiece-style "
                             "tokenizer (supported: Metaspace)");
            if (p.value("replacement", std::string(kSpaceMark)) != kSpaceMark)
                fail(where + ": Metaspace replacement other than U+2581 is not supported");
            if (p.value("split", false)) fail(where + ": Metaspace with \"split\": true is not supported");
            const std::string scheme = p.value("prepend_scheme", p.value("add_prefix_space", true) ? "always" : "never");
            // "first" differs from "always" only after special tokens, where llama.cpp
            // (whose behaviour Pareto follows) prepends a space too.
            if (scheme != "never") st.add_space_prefix = true;
        }
        return st;
    }

    // Byte-level BPE.
    for (const json& n : norms) {
        // NFC leaves almost all text unchanged; llama.cpp does not apply it either.
        if (type_of(n) != "NFC")
            fail(where + ": normalizer \"" + type_of(n) + "\" is not supported for byte-level BPE (supported: none, NFC)");
    }
    std::vector<std::string> patterns;
    bool byte_level = false;
    for (const json& p : pres) {
        const std::string t = type_of(p);
        if (byte_level) fail(where + ": pre_tokenizer step \"" + t + "\" after ByteLevel is not supported");
        if (t == "Split") {
            const auto pat = p.find("pattern");
            if (pat == p.end() || !pat->is_object() || !pat->contains("Regex") || !(*pat)["Regex"].is_string())
                fail(where + ": a Split pre-tokenizer without a \"Regex\" pattern is not supported");
            if (p.value("behavior", "") != "Isolated" || p.value("invert", false))
                fail(where + ": Split pre-tokenizers must be \"Isolated\" and not inverted");
            patterns.push_back((*pat)["Regex"].get<std::string>());
        } else if (t == "Digits") {
            patterns.push_back(p.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
        } else if (t == "ByteLevel") {
            byte_level = true;
            if (p.value("add_prefix_space", false))
                fail(where + ": ByteLevel with add_prefix_space is not supported");
            if (p.value("use_regex", true)) {
                const auto gpt2 = PreTokenizer::patterns_of("gpt-2");
                patterns.insert(patterns.end(), gpt2.begin(), gpt2.end());
            }
        } else {
            fail(where + ": pre_tokenizer step \"" + t + "\" is not supported (supported: Split, Digits, ByteLevel, Metaspace)");
        }
    }
    if (!byte_level)
        fail(where + ": neither a byte-level (ByteLevel pre-tokenizer) nor a SentencePiece-style (U+2581 "
                     "normalizer or Metaspace) tokenizer");
    const auto family = PreTokenizer::family_of(patterns);
    if (!family) {
        std::string list;
        for (const auto& p : patterns) list += (list.empty() ? "\"" : ", \"") + p + "\"";
        fail(where + ": the pre-tokenizer regexes [" + list + "] are not those of a known family (" +
             PreTokenizer::known_families() + ")");
    }
    st.pre = *family;
    return st;
}

void read_tokenizer_json(const fs::path& path, detail::VocabSpec& spec, Style& style, BosHint& hint) {
    const std::string where = path.string();
    const json j = parse_json(path);
    if (!j.is_object()) fail(where + ": expected a JSON object");
    const auto mit = j.find("model");
    if (mit == j.end() || !mit->is_object()) fail(where + ": no \"model\" object");
    const json& model = *mit;
    const std::string type = model.value("type", model.contains("merges") ? "BPE" : "");
    if (type != "BPE")
        fail(where + ": model.type is \"" + type + "\"; Pareto reads BPE tokenizers (byte-level, or "
                     "SentencePiece-style with byte_fallback)");
    style = read_style(j, where);

    const auto vit = model.find("vocab");
    if (vit == model.end()) fail(where + ": model has no \"vocab\"");
    read_vocab(*vit, where + ": model.vocab", spec, /*allow_empty=*/true);

    const auto mg = model.find("merges");
    if (mg == model.end() || !mg->is_array()) fail(where + ": model.merges is not a list");
    spec.merges.reserve(mg->size());
    for (size_t i = 0; i < mg->size(); ++i) {
        const json& m = (*mg)[i];
        const std::string at = where + ": model.merges[" + std::to_string(i) + "]";
        if (m.is_string()) spec.merges.push_back(split_merge(m.get<std::string>(), at));
        else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
            spec.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        else fail(at + " is neither \"left right\" nor [\"left\", \"right\"]");
    }
    if (model.value("ignore_merges", false) && style.pre != "llama-bpe")
        fail(where + ": ignore_merges is only supported with Llama 3's pre-tokenizer");
    if (style.spm && model.value("ignore_merges", false)) fail(where + ": ignore_merges with SentencePiece-style BPE");

    const size_t n_vocab = spec.tokens.size();
    if (const auto at = j.find("added_tokens"); at != j.end() && !at->is_null()) {
        if (!at->is_array()) fail(where + ": added_tokens is not a list");
        for (size_t k = 0; k < at->size(); ++k) {
            const json& t = (*at)[k];
            const std::string w = where + ": added_tokens[" + std::to_string(k) + "]";
            if (!t.is_object() || !t.contains("id") || !t.contains("content") || !t["content"].is_string())
                fail(w + " lacks an id or content");
            const size_t id = checked_id(t["id"], n_vocab + at->size(), w + ".id");
            const std::string content = t["content"].get<std::string>();
            if (content.empty()) fail(w + " has empty content");
            ensure_slot(spec, id);
            if (spec.kinds[id] != TokenKind::Unused && spec.tokens[id] != content)
                fail(w + ": id " + std::to_string(id) + " is \"" + spec.tokens[id] + "\" in the vocabulary but \"" +
                     content + "\" here");
            spec.tokens[id] = content;
            spec.kinds[id] = t.value("special", false) ? TokenKind::Control : TokenKind::UserDefined;
        }
    }
    if (spec.tokens.empty()) fail(where + ": no tokens (model.vocab and added_tokens are empty)");
    if (const auto u = model.find("unk_token"); u != model.end() && u->is_string())
        spec.unk = find_text(spec, u->get<std::string>());

    // The post-processor adds BOS when its template starts with a special token.
    if (const auto pp = j.find("post_processor"); pp != j.end() && pp->is_object()) {
        for (const json& step : steps_of(*pp, "processors")) {
            if (type_of(step) != "TemplateProcessing") continue;
            const auto single = step.find("single");
            if (single == step.end() || !single->is_array() || single->empty()) continue;
            const json& first = (*single)[0];
            if (first.is_object() && first.contains("SpecialToken")) {
                const std::string text = first["SpecialToken"].value("id", "");
                if (const auto id = find_text(spec, text)) {
                    spec.bos = *id;
                    hint.add_bos = true;
                }
            } else {
                hint.add_bos = false;
            }
        }
    }

    if (style.spm) {
        // Scores from merge order: the token the r-th merge makes scores -r; tokens
        // no merge makes (characters, bytes, specials) score below every merge.
        spec.scores.assign(spec.tokens.size(), 0.0f);
        std::vector<bool> scored(spec.tokens.size(), false);
        std::unordered_map<std::string, size_t> by_text;
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (spec.kinds[i] == TokenKind::Normal) by_text.emplace(spec.tokens[i], i);
        for (size_t r = 0; r < spec.merges.size(); ++r) {
            const auto it = by_text.find(spec.merges[r].first + spec.merges[r].second);
            if (it == by_text.end() || scored[it->second]) continue;
            spec.scores[it->second] = -static_cast<float>(r);
            scored[it->second] = true;
        }
        const auto floor = static_cast<float>(spec.merges.size());
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (!scored[i]) spec.scores[i] = -floor - static_cast<float>(i);
        spec.merges.clear();
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (spec.kinds[i] == TokenKind::Normal && detail::parse_byte_token(spec.tokens[i]) >= 0)
                spec.kinds[i] = TokenKind::Byte;
        spec.add_space_prefix = style.add_space_prefix;
        spec.pre = "default";
    } else {
        spec.pre = style.pre;
    }
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_hf_vocab_merges(const std::string& dir, const std::string& pre) {
    const fs::path root(dir);
    if (!PreTokenizer::is_known(pre))
        fail("unknown pre-tokenizer '" + pre + "' (known: " + PreTokenizer::known_families() + ")");
    detail::VocabSpec spec;
    spec.source = dir;
    spec.pre = pre;
    BosHint hint;
    try {
        read_vocab(parse_json(root / "vocab.json"), (root / "vocab.json").string(), spec);
        read_merges_txt(root / "merges.txt", spec);
        if (const auto cfg = root / "tokenizer_config.json"; fs::exists(cfg)) read_tokenizer_config(cfg, spec, hint);
    } catch (const json::exception& e) {  // a value of the wrong JSON type
        fail(dir + ": unexpected tokenizer file contents: " + e.what());
    }
    spec.add_bos = hint.add_bos.value_or(false);
    if (!spec.eos) {
        // Without a config, the usual byte-level end-of-text token.
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (spec.tokens[i] == "<|endoftext|>") spec.eos = static_cast<TokenId>(i);
    }
    return detail::make_bpe_tokenizer(std::move(spec));
}

std::unique_ptr<Tokenizer> Tokenizer::from_hf_dir(const std::string& dir, const std::string& pre) {
    const fs::path root(dir);
    const fs::path tj = root / "tokenizer.json";
    std::error_code ec;
    const bool has_json = fs::exists(tj, ec);
    if (!has_json && !(fs::exists(root / "vocab.json", ec) && fs::exists(root / "merges.txt", ec)))
        fail(dir + ": no tokenizer.json (or vocab.json + merges.txt) in this folder");
    if (!has_json && !PreTokenizer::is_known(pre))
        fail("unknown pre-tokenizer '" + pre + "' (known: " + PreTokenizer::known_families() + ")");

    detail::VocabSpec spec;
    spec.source = dir;
    spec.pre = pre;
    BosHint hint;
    bool spm = false;
    try {
        if (has_json) {
            Style style;
            read_tokenizer_json(tj, spec, style, hint);
            spm = style.spm;
        } else {
            read_vocab(parse_json(root / "vocab.json"), (root / "vocab.json").string(), spec);
            read_merges_txt(root / "merges.txt", spec);
        }
        if (const auto cfg = root / "tokenizer_config.json"; fs::exists(cfg, ec)) read_tokenizer_config(cfg, spec, hint);
        if (const auto gen = root / "generation_config.json"; fs::exists(gen, ec)) read_generation_config(gen, spec);
    } catch (const json::exception& e) {  // a value of the wrong JSON type
        fail(dir + ": unexpected tokenizer file contents: " + e.what());
    }

    if (spm) {
        // Llama's ids when no file names them.
        auto fallback = [&](std::optional<TokenId>& id, const char* text) {
            if (!id) id = find_text(spec, text);
        };
        fallback(spec.unk, "<unk>");
        fallback(spec.bos, "<s>");
        fallback(spec.eos, "</s>");
        if (spec.unk) spec.kinds[static_cast<size_t>(*spec.unk)] = TokenKind::Unknown;
        spec.add_bos = hint.add_bos.value_or(true);  // LlamaTokenizer's default
        return detail::make_spm_tokenizer(std::move(spec));
    }
    spec.add_bos = hint.add_bos.value_or(false);
    if (!spec.eos) spec.eos = find_text(spec, "<|endoftext|>");
    return detail::make_bpe_tokenizer(std::move(spec));
}

}  // namespace pareto
