// HuggingFace tokenizer files: tokenizer.json read (byte-level and SentencePiece-style
// BPE), written from any Tokenizer and read back, checked with llama.cpp's tokenizer
// test vectors; tokenizer_config.json and generation_config.json; clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "format/gguf.h"
#include "support/test_data.h"
#include "tokenizer/hf_export.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::current_path() / "hf_tokenizer_test_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string str() const { return path.string(); }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream out(path / name, std::ios::binary);
        out << text;
    }
};

std::vector<std::string> split_on(const std::string& text, const std::string& sep) {
    std::vector<std::string> parts;
    size_t at = 0;
    for (size_t pos; (pos = text.find(sep, at)) != std::string::npos; at = pos + sep.size())
        parts.push_back(text.substr(at, pos - at));
    parts.push_back(text.substr(at));
    return parts;
}

// llama.cpp's vectors (add_special=false, parse_special=false): how many of how many match.
std::pair<size_t, size_t> run_vectors(const Tokenizer& tok, const std::string& inp_path, const std::string& out_path) {
    std::vector<std::string> inputs = split_on(test::read_text_file(inp_path), "\n__ggml_vocab_test__\n");
    inputs.pop_back();
    std::vector<std::string> lines = split_on(test::read_text_file(out_path), "\n");
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    EXPECT_EQ(inputs.size(), lines.size());
    size_t passed = 0;
    for (size_t i = 0; i < inputs.size() && i < lines.size(); ++i) {
        std::vector<TokenId> expected;
        std::istringstream in(lines[i]);
        for (long v; in >> v;) expected.push_back(static_cast<TokenId>(v));
        const auto got = tok.encode(inputs[i], TokenizeOptions{false, false});
        if (got == expected) ++passed;
        else ADD_FAILURE() << "vector " << i << " differs: " << inputs[i];
        EXPECT_EQ(tok.decode(got), inputs[i]);
    }
    return {passed, inputs.size()};
}

// Qwen2's published pre-tokenizer regex, as its tokenizer.json spells it.
const char* kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// A Qwen2 tokenizer.json assembled from the fixture's vocab.json and merges.txt, in
// the shape Qwen publishes it (NFC normalizer, Split + ByteLevel, added tokens).
json qwen2_tokenizer_json(const std::string& dir, bool merges_as_pairs) {
    std::ifstream vin(dir + "/vocab.json");
    const json vocab = json::parse(vin);
    json merges = json::array();
    std::istringstream min(test::read_text_file(dir + "/merges.txt"));
    for (std::string line; std::getline(min, line);) {
        if (line.empty() || line.rfind("#version", 0) == 0) continue;
        const size_t sp = line.find(' ', 1);
        if (merges_as_pairs) merges.push_back(json::array({line.substr(0, sp), line.substr(sp + 1)}));
        else merges.push_back(line);
    }
    json added = json::array();
    int id = 151643;
    for (const char* t : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"})
        added.push_back({{"id", id++}, {"content", t}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                         {"normalized", false}, {"special", true}});
    const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
    return {{"version", "1.0"},
            {"added_tokens", added},
            {"normalizer", {{"type", "NFC"}}},
            {"pre_tokenizer",
             {{"type", "Sequence"},
              {"pretokenizers",
               {{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Regex}}}, {"behavior", "Isolated"}, {"invert", false}},
                byte_level}}}},
            {"post_processor", byte_level},
            {"decoder", byte_level},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
              {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
              {"merges", merges}}}};
}

class Qwen2TokenizerJson : public ::testing::TestWithParam<bool> {};

