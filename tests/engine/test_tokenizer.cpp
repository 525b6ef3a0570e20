// Tokenizer tests: llama.cpp's tokenizer test vectors for every supported family,
// the fixture models' prompts, decoding, special tokens and hostile metadata.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/gguf.h"
#include "support/test_data.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pareto {
namespace {

// ---- helpers ----------------------------------------------------------------------

std::vector<std::string> split_on(const std::string& text, const std::string& sep) {
    std::vector<std::string> parts;
    size_t at = 0;
    for (size_t pos; (pos = text.find(sep, at)) != std::string::npos; at = pos + sep.size())
        parts.push_back(text.substr(at, pos - at));
    parts.push_back(text.substr(at));
    return parts;
}

std::vector<TokenId> parse_ids(const std::string& line) {
    std::vector<TokenId> ids;
    std::istringstream in(line);
    for (long v; in >> v;) ids.push_back(static_cast<TokenId>(v));
    return ids;
}

std::string ids_string(const std::vector<TokenId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) s += ' ';
        s += std::to_string(ids[i]);
    }
    return s + "]";
}

// Input text made readable in a failure message: control bytes as escapes.
std::string escaped(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    return out + "\"";
}

TokenizeOptions bare() { return TokenizeOptions{false, false}; }

// A GGUF file built in memory, for metadata that no fixture has.
class GgufBuilder {
public:
    GgufBuilder& str(const std::string& k, const std::string& v) { return key(k, 8).string(v); }
    GgufBuilder& u32(const std::string& k, uint32_t v) { return key(k, 4).pod(v); }
    GgufBuilder& i32(const std::string& k, int32_t v) { return key(k, 5).pod(v); }
    GgufBuilder& boolean(const std::string& k, bool v) { return key(k, 7).pod(static_cast<uint8_t>(v)); }
    GgufBuilder& strings(const std::string& k, const std::vector<std::string>& v) {
        key(k, 9).pod(uint32_t{8}).pod(static_cast<uint64_t>(v.size()));
        for (const auto& s : v) string(s);
        return *this;
    }
    GgufBuilder& floats(const std::string& k, const std::vector<float>& v) {
        key(k, 9).pod(uint32_t{6}).pod(static_cast<uint64_t>(v.size()));
        for (float f : v) pod(f);
        return *this;
    }
    GgufBuilder& ints(const std::string& k, const std::vector<int32_t>& v) {
        key(k, 9).pod(uint32_t{5}).pod(static_cast<uint64_t>(v.size()));
        for (int32_t i : v) pod(i);
        return *this;
    }

    // The bytes must outlive the GgufFile parsed from them.
    const std::vector<uint8_t>& bytes() {
        file_.clear();
        auto put = [&](const void* p, size_t n) {
            const auto* b = static_cast<const uint8_t*>(p);
            file_.insert(file_.end(), b, b + n);
        };
        const uint32_t magic = 0x46554747, version = 3;
        const uint64_t n_tensors = 0;
        put(&magic, 4);
        put(&version, 4);
        put(&n_tensors, 8);
        put(&n_kv_, 8);
        file_.insert(file_.end(), kv_.begin(), kv_.end());
        return file_;
    }

    std::unique_ptr<Tokenizer> tokenizer() {
        const GgufFile f = GgufFile::parse(bytes(), "<test>");
        return Tokenizer::from_gguf(f);
    }

private:
    template <typename T>
    GgufBuilder& pod(T v) {
        uint8_t b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        kv_.insert(kv_.end(), b, b + sizeof(T));
        return *this;
    }
    GgufBuilder& string(const std::string& s) {
        pod(static_cast<uint64_t>(s.size()));
        kv_.insert(kv_.end(), s.begin(), s.end());
        return *this;
    }
    GgufBuilder& key(const std::string& k, uint32_t type) {
        ++n_kv_;
        return string(k).pod(type);
    }

    std::vector<uint8_t> kv_, file_;
    uint64_t n_kv_ = 0;
};

