// A HuggingFace byte-level BPE tokenizer from vocab.json + merges.txt, with the
// added tokens of tokenizer_config.json (e.g. Qwen2's <|endoftext|>, <|im_start|>).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace pareto {
namespace {

using nlohmann::json;

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json parse_json(const std::filesystem::path& p) {
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

void read_vocab(const std::filesystem::path& p, detail::VocabSpec& spec) {
    const json vocab = parse_json(p);
    if (!vocab.is_object() || vocab.empty()) fail(p.string() + ": expected a non-empty object of token -> id");
    std::vector<bool> seen;
    for (const auto& [text, id_value] : vocab.items()) {
        if (!id_value.is_number_integer()) fail(p.string() + ": the id of \"" + text + "\" is not an integer");
        const int64_t id = id_value.get<int64_t>();
        // Ids should be dense; a bound keeps a hostile file from allocating absurd tables.
        if (id < 0 || id > static_cast<int64_t>(vocab.size()) * 2 + 1024)
            fail(p.string() + ": the id " + std::to_string(id) + " of \"" + text + "\" is out of range");
        const auto i = static_cast<size_t>(id);
        ensure_slot(spec, i);
        if (seen.size() <= i) seen.resize(i + 1, false);
        if (seen[i]) fail(p.string() + ": id " + std::to_string(id) + " is used by two tokens");
        seen[i] = true;
        spec.tokens[i] = text;
        spec.kinds[i] = TokenKind::Normal;
    }
}

void read_merges(const std::filesystem::path& p, detail::VocabSpec& spec) {
    std::istringstream in(read_file(p));
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (line_no == 1 && line.rfind("#version", 0) == 0) continue;  // tokenizers' header line
        const size_t sp = line.find(' ', 1);
        if (sp == std::string::npos || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string::npos)
            fail(p.string() + ":" + std::to_string(line_no) + ": expected two tokens separated by one space");
        spec.merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
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

void read_config(const std::filesystem::path& p, detail::VocabSpec& spec) {
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
    auto id_of = [&](const char* name) -> std::optional<TokenId> {
        const auto it = cfg.find(name);
        if (it == cfg.end()) return std::nullopt;
        const auto content = token_content(*it);
        if (!content) return std::nullopt;
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (spec.tokens[i] == *content && spec.kinds[i] != TokenKind::Unused) return static_cast<TokenId>(i);
        fail(p.string() + ": " + name + " \"" + *content + "\" is not in the vocabulary");
    };
    spec.bos = id_of("bos_token");
    spec.eos = id_of("eos_token");
    spec.unk = id_of("unk_token");
    spec.pad = id_of("pad_token");
    spec.add_bos = cfg.value("add_bos_token", false);
    spec.add_eos = cfg.value("add_eos_token", false);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_hf_vocab_merges(const std::string& dir, const std::string& pre) {
    const std::filesystem::path root(dir);
    if (!PreTokenizer::is_known(pre))
        fail("unknown pre-tokenizer '" + pre + "' (known: " + PreTokenizer::known_families() + ")");
    detail::VocabSpec spec;
    spec.source = dir;
    spec.pre = pre;
    try {
        read_vocab(root / "vocab.json", spec);
        read_merges(root / "merges.txt", spec);
        if (const auto cfg = root / "tokenizer_config.json"; std::filesystem::exists(cfg)) read_config(cfg, spec);
    } catch (const json::exception& e) {  // a value of the wrong JSON type
        fail(dir + ": unexpected tokenizer file contents: " + e.what());
    }
    if (!spec.eos) {
        // Without a config, the usual byte-level end-of-text token.
        for (size_t i = 0; i < spec.tokens.size(); ++i)
            if (spec.tokens[i] == "<|endoftext|>") spec.eos = static_cast<TokenId>(i);
    }
    return detail::make_bpe_tokenizer(std::move(spec));
}

}  // namespace pareto