TEST_P(Qwen2TokenizerJson, PassesQwen2AndDeepseekR1Vectors) {
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    PARETO_REQUIRE_DATA(qwen_inp, "models/vocab/ggml-vocab-qwen2.gguf.inp");
    PARETO_REQUIRE_DATA(qwen_out, "models/vocab/ggml-vocab-qwen2.gguf.out");
    PARETO_REQUIRE_DATA(r1_inp, "models/vocab/ggml-vocab-deepseek-r1-qwen.gguf.inp");
    PARETO_REQUIRE_DATA(r1_out, "models/vocab/ggml-vocab-deepseek-r1-qwen.gguf.out");
    const std::string src = test::find_data("models/qwen2-tokenizer");
    TempDir dir;
    dir.write("tokenizer.json", qwen2_tokenizer_json(src, GetParam()).dump());
    fs::copy_file(src + "/tokenizer_config.json", dir.path / "tokenizer_config.json");

    const auto tok = Tokenizer::from_hf_dir(dir.str());
    EXPECT_EQ(tok->model_name(), "gpt2");
    EXPECT_EQ(tok->pre_name(), "qwen2");  // recognised from the regex
    EXPECT_EQ(tok->vocab_size(), 151646u);
    EXPECT_EQ(tok->token_kind(151644), TokenKind::Control);
    EXPECT_EQ(tok->eos(), 151643);
    EXPECT_FALSE(tok->bos().has_value());
    EXPECT_FALSE(tok->add_bos_default());
    EXPECT_TRUE(tok->is_end_of_generation(151645));  // <|im_end|>
    EXPECT_NE(tok->chat_template().find("template ends here"), std::string::npos);
    for (const auto& [inp, out] : {std::pair{qwen_inp, qwen_out}, std::pair{r1_inp, r1_out}}) {
        const auto [passed, total] = run_vectors(*tok, inp, out);
        EXPECT_EQ(passed, total) << inp;
        EXPECT_GT(total, 40u);
    }
    // The same ids as the vocab.json + merges.txt reader.
    const auto ref = Tokenizer::from_hf_vocab_merges(src, "qwen2");
    const std::string text = "<|im_start|>user\nHello, 世界! 12345 don't<|im_end|>";
    EXPECT_EQ(tok->encode(text, {false, true}), ref->encode(text, {false, true}));
}

INSTANTIATE_TEST_SUITE_P(MergeForms, Qwen2TokenizerJson, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "pairs" : "strings"; });

// Any tokenizer written as tokenizer.json + tokenizer_config.json reads back into one
// that tokenizes the same.
struct RoundTripCase {
    const char* name;
    const char* gguf;     // under models/
    const char* vectors;  // models/vocab/<vectors>.inp/.out, or nullptr
};

class TokenizerJsonRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(TokenizerJsonRoundTrip, SameTokensAndIds) {
    const RoundTripCase& c = GetParam();
    PARETO_REQUIRE_DATA(gguf_path, std::string("models/") + c.gguf);
    const GgufFile f = GgufFile::open(gguf_path);
    const auto orig = Tokenizer::from_gguf(f);
    TempDir dir;
    dir.write("tokenizer.json", hf_tokenizer_json(*orig));
    dir.write("tokenizer_config.json", hf_tokenizer_config_json(*orig, 2048));
    const auto back = Tokenizer::from_hf_dir(dir.str());

    EXPECT_EQ(back->model_name(), orig->model_name());
    if (orig->model_name() == "gpt2") {
        EXPECT_EQ(back->pre_name(), orig->pre_name() == "default" ? "gpt-2" : orig->pre_name());
    }
    ASSERT_EQ(back->vocab_size(), orig->vocab_size());
    for (TokenId i = 0; i < static_cast<TokenId>(orig->vocab_size()); ++i) {
        ASSERT_EQ(back->token_text(i), orig->token_text(i)) << "token " << i;
        ASSERT_EQ(back->token_kind(i), orig->token_kind(i)) << "token " << i << " " << orig->token_text(i);
    }
    EXPECT_EQ(back->bos(), orig->bos());
    EXPECT_EQ(back->eos(), orig->eos());
    EXPECT_EQ(back->unk(), orig->unk());
    EXPECT_EQ(back->add_bos_default(), orig->add_bos_default());
    EXPECT_EQ(back->add_space_prefix(), orig->add_space_prefix());
    EXPECT_EQ(back->chat_template(), orig->chat_template());