// A small SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, then `extra`.
GgufBuilder spm_vocab(const std::vector<std::string>& extra = {"\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a"}) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back(name);
        types.push_back(6);
    }
    for (const auto& t : extra) {
        tokens.push_back(t);
        types.push_back(1);
    }
    std::vector<float> scores(tokens.size());
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = -static_cast<float>(i);
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", tokens);
    g.floats("tokenizer.ggml.scores", scores).ints("tokenizer.ggml.token_type", types);
    return g;
}

// ---- llama.cpp's tokenizer test vectors ---------------------------------------------

struct VocabCase {
    const char* name;     // test name
    const char* vectors;  // models/vocab/<vectors>.inp and .out
    const char* gguf;     // vocabulary GGUF, or nullptr for the HF files below
    const char* hf_dir;   // HuggingFace vocab.json + merges.txt directory
    const char* pre;      // pre-tokenizer for hf_dir
};

std::ostream& operator<<(std::ostream& os, const VocabCase& c) { return os << c.name; }

class VocabVectors : public ::testing::TestWithParam<VocabCase> {};

TEST_P(VocabVectors, MatchExpectedIds) {
    const VocabCase& c = GetParam();
    const std::string base = std::string("models/vocab/") + c.vectors;
    PARETO_REQUIRE_DATA(inp_path, base + ".inp");
    PARETO_REQUIRE_DATA(out_path, base + ".out");
    std::unique_ptr<Tokenizer> tok;
    if (c.gguf) {
        PARETO_REQUIRE_DATA(gguf_path, std::string("models/vocab/") + c.gguf);
        const GgufFile f = GgufFile::open(gguf_path);
        tok = Tokenizer::from_gguf(f);
    } else {
        PARETO_REQUIRE_DATA(vocab_path, std::string(c.hf_dir) + "/vocab.json");
        tok = Tokenizer::from_hf_vocab_merges(::pareto::test::find_data(c.hf_dir), c.pre);
    }

    // Inputs are separated by "\n__ggml_vocab_test__\n", the file ending in one;
    // the .out file has one line of ids per input. llama.cpp's test-tokenizer-0
    // tokenizes them with add_special=false and parse_special=false.
    std::vector<std::string> inputs =
        split_on(::pareto::test::read_text_file(inp_path), "\n__ggml_vocab_test__\n");
    ASSERT_FALSE(inputs.empty());
    ASSERT_TRUE(inputs.back().empty()) << "the .inp file should end with a separator";
    inputs.pop_back();
    std::vector<std::string> lines = split_on(::pareto::test::read_text_file(out_path), "\n");
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    ASSERT_EQ(inputs.size(), lines.size()) << "inputs and expected-output lines differ in number";

    size_t passed = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const std::vector<TokenId> expected = parse_ids(lines[i]);
        const std::vector<TokenId> got = tok->encode(inputs[i], bare());
        if (got == expected) ++passed;
        else
            ADD_FAILURE() << c.name << " vector " << i << "\n  input:    " << escaped(inputs[i])
                          << "\n  expected: " << ids_string(expected) << "\n  got:      " << ids_string(got);
        // Both algorithms are lossless on these inputs: decoding gives the text back.
        EXPECT_EQ(tok->decode(got), inputs[i]) << c.name << " vector " << i << " does not round-trip";
    }
    std::printf("[          ] %s: %zu/%zu vectors match\n", c.name, passed, inputs.size());
    EXPECT_EQ(passed, inputs.size());
}

INSTANTIATE_TEST_SUITE_P(
    LlamaCppVectors, VocabVectors,
    ::testing::Values(
        VocabCase{"llama_spm", "ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-spm.gguf", nullptr, nullptr},
        VocabCase{"gpt_2", "ggml-vocab-gpt-2.gguf", "ggml-vocab-gpt-2.gguf", nullptr, nullptr},
        VocabCase{"deepseek_llm", "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-deepseek-llm.gguf", nullptr, nullptr},
        VocabCase{"deepseek_coder", "ggml-vocab-deepseek-coder.gguf", "ggml-vocab-deepseek-coder.gguf", nullptr,
                  nullptr},
        VocabCase{"qwen2", "ggml-vocab-qwen2.gguf", nullptr, "models/qwen2-tokenizer", "qwen2"},
        VocabCase{"deepseek_r1_qwen", "ggml-vocab-deepseek-r1-qwen.gguf", nullptr, "models/qwen2-tokenizer",
                  "deepseek-r1-qwen"}),
    [](const ::testing::TestParamInfo<VocabCase>& param_info) { return std::string(param_info.param.name); });

// ---- fixture models -------------------------------------------------------------------

TEST(Tokenizer, Stories260KEncodesOnceUponATime) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    EXPECT_EQ(tok->model_name(), "llama");
    EXPECT_EQ(tok->vocab_size(), 512u);
    EXPECT_EQ(tok->bos(), std::optional<TokenId>(1));
    EXPECT_EQ(tok->eos(), std::optional<TokenId>(2));
    EXPECT_EQ(tok->unk(), std::optional<TokenId>(0));
    EXPECT_TRUE(tok->add_bos_default());
    EXPECT_EQ(tok->pad(), std::nullopt) << "0xFFFFFFFF means no padding token";

    const std::vector<TokenId> ids = tok->encode("Once upon a time");
    EXPECT_EQ(ids, (std::vector<TokenId>{1, 403, 407, 261, 378}));
    EXPECT_EQ(tok->decode(ids), "Once upon a time");
    EXPECT_EQ(tok->encode("Once upon a time", bare()), (std::vector<TokenId>{403, 407, 261, 378}));
    EXPECT_TRUE(tok->is_end_of_generation(2));
    EXPECT_FALSE(tok->is_end_of_generation(1));
    EXPECT_TRUE(tok->encode("", bare()).empty());
    EXPECT_EQ(tok->encode(""), (std::vector<TokenId>{1}));
}

TEST(Tokenizer, Stories260KMatchesLlamaCppGolden) {
    // llama.cpp's own tokenization of the golden prompts and of its generated texts.
    PARETO_REQUIRE_DATA(model, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(golden, "golden/stories260K-greedy.json");
    const GgufFile f = GgufFile::open(model);
    const auto tok = Tokenizer::from_gguf(f);
    const auto doc = nlohmann::json::parse(::pareto::test::read_text_file(golden));
    ASSERT_FALSE(doc.at("cases").empty());
    for (const auto& c : doc.at("cases")) {
        const std::string prompt = c.at("prompt").get<std::string>();
        EXPECT_EQ(tok->encode(prompt), c.at("prompt_ids").get<std::vector<TokenId>>()) << escaped(prompt);
        const std::string text = c.at("greedy_text").get<std::string>();
        const auto ids = tok->encode(text);
        EXPECT_EQ(ids, c.at("greedy_text_retokenized").get<std::vector<TokenId>>()) << escaped(text);
        EXPECT_EQ(tok->decode(ids), text);
    }
}

TEST(Tokenizer, TokenPiecesAndSpecialRendering) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    // Byte tokens stand for one byte: <0x41> is id 3 + 0x41.
    EXPECT_EQ(tok->token_text(3 + 0x41), "<0x41>");
    EXPECT_EQ(tok->token_kind(3 + 0x41), TokenKind::Byte);
    EXPECT_EQ(tok->token_to_piece(3 + 0x41), "A");
    EXPECT_EQ(tok->token_to_piece(3 + 0x0A), "\n");
    // Control tokens show only when asked.
    EXPECT_EQ(tok->token_to_piece(1), "");
    EXPECT_EQ(tok->token_to_piece(1, true), "<s>");
    EXPECT_EQ(tok->token_to_piece(2, true), "</s>");
    // "▁Once" is " Once" as a piece; decode drops the space encode() added.
    EXPECT_EQ(tok->token_to_piece(403), " Once");
    EXPECT_EQ(tok->decode({1, 403, 407}, true), "<s>Once upon");
    EXPECT_EQ(tok->find_token("<s>"), std::optional<TokenId>(1));
    EXPECT_EQ(tok->find_token("no such token"), std::nullopt);
}