    if (c.vectors) {
        const std::string base = std::string("models/vocab/") + c.vectors;
        PARETO_REQUIRE_DATA(inp, base + ".inp");
        PARETO_REQUIRE_DATA(out, base + ".out");
        const auto [passed, total] = run_vectors(*back, inp, out);
        std::printf("[          ] %s via tokenizer.json: %zu/%zu vectors match\n", c.name, passed, total);
        EXPECT_EQ(passed, total);
    }
    // Same ids, or the same refusal (the tiny fixture's vocabulary has no byte tokens).
    auto ids_or_error = [](const Tokenizer& t, const std::string& text) {
        try {
            return ::testing::PrintToString(t.encode(text, {true, true}));
        } catch (const Error& e) {
            return std::string("error: ") + e.what();
        }
    };
    for (const char* text : {"Once upon a time, there was a little girl named Lily.", "  two  spaces\n\nand\ttabs ",
                             "Ünïcödé 日本語 🙂 <s> </s> 12345", "t9t6t27t58 t42"})
        EXPECT_EQ(ids_or_error(*back, text), ids_or_error(*orig, text)) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Vocabularies, TokenizerJsonRoundTrip,
    ::testing::Values(RoundTripCase{"stories260K", "stories260K.gguf", nullptr},
                      RoundTripCase{"tiny_qwen2", "tiny-fixtures/tiny-qwen2-f32.gguf", nullptr},
                      RoundTripCase{"llama_spm", "vocab/ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-spm.gguf"},
                      RoundTripCase{"gpt_2", "vocab/ggml-vocab-gpt-2.gguf", "ggml-vocab-gpt-2.gguf"},
                      RoundTripCase{"deepseek_llm", "vocab/ggml-vocab-deepseek-llm.gguf", "ggml-vocab-deepseek-llm.gguf"},
                      RoundTripCase{"deepseek_coder", "vocab/ggml-vocab-deepseek-coder.gguf",
                                    "ggml-vocab-deepseek-coder.gguf"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- configs -------------------------------------------------------------------------

// A minimal SentencePiece-style tokenizer.json (Llama's HuggingFace form).
json tiny_spm_json() {
    json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {"\xE2\x96\x81", 3}, {"a", 4}, {"b", 5},
                  {"\xE2\x96\x81" "a", 6}, {"ab", 7}, {"\xE2\x96\x81" "ab", 8}, {"<0x0A>", 9}};
    json added = json::array();
    for (int i = 0; i < 3; ++i)
        added.push_back({{"id", i}, {"content", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>"}, {"special", true}});
    return {{"added_tokens", added},
            {"normalizer", {{"type", "Sequence"},
                            {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                             {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}}},
            {"pre_tokenizer", nullptr},
            {"model", {{"type", "BPE"}, {"unk_token", "<unk>"}, {"byte_fallback", true}, {"vocab", vocab},
                       {"merges", {"\xE2\x96\x81 a", "a b", "\xE2\x96\x81" "a b"}}}}};
}

TEST(HfTokenizer, SentencePieceStyleTokenizerJson) {
    TempDir dir;
    dir.write("tokenizer.json", tiny_spm_json().dump());
    const auto tok = Tokenizer::from_hf_dir(dir.str());
    EXPECT_EQ(tok->model_name(), "llama");
    EXPECT_TRUE(tok->add_space_prefix());
    EXPECT_TRUE(tok->add_bos_default());  // LlamaTokenizer's default
    EXPECT_EQ(tok->bos(), 1);
    EXPECT_EQ(tok->eos(), 2);
    EXPECT_EQ(tok->token_kind(0), TokenKind::Unknown);
    EXPECT_EQ(tok->token_kind(9), TokenKind::Byte);
    // "▁a" (merge 0) before "ab" (merge 1): " ab" is ▁a + b, then ▁ab.
    EXPECT_EQ(tok->encode("ab"), (std::vector<TokenId>{1, 8}));
    EXPECT_EQ(tok->encode("b a\n", {false, false}), (std::vector<TokenId>{3, 5, 6, 9}));
    EXPECT_EQ(tok->decode(tok->encode("ab a")), "ab a");

    // Metaspace instead of the normalizer; no prefix with prepend_scheme "never".
    json j = tiny_spm_json();
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "never"}, {"split", false}};
    dir.write("tokenizer.json", j.dump());
    EXPECT_FALSE(Tokenizer::from_hf_dir(dir.str())->add_space_prefix());
}

TEST(HfTokenizer, ConfigAndGenerationConfig) {
    TempDir dir;
    dir.write("tokenizer.json", tiny_spm_json().dump());
    dir.write("tokenizer_config.json", R"({"add_bos_token": false, "bos_token": {"content": "<s>"}, "eos_token": "</s>",
        "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
    dir.write("generation_config.json", R"({"eos_token_id": [2, 7]})");
    const auto tok = Tokenizer::from_hf_dir(dir.str());
    EXPECT_FALSE(tok->add_bos_default());
    EXPECT_EQ(tok->chat_template(), "D");
    EXPECT_TRUE(tok->is_end_of_generation(7));
    EXPECT_FALSE(tok->is_end_of_generation(6));
}

// Most tokens may be added tokens (a vocabulary of user-defined words): their ids
// are bounded by the whole table, not by model.vocab alone.
TEST(HfTokenizer, MostlyAddedTokens) {
    json j = tiny_spm_json();
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
    j["model"]["byte_fallback"] = false;
    j["model"]["vocab"] = {{"a", 0}, {"b", 1}, {"ab", 2}};
    j["model"]["merges"] = {"a b"};
    j["added_tokens"] = json::array();
    for (int i = 3; i < 3000; ++i) j["added_tokens"].push_back({{"id", i}, {"content", std::string(1, 'w').append(std::to_string(i))}, {"special", false}});
    TempDir dir;
    dir.write("tokenizer.json", j.dump());
    const auto tok = Tokenizer::from_hf_dir(dir.str());
    EXPECT_EQ(tok->vocab_size(), 3000u);
    EXPECT_EQ(tok->encode("abw2999", {false, false}), (std::vector<TokenId>{2, 2999}));
}

#define EXPECT_ERROR_CONTAINS(stmt, needle)                                                   \
    do {                                                                                      \
        std::string msg_;                                                                     \
        try {                                                                                 \
            stmt;                                                                             \
        } catch (const Error& e) {                                                            \
            msg_ = e.what();                                                                  \
        }                                                                                     \
        EXPECT_NE(msg_.find(needle), std::string::npos) << "message: \"" << msg_ << "\"";    \
    } while (0)

TEST(HfTokenizer, ClearErrors) {
    TempDir dir;
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(dir.str()), "no tokenizer.json");
    auto with = [&](const std::function<void(json&)>& edit) {
        json j = tiny_spm_json();
        edit(j);
        dir.write("tokenizer.json", j.dump());
        return dir.str();
    };
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["model"]["type"] = "Unigram"; })),
                          "model.type is \"Unigram\"");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j.erase("model"); })), "no \"model\" object");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["model"]["merges"][1] = 5; })),
                          "model.merges[1] is neither");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["model"]["merges"][1] = "ab"; })),
                          "two tokens separated by one space");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["model"]["vocab"]["a"] = -3; })),
                          "is out of range");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["model"]["vocab"]["a"] = 5; })),
                          "id 5 is used by two tokens");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) { j["added_tokens"][1]["content"] = "<S>"; })),
                          "is \"<s>\" in the vocabulary but \"<S>\" here");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) {
                              j["normalizer"]["normalizers"].push_back({{"type", "Lowercase"}});
                          })),
                          "normalizer step \"Lowercase\" is not supported");
    // Byte-level with a regex no family uses.
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) {
                              j["normalizer"] = nullptr;
                              j["pre_tokenizer"] = {{"type", "Sequence"},
                                                    {"pretokenizers",
                                                     {{{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}},
                                                      {{"type", "ByteLevel"}, {"use_regex", false}}}}};
                          })),
                          "are not those of a known family");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(with([](json& j) {
                              j["normalizer"] = nullptr;
                              j["pre_tokenizer"] = {{"type", "Whitespace"}};
                          })),
                          "pre_tokenizer step \"Whitespace\" is not supported");
    dir.write("tokenizer.json", "{ not json");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(dir.str()), "tokenizer.json: not valid JSON");
    dir.write("tokenizer.json", tiny_spm_json().dump());
    dir.write("tokenizer_config.json", R"({"eos_token": "<|nope|>"})");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(dir.str()), "eos_token \"<|nope|>\" is not in the vocabulary");
    dir.write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(dir.str()), "add_bos_token is not true or false");
    dir.write("tokenizer_config.json", "{}");
    dir.write("generation_config.json", R"({"eos_token_id": 99})");
    EXPECT_ERROR_CONTAINS(Tokenizer::from_hf_dir(dir.str()), "eos_token_id 99 is not a token id");
}

TEST(HfTokenizer, WrittenTokenizerJsonIsValidJson) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    const std::string json_text = hf_tokenizer_json(*tok);
    EXPECT_NE(json_text.find("\"byte_fallback\":true"), std::string::npos);
    EXPECT_TRUE(json::accept(json_text));
}

}  // namespace
}  // namespace pareto