TEST(Tokenizer, OutOfRangeIdsThrow) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    EXPECT_THROW(tok->token_to_piece(512), Error);
    EXPECT_THROW(tok->token_to_piece(-1), Error);
    EXPECT_THROW(tok->token_text(100000), Error);
    EXPECT_THROW(tok->token_kind(-5), Error);
    EXPECT_THROW(tok->decode({403, 512}), Error);
    EXPECT_FALSE(tok->is_end_of_generation(-1));
    EXPECT_FALSE(tok->is_end_of_generation(1 << 20));
}

TEST(Tokenizer, SpmEncodesLongTextQuickly) {
    PARETO_REQUIRE_DATA(model, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const GgufFile f = GgufFile::open(model);
    const auto tok = Tokenizer::from_gguf(f);
    const std::string text = ::pareto::test::read_text_file(text_path);
    ASSERT_GT(text.size(), 500000u);
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->encode(text, bare());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[          ] %zu bytes -> %zu tokens in %.3f s\n", text.size(), ids.size(), s);
    EXPECT_GT(ids.size(), text.size() / 8);
    EXPECT_EQ(tok->decode(ids), text);
    // Well under a second in a release build; the bound leaves room for slow CI and debug builds.
    EXPECT_LT(s, 5.0 * ::pareto::test::kTimingSlack);
}

TEST(Tokenizer, BpeEncodesLongTextQuickly) {
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    PARETO_REQUIRE_DATA(text_path, "data/wikitext-2-raw/wiki.test.raw");
    const auto tok = Tokenizer::from_hf_vocab_merges(::pareto::test::find_data("models/qwen2-tokenizer"));
    const std::string text = ::pareto::test::read_text_file(text_path);
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->encode(text, bare());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[          ] %zu bytes -> %zu tokens in %.3f s\n", text.size(), ids.size(), s);
    EXPECT_EQ(tok->decode(ids), text);
    EXPECT_LT(s, 10.0 * ::pareto::test::kTimingSlack);
}

TEST(Tokenizer, EncodeIsThreadSafe) {
    PARETO_REQUIRE_DATA(path, "models/vocab/ggml-vocab-deepseek-llm.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    std::string text;
    for (int i = 0; i < 200; ++i) text += "Hello, y'all! F\xC3\xBChrer 1314151\xE5\xA4\xA9 <\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>\n";
    const auto want = tok->encode(text, TokenizeOptions{true, true});
    std::vector<std::vector<TokenId>> got(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < got.size(); ++t)
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 5; ++rep) got[t] = tok->encode(text, TokenizeOptions{true, true});
        });
    for (auto& th : threads) th.join();
    for (const auto& g : got) EXPECT_EQ(g, want);
    EXPECT_EQ(std::count(want.begin(), want.end(), 100001), 200) << "<｜end▁of▁sentence｜> with parse_special";
}

TEST(Tokenizer, TinyQwen2UserDefinedTokensMatchWithoutParseSpecial) {
    // The fixture's vocabulary is only "<s> </s> t2..t63" (user-defined) with no
    // byte tokens: the prompt can only be spelled by matching token text, which
    // llama.cpp (and so the reference prompt) does for user-defined tokens always.
    PARETO_REQUIRE_DATA(path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    EXPECT_EQ(tok->model_name(), "gpt2");
    EXPECT_FALSE(tok->add_bos_default());
    const std::vector<TokenId> want = {9, 6, 27, 58, 42, 37, 54, 43};
    TokenizeOptions cli;  // what `pareto-cli run` does
    cli.add_bos = tok->add_bos_default();
    EXPECT_EQ(tok->encode("t9t6t27t58t42t37t54t43", cli), want);
    EXPECT_EQ(tok->encode("t9t6t27t58t42t37t54t43"), want) << "add_bos=true, but the vocabulary has no add_bos";
    EXPECT_EQ(tok->encode("t9t6t27t58t42t37t54t43", TokenizeOptions{false, true}), want);
    EXPECT_EQ(tok->decode(want), "t9t6t27t58t42t37t54t43");
    // Control tokens need parse_special.
    EXPECT_EQ(tok->encode("<s>t5", TokenizeOptions{false, true}), (std::vector<TokenId>{0, 5}));
    EXPECT_TRUE(tok->is_end_of_generation(1));
    // Text the vocabulary cannot spell is an error, not a silent drop.
    EXPECT_THROW(tok->encode("hello", bare()), Error);
}

TEST(Tokenizer, Llama2TinyRandomLoads) {
    PARETO_REQUIRE_DATA(path, "models/llama-2-tiny-random.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    EXPECT_EQ(tok->vocab_size(), 32000u);
    EXPECT_EQ(tok->bos(), std::optional<TokenId>(1));
    EXPECT_EQ(tok->eos(), std::optional<TokenId>(2));
    EXPECT_EQ(tok->encode("Hello world"), (std::vector<TokenId>{1, 15043, 3186}));
    // A character with no token falls back to its bytes.
    const auto ids = tok->encode("\xF0\x9F\xA6\x99", bare());  // 🦙
    EXPECT_EQ(ids, (std::vector<TokenId>{29871, 243, 162, 169, 156}));
    EXPECT_EQ(tok->decode(ids), "\xF0\x9F\xA6\x99");
}

TEST(Tokenizer, SpmSpecialTokensWithParseSpecial) {
    PARETO_REQUIRE_DATA(path, "models/vocab/ggml-vocab-llama-spm.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    // Without parse_special "<s>" is text; with it, a token, and the text after it
    // gets SentencePiece's space prefix again.
    const auto plain = tok->encode("Hello<s>world", bare());
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0);
    const auto special = tok->encode("Hello<s>world", TokenizeOptions{false, true});
    EXPECT_EQ(special, (std::vector<TokenId>{15043, 1, 3186}));
    EXPECT_EQ(tok->decode(special, true), "Hello<s>world");
    EXPECT_EQ(tok->decode(special), "Helloworld");
}

TEST(Tokenizer, Qwen2SpecialTokensAndEndOfGeneration) {
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    const auto tok = Tokenizer::from_hf_vocab_merges(::pareto::test::find_data("models/qwen2-tokenizer"), "qwen2");
    EXPECT_EQ(tok->vocab_size(), 151646u);
    EXPECT_EQ(tok->model_name(), "gpt2");
    EXPECT_EQ(tok->pre_name(), "qwen2");
    EXPECT_EQ(tok->bos(), std::nullopt);
    EXPECT_EQ(tok->eos(), std::optional<TokenId>(151643));
    EXPECT_FALSE(tok->add_bos_default());
    EXPECT_EQ(tok->token_kind(151644), TokenKind::Control);
    EXPECT_TRUE(tok->is_end_of_generation(151643));
    EXPECT_TRUE(tok->is_end_of_generation(151645));
    EXPECT_FALSE(tok->is_end_of_generation(151644));

    const std::string chat = "<|im_start|>user\nHi there<|im_end|>\n";
    const auto ids = tok->encode(chat, TokenizeOptions{true, true});
    ASSERT_GE(ids.size(), 4u);
    EXPECT_EQ(ids.front(), 151644);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 151645), 1);
    EXPECT_EQ(tok->decode(ids, true), chat);
    EXPECT_EQ(tok->decode(ids), "user\nHi there\n");
    const auto plain = tok->encode(chat, bare());
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 151644), 0) << "control text is plain text by default";
    EXPECT_EQ(tok->decode(plain), chat);
    EXPECT_EQ(tok->token_to_piece(151645), "");
    EXPECT_EQ(tok->token_to_piece(151645, true), "<|im_end|>");
}

TEST(Tokenizer, DeepseekCoderEndOfTurnIsEndOfGeneration) {
    PARETO_REQUIRE_DATA(path, "models/vocab/ggml-vocab-deepseek-coder.gguf");
    const GgufFile f = GgufFile::open(path);
    const auto tok = Tokenizer::from_gguf(f);
    EXPECT_EQ(tok->eos(), std::optional<TokenId>(32014));
    EXPECT_TRUE(tok->is_end_of_generation(32014));
    EXPECT_TRUE(tok->is_end_of_generation(32021)) << "<|EOT|>";
    EXPECT_TRUE(tok->add_bos_default());
    EXPECT_EQ(tok->encode("a", TokenizeOptions{true, false}).front(), 32013);
}

// ---- special-token matching and in-memory vocabularies ---------------------------------

TEST(Tokenizer, OverlappingSpecialTokensLongestFirst) {
    // Longer tokens claim their text first, like llama.cpp's partitioning: "bcd"
    // wins over the earlier-starting "ab".
    std::vector<std::string> tokens = {"ab", "bcd", "a", "b", "c", "d"};
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", tokens);
    g.ints("tokenizer.ggml.token_type", {4, 4, 1, 1, 1, 1}).strings("tokenizer.ggml.merges", {"a b"});
    const auto tok = g.tokenizer();
    EXPECT_EQ(tok->encode("abcd", bare()), (std::vector<TokenId>{2, 1}));
    EXPECT_EQ(tok->encode("abab", bare()), (std::vector<TokenId>{0, 0}));
    EXPECT_EQ(tok->encode("aab", bare()), (std::vector<TokenId>{2, 0}));
}

TEST(Tokenizer, SpmMergesByScoreAndFallsBackToBytes) {
    auto g = spm_vocab();
    const auto tok = g.tokenizer();
    const TokenId space = 259, a = 260, b = 261, space_a = 262;
    EXPECT_EQ(tok->encode("a", bare()), (std::vector<TokenId>{space_a}));
    EXPECT_EQ(tok->encode("ab a", bare()), (std::vector<TokenId>{space_a, b, space_a}));
    EXPECT_EQ(tok->encode("b", bare()), (std::vector<TokenId>{space, b}));
    // 'z' has no token: byte fallback <0x7A> = 3 + 0x7A.
    EXPECT_EQ(tok->encode("bz", bare()), (std::vector<TokenId>{space, b, 3 + 0x7A}));
    EXPECT_EQ(tok->decode(tok->encode("a zb", bare())), "a zb");
    (void)a;
}

TEST(Tokenizer, SpmWithoutSpacePrefix) {
    auto g = spm_vocab();
    g.boolean("tokenizer.ggml.add_space_prefix", false);
    const auto tok = g.tokenizer();
    EXPECT_FALSE(tok->add_space_prefix());
    EXPECT_EQ(tok->encode("ab", bare()), (std::vector<TokenId>{260, 261}));
    EXPECT_EQ(tok->decode({262}), " a");
}

TEST(Tokenizer, InvalidUtf8IsKept) {
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    const auto tok = Tokenizer::from_hf_vocab_merges(::pareto::test::find_data("models/qwen2-tokenizer"), "qwen2");
    const std::string bad = "ok \xFF\xFE broken \xC3 utf8 \xE2\x82";
    EXPECT_EQ(tok->decode(tok->encode(bad, bare())), bad);
    PARETO_REQUIRE_DATA(spm_path, "models/stories260K.gguf");
    const GgufFile f = GgufFile::open(spm_path);
    const auto spm = Tokenizer::from_gguf(f);
    EXPECT_EQ(spm->decode(spm->encode(bad, bare())), bad);
}

// ---- hostile or inconsistent metadata ----------------------------------------------------

void expect_error_naming(GgufBuilder& g, const std::string& needle) {
    try {
        g.tokenizer();
        ADD_FAILURE() << "expected a pareto::Error mentioning '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(TokenizerMetadata, MissingModel) {
    GgufBuilder g;
    g.strings("tokenizer.ggml.tokens", {"a"});
    expect_error_naming(g, "tokenizer.ggml.model");
}

TEST(TokenizerMetadata, UnknownModel) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "bert").strings("tokenizer.ggml.tokens", {"a"});
    expect_error_naming(g, "tokenizer.ggml.model");
}

TEST(TokenizerMetadata, ModelOfWrongType) {
    GgufBuilder g;
    g.u32("tokenizer.ggml.model", 7).strings("tokenizer.ggml.tokens", {"a"});
    expect_error_naming(g, "tokenizer.ggml.model");
}

TEST(TokenizerMetadata, MissingTokens) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").floats("tokenizer.ggml.scores", {0});
    expect_error_naming(g, "tokenizer.ggml.tokens");
}

TEST(TokenizerMetadata, EmptyTokens) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {}).floats("tokenizer.ggml.scores", {});
    expect_error_naming(g, "tokenizer.ggml.tokens");
}

TEST(TokenizerMetadata, TokensNotStrings) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").ints("tokenizer.ggml.tokens", {1, 2});
    g.floats("tokenizer.ggml.scores", {0, 0});
    expect_error_naming(g, "tokenizer.ggml.tokens");
}

TEST(TokenizerMetadata, ScoresLengthMismatch) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a", "b", "c"});
    g.floats("tokenizer.ggml.scores", {0, 1});
    expect_error_naming(g, "tokenizer.ggml.scores");
}

TEST(TokenizerMetadata, MissingScores) {
    GgufBuilder g;
    g.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a", "b", "c"});
    expect_error_naming(g, "tokenizer.ggml.scores");
}

TEST(TokenizerMetadata, TokenTypeLengthMismatchAndBadValue) {
    auto g = spm_vocab();
    g.ints("tokenizer.ggml.token_type_x", {});  // harmless extra key
    const auto ok = g.tokenizer();
    EXPECT_EQ(ok->vocab_size(), 263u);

    GgufBuilder short_types;
    short_types.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a", "b"});
    short_types.floats("tokenizer.ggml.scores", {0, 0}).ints("tokenizer.ggml.token_type", {1});
    expect_error_naming(short_types, "tokenizer.ggml.token_type");

    GgufBuilder bad_type;
    bad_type.str("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a", "b"});
    bad_type.floats("tokenizer.ggml.scores", {0, 0}).ints("tokenizer.ggml.token_type", {1, 99});
    expect_error_naming(bad_type, "tokenizer.ggml.token_type");
}

TEST(TokenizerMetadata, SpecialIdsOutOfRange) {
    for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                            "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id"}) {
        auto g = spm_vocab();
        g.u32(key, 100000);
        expect_error_naming(g, key);
        auto neg = spm_vocab();
        neg.i32(key, -7);
        expect_error_naming(neg, key);
    }
    // -1 and 0xFFFFFFFF mean "none".
    auto none = spm_vocab();
    none.i32("tokenizer.ggml.bos_token_id", -1).u32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu);
    const auto tok = none.tokenizer();
    EXPECT_EQ(tok->bos(), std::nullopt);
    EXPECT_EQ(tok->pad(), std::nullopt);
    EXPECT_FALSE(tok->add_bos_default());
    EXPECT_EQ(tok->encode("a"), (std::vector<TokenId>{262})) << "no BOS to add";
}

TEST(TokenizerMetadata, BpeNeedsMergesAndKnownPreTokenizer) {
    GgufBuilder no_merges;
    no_merges.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b"});
    expect_error_naming(no_merges, "tokenizer.ggml.merges");

    GgufBuilder bad_merge;
    bad_merge.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b"});
    bad_merge.strings("tokenizer.ggml.merges", {"ab"});
    expect_error_naming(bad_merge, "tokenizer.ggml.merges");

    GgufBuilder bad_pre;
    bad_pre.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    bad_pre.strings("tokenizer.ggml.merges", {"a b"}).str("tokenizer.ggml.pre", "klingon");
    expect_error_naming(bad_pre, "tokenizer.ggml.pre");

    // Merges that name no tokens are ignored rather than trusted.
    GgufBuilder odd;
    odd.str("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    odd.strings("tokenizer.ggml.merges", {"x y", "a b"});
    const auto tok = odd.tokenizer();
    EXPECT_EQ(tok->encode("abab", bare()), (std::vector<TokenId>{2, 2}));
}

TEST(TokenizerMetadata, HfDirectoryErrors) {
    EXPECT_THROW(Tokenizer::from_hf_vocab_merges("/nonexistent/dir", "qwen2"), Error);
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    EXPECT_THROW(Tokenizer::from_hf_vocab_merges(::pareto::test::find_data("models/qwen2-tokenizer"), "nope"), Error);
}

TEST(TokenizerMetadata, CorruptedFilesFailCleanly) {
    // Random byte damage to a small vocabulary: loading and using it either works
    // or throws pareto::Error; nothing else (no crash, no other exception type).
    auto g = spm_vocab();
    g.strings("tokenizer.ggml.merges", {"a b"}).str("tokenizer.ggml.pre", "qwen2");
    const std::vector<uint8_t> original = g.bytes();
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&] {  // xorshift: deterministic, so a failure reproduces
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int loaded = 0;
    for (int round = 0; round < 3000; ++round) {
        std::vector<uint8_t> bytes = original;
        const int damage = 1 + static_cast<int>(next() % 4);
        for (int d = 0; d < damage; ++d) bytes[24 + next() % (bytes.size() - 24)] = static_cast<uint8_t>(next());
        try {
            const GgufFile f = GgufFile::parse(bytes, "<fuzz>");
            const auto tok = Tokenizer::from_gguf(f);
            const auto ids = tok->encode("ab a <s> \xC3", TokenizeOptions{true, true});
            tok->decode(ids, true);
            ++loaded;
        } catch (const Error&) {
        } catch (const std::exception& e) {
            FAIL() << "round " << round << ": " << typeid(e).name() << ": " << e.what();
        }
    }
    std::printf("[          ] %d of 3000 damaged files still loaded\n", loaded);
    EXPECT_GT(loaded, 0);
}

// ---- pre-tokenizers and UTF-8 ---------------------------------------------------------

std::vector<std::string> pieces(const std::string& family, const std::string& text) {
    const PreTokenizer p(family);
    std::vector<std::string> out;
    for (auto v : p.split(text)) out.emplace_back(v);
    return out;
}

TEST(PreTokenizer, Families) {
    using V = std::vector<std::string>;
    EXPECT_EQ(pieces("gpt-2", "Hello world  it's 2024!"), (V{"Hello", " world", " ", " it", "'s", " 2024", "!"}));
    EXPECT_EQ(pieces("qwen2", "abc 123"), (V{"abc", " ", "1", "2", "3"}));
    EXPECT_EQ(pieces("llama-bpe", "abc 12345 IT'S"), (V{"abc", " ", "123", "45", " IT", "'S"}));
    EXPECT_EQ(pieces("deepseek-coder", "x = 12\n"), (V{"x", " = ", "1", "2", "\n"}))
        << "'=' is a math symbol, not \\p{P}";
    EXPECT_EQ(pieces("deepseek-coder", "f(x);"), (V{"f", "(", "x", ");"}));
    EXPECT_EQ(pieces("deepseek-llm", "Hi 世界 42"), (V{"Hi", " ", "世界", " ", "42"}));
    EXPECT_TRUE(PreTokenizer::is_known("deepseek-r1-qwen"));
    EXPECT_FALSE(PreTokenizer::is_known("unknown"));
    EXPECT_THROW(PreTokenizer("unknown"), Error);
}

TEST(Utf8, DecodeEncode) {
    const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
    size_t pos = 0;
    EXPECT_EQ(utf8_decode(s, pos), U'a');
    EXPECT_EQ(utf8_decode(s, pos), U'\u00E9');
    EXPECT_EQ(utf8_decode(s, pos), U'\u20AC');
    EXPECT_EQ(utf8_decode(s, pos), U'\U0001F600');
    EXPECT_EQ(pos, s.size());
    EXPECT_EQ(utf8_encode(U'\U0001F600'), "\xF0\x9F\x98\x80");
    EXPECT_EQ(utf8_encode(0xD800), "\xEF\xBF\xBD");
    EXPECT_TRUE(utf8_is_valid(s));
    EXPECT_TRUE(utf8_is_valid("\xEF\xBF\xBD"));
    EXPECT_FALSE(utf8_is_valid("\xC3"));
    EXPECT_FALSE(utf8_is_valid("\xC0\x80"));  // overlong NUL
    EXPECT_FALSE(utf8_is_valid("\xED\xA0\x80"));  // surrogate
    pos = 0;
    EXPECT_EQ(utf8_decode("\xFF" "a", pos), kReplacementChar);
    EXPECT_EQ(pos, 1u);
    EXPECT_EQ(utf8_sequence_length(0xE2), 3u);
    EXPECT_EQ(utf8_sequence_length(0x80), 1u) << "a continuation byte stands alone";
}

}  // namespace
}  // namespace pareto
