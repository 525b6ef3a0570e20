// Synthetic models (model/synth.h), the writer's generated tensors they rely on, and
// the memory probes (util/memory.h): presets and type recipes, byte-identical output
// for a seed, files that load and run in Pareto with a working tokenizer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "model/synth.h"
#include "support/test_data.h"
#include "tensor/quant.h"
#include "util/error.h"
#include "util/memory.h"
#include "util/thread_pool.h"

namespace pareto {
namespace {

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

class TempDir {
public:
    TempDir() {
        path_ = std::filesystem::temp_directory_path() /
                ("pareto-test-synth-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    static inline int counter_ = 0;
    std::filesystem::path path_;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SynthOptions tiny(const std::string& type = "F32", uint64_t seed = 1) {
    SynthOptions o;
    o.preset = "tiny";
    o.type = type;
    o.seed = seed;
    o.n_threads = 2;
    return o;
}

// ---- presets and type recipes ----------------------------------------------------------

TEST(SynthPresets, HaveTheShapesOfTheModelsTheyName) {
    const SynthPreset& q = find_synth_preset("qwen2-0.5b");
    EXPECT_EQ(q.arch, Arch::Qwen2);
    EXPECT_EQ(q.n_embd, 896);
    EXPECT_EQ(q.n_layer, 24);
    EXPECT_EQ(q.n_head, 14);
    EXPECT_EQ(q.n_head_kv, 2);
    EXPECT_EQ(q.head_dim, 64);
    EXPECT_EQ(q.n_ff, 4864);
    EXPECT_EQ(q.n_vocab, 151936);
    EXPECT_TRUE(q.tied_output);
    EXPECT_EQ(q.rope_theta, 1e6);
    const SynthPreset& r = find_synth_preset("r1-distill-qwen-1.5b");
    EXPECT_EQ(r.n_embd, 1536);
    EXPECT_EQ(r.n_layer, 28);
    EXPECT_EQ(r.n_head, 12);
    EXPECT_EQ(r.n_head_kv, 2);
    EXPECT_EQ(r.head_dim, 128);
    EXPECT_EQ(r.n_ff, 8960);
    EXPECT_FALSE(r.tied_output);
    EXPECT_EQ(r.rope_theta, 10000.0);
    const SynthPreset& l = find_synth_preset("llama-1b");
    EXPECT_EQ(l.arch, Arch::Llama);
    EXPECT_EQ(l.n_vocab, 128256);
    EXPECT_EQ(l.n_head_kv, 8);
    for (const SynthPreset& p : synth_presets()) {
        EXPECT_EQ(p.n_head % p.n_head_kv, 0) << p.name;
        EXPECT_GT(p.n_vocab, 256) << p.name;
    }
}

TEST(SynthPresets, UnknownPresetNamesTheKnownOnes) {
    const std::string msg = error_of([] { find_synth_preset("gpt-5"); });
    EXPECT_CONTAINS(msg, "gpt-5");
    EXPECT_CONTAINS(msg, "qwen2-0.5b");
}

TEST(SynthTypes, ParsesPureTypesAndMixes) {
    EXPECT_EQ(parse_synth_type("f16").base, DType::F16);
    EXPECT_EQ(parse_synth_type("Q8_0").file_type, 7u);
    EXPECT_EQ(parse_synth_type("q4_0").file_type, 2u);
    EXPECT_EQ(parse_synth_type("BF16").file_type, 32u);
    const SynthType m = parse_synth_type("q4_k_m");
    EXPECT_TRUE(m.mix);
    EXPECT_EQ(m.base, DType::Q4_K);
    EXPECT_EQ(m.file_type, 15u);
    EXPECT_EQ(parse_synth_type("Q5_K_M").file_type, 17u);
    const std::string msg = error_of([] { parse_synth_type("Q7_X"); });
    EXPECT_CONTAINS(msg, "Q7_X");
    EXPECT_CONTAINS(msg, "Q4_K_M");
    EXPECT_CONTAINS(error_of([] { parse_synth_type("IQ2_XS"); }), "unsupported");
}

TEST(SynthTypes, MixRecipeGivesMoreBitsToOutputAndSensitiveLayers) {
    const SynthType m = parse_synth_type("Q4_K_M");
    EXPECT_EQ(synth_matrix_type(m, "output.weight", -1, 24, false), DType::Q6_K);
    EXPECT_EQ(synth_matrix_type(m, "token_embd.weight", -1, 24, true), DType::Q6_K);   // tied: it is the output
    EXPECT_EQ(synth_matrix_type(m, "token_embd.weight", -1, 24, false), DType::Q4_K);
    // 24 layers: the first and last three, and every third layer after the third (5, 8, 11, ...).
    std::vector<int> more;
    for (int l = 0; l < 24; ++l)
        if (synth_matrix_type(m, "blk." + std::to_string(l) + ".attn_v.weight", l, 24, true) == DType::Q6_K)
            more.push_back(l);
    EXPECT_EQ(more, (std::vector<int>{0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23}));
    EXPECT_EQ(synth_matrix_type(m, "blk.0.ffn_down.weight", 0, 24, true), DType::Q6_K);
    EXPECT_EQ(synth_matrix_type(m, "blk.3.ffn_down.weight", 3, 24, true), DType::Q4_K);
    EXPECT_EQ(synth_matrix_type(m, "blk.0.attn_q.weight", 0, 24, true), DType::Q4_K);
    EXPECT_EQ(synth_matrix_type(m, "blk.0.ffn_up.weight", 0, 24, true), DType::Q4_K);
    const SynthType p = parse_synth_type("Q4_0");
    EXPECT_EQ(synth_matrix_type(p, "output.weight", -1, 24, false), DType::Q4_0);
    EXPECT_EQ(synth_matrix_type(p, "blk.0.attn_v.weight", 0, 24, false), DType::Q4_0);
}

TEST(SynthTypes, RowsThatAreNotWholeBlocksFallBack) {
    EXPECT_EQ(synth_fallback_type(DType::Q4_K, 256), DType::Q4_K);
    EXPECT_EQ(synth_fallback_type(DType::Q4_K, 896), DType::Q5_0);
    EXPECT_EQ(synth_fallback_type(DType::Q5_K, 896), DType::Q5_1);
    EXPECT_EQ(synth_fallback_type(DType::Q6_K, 896), DType::Q8_0);
    EXPECT_EQ(synth_fallback_type(DType::Q2_K, 896), DType::Q4_0);
    EXPECT_EQ(synth_fallback_type(DType::Q3_K, 896), DType::Q4_0);
    EXPECT_EQ(synth_fallback_type(DType::Q4_0, 896), DType::Q4_0);
    EXPECT_EQ(synth_fallback_type(DType::Q4_0, 48), DType::F16);
    EXPECT_EQ(synth_fallback_type(DType::Q4_K, 48), DType::F16);
    EXPECT_EQ(synth_fallback_type(DType::F32, 7), DType::F32);
}

// ---- the writer's generated tensors ------------------------------------------------------

TEST(GgufWriterGenerated, GivesTheSameFileAsOwnedBytes) {
    std::vector<uint8_t> data(64 * 10 * 4);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    GgufWriter owned, gen, rows;
    for (GgufWriter* w : {&owned, &gen, &rows}) w->add("general.architecture", GgufValue::make_string("llama"));
    owned.add_tensor("a", DType::F32, {64, 10}, data);
    owned.add_tensor("b", DType::F32, {3}, std::vector<uint8_t>(12, 9));
    gen.add_tensor_generated("a", DType::F32, {64, 10}, [&](uint8_t* dst) { std::copy(data.begin(), data.end(), dst); });
    gen.add_tensor_generated("b", DType::F32, {3}, [](uint8_t* dst) { std::fill(dst, dst + 12, 9); });
    // Chunks of at most 3 rows (768 bytes): rows 0-2, 3-5, 6-8, 9.
    std::vector<std::pair<uint64_t, uint64_t>> calls;
    rows.add_tensor_generated_rows(
        "a", DType::F32, {64, 10},
        [&](uint64_t r0, uint64_t n, uint8_t* dst) {
            calls.emplace_back(r0, n);
            std::copy(data.begin() + static_cast<std::ptrdiff_t>(r0 * 256),
                      data.begin() + static_cast<std::ptrdiff_t>((r0 + n) * 256), dst);
        },
        3 * 256 + 100);
    rows.add_tensor_generated("b", DType::F32, {3}, [](uint8_t* dst) { std::fill(dst, dst + 12, 9); });

    const auto expected = owned.serialize();
    EXPECT_EQ(gen.serialize(), expected);
    EXPECT_EQ(rows.serialize(), expected);
    EXPECT_EQ(calls, (std::vector<std::pair<uint64_t, uint64_t>>{{0, 3}, {3, 3}, {6, 3}, {9, 1}}));
    EXPECT_EQ(rows.file_size(), expected.size());

    TempDir dir;
    calls.clear();
    rows.write(dir.file("rows.gguf"));
    EXPECT_EQ(read_bytes(dir.file("rows.gguf")), expected);
    EXPECT_EQ(calls.size(), 4u);
}

TEST(GgufWriterGenerated, ASourceThatThrowsLeavesNoFile) {
    GgufWriter w;
    w.add_tensor_generated_rows("a", DType::F32, {64, 100}, [](uint64_t r0, uint64_t, uint8_t*) {
        if (r0 >= 50) fail("source broke");
    }, 256 * 10);
    TempDir dir;
    EXPECT_CONTAINS(error_of([&] { w.write(dir.file("x.gguf")); }), "source broke");
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.gguf")));
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(dir.file("")))) n += e.exists();
    EXPECT_EQ(n, 0u) << "the temporary file was removed";
}

TEST(GgufWriterGenerated, ChecksShapeAndTypeWhenAdded) {
    GgufWriter w;
    EXPECT_CONTAINS(error_of([&] { w.add_tensor_generated("q", DType::Q4_0, {48, 2}, [](uint8_t*) {}); }),
                    "not a multiple");
    EXPECT_CONTAINS(error_of([&] { w.add_tensor_generated("q", DType::F32, {4}, nullptr); }), "no source");
}

// ---- synthesized models ---------------------------------------------------------------------

TEST(Synth, SameSeedSameBytesAnyThreadCountOtherSeedOtherWeights) {
    SynthOptions a = tiny("F16", 7);
    SynthOptions b = a;
    b.n_threads = 1;
    SynthOptions c = a;
    c.seed = 8;
    const auto fa = ModelSynthesizer(a).serialize();
    const auto fb = ModelSynthesizer(b).serialize();
    const auto fc = ModelSynthesizer(c).serialize();
    EXPECT_EQ(fa, fb);
    ASSERT_EQ(fa.size(), fc.size());
    EXPECT_NE(fa, fc);
    // The weights differ, not just the seed recorded in the metadata.
    const GgufFile ga = GgufFile::parse(std::span<const uint8_t>(fa));
    const GgufFile gc = GgufFile::parse(std::span<const uint8_t>(fc));
    const GgufTensor& ta = ga.require_tensor("blk.1.ffn_up.weight");
    const GgufTensor& tc = gc.require_tensor("blk.1.ffn_up.weight");
    EXPECT_NE(std::vector<uint8_t>(ta.data, ta.data + ta.n_bytes), std::vector<uint8_t>(tc.data, tc.data + tc.n_bytes));
}

TEST(Synth, WriteGivesTheSerializedBytes) {
    ModelSynthesizer s(tiny("BF16", 3));
    TempDir dir;
    size_t calls = 0;
    uint64_t last = 0;
    s.write(dir.file("m.gguf"), [&](const SynthProgress& p) {
        ++calls;
        EXPECT_GE(p.bytes_done, last);
        last = p.bytes_done;
        EXPECT_EQ(p.bytes_total, s.summary().weight_bytes);
    });
    EXPECT_EQ(last, s.summary().weight_bytes);
    EXPECT_EQ(calls, s.summary().tensors.size());
    const auto bytes = read_bytes(dir.file("m.gguf"));
    EXPECT_EQ(bytes.size(), s.summary().file_bytes);
    EXPECT_EQ(bytes, s.serialize());
}

TEST(Synth, MetadataReadsBackAsThePresetShapes) {
    for (const char* preset : {"tiny", "tiny-tied", "qwen2-0.5b", "r1-distill-qwen-1.5b", "llama-1b"}) {
        SynthOptions o;
        o.preset = preset;
        o.n_layer = 1;  // only the plan and the metadata are needed: nothing is generated
        ModelSynthesizer s(o);
        const SynthPreset& p = find_synth_preset(preset);
        const auto header = [&] {
            // Metadata and tensor table only: serialize would generate every weight.
            GgufWriter w;
            for (const auto& [k, v] : s.writer().metadata()) w.add(k, v);
            return w.serialize();
        }();
        const GgufFile f = GgufFile::parse(std::span<const uint8_t>(header));
        const ModelConfig c = read_config(f);
        EXPECT_EQ(c.arch, p.arch) << preset;
        EXPECT_EQ(c.n_embd, p.n_embd) << preset;
        EXPECT_EQ(c.n_layer, 1) << preset;
        EXPECT_EQ(c.n_head, p.n_head) << preset;
        EXPECT_EQ(c.n_head_kv, p.n_head_kv) << preset;
        EXPECT_EQ(c.head_dim, p.head_dim) << preset;
        EXPECT_EQ(c.n_ff, p.n_ff) << preset;
        EXPECT_EQ(c.n_vocab, p.n_vocab) << preset;
        EXPECT_EQ(c.n_ctx_train, p.n_ctx_train) << preset;
        EXPECT_EQ(c.rope_dim, p.head_dim) << preset;
        EXPECT_FLOAT_EQ(c.rope_theta, static_cast<float>(p.rope_theta)) << preset;
        EXPECT_FLOAT_EQ(c.rms_eps, static_cast<float>(p.rms_eps)) << preset;
        EXPECT_EQ(s.summary().config.n_vocab, p.n_vocab) << preset;
        EXPECT_EQ(f.get_int("general.file_type", -1), 1) << preset;
        EXPECT_EQ(f.get_int("general.alignment", -1), 32) << preset;
        EXPECT_EQ(f.require("tokenizer.ggml.tokens").as_array().size(), static_cast<size_t>(p.n_vocab)) << preset;
        // Tensors: the output matrix only when untied, biases only for qwen2.
        bool has_output = false, has_bias = false;
        for (const auto& t : s.summary().tensors) {
            has_output |= t.name == "output.weight";
            has_bias |= t.name == "blk.0.attn_q.bias";
        }
        EXPECT_EQ(has_output, !p.tied_output) << preset;
        EXPECT_EQ(has_bias, p.arch == Arch::Qwen2) << preset;
    }
}

TEST(Synth, RealPresetParamCountsMatchTheModels) {
    auto params = [](const char* preset) {
        SynthOptions o;
        o.preset = preset;
        return ModelSynthesizer(o).summary().n_params;
    };
    EXPECT_NEAR(static_cast<double>(params("qwen2-0.5b")), 494.0e6, 1e6);            // Qwen2.5-0.5B: 0.49B
    EXPECT_NEAR(static_cast<double>(params("r1-distill-qwen-1.5b")), 1777.1e6, 1e6);  // 1.78B (untied)
    EXPECT_NEAR(static_cast<double>(params("llama-1b")), 1235.8e6, 1e6);              // Llama-3.2-1B: 1.24B
}

TEST(Synth, QuantizedMixFallsBackWhereRowsAreNotWholeBlocks) {
    SynthOptions o;
    o.preset = "qwen2-0.5b";
    o.type = "Q4_K_M";
    o.n_layer = 2;
    ModelSynthesizer s(o);
    std::map<std::string, DType> type_of;
    for (const auto& t : s.summary().tensors) type_of[t.name] = t.type;
    EXPECT_EQ(type_of["token_embd.weight"], DType::Q8_0);     // tied output: Q6_K, rows of 896 -> Q8_0
    EXPECT_EQ(type_of["blk.0.attn_q.weight"], DType::Q5_0);   // Q4_K, rows of 896 -> Q5_0
    EXPECT_EQ(type_of["blk.0.ffn_down.weight"], DType::Q4_K); // rows of 4864 = 19 x 256
    EXPECT_EQ(type_of["blk.1.ffn_down.weight"], DType::Q6_K); // the last eighth of 2 layers
    EXPECT_EQ(type_of["blk.0.attn_q.bias"], DType::F32);
    EXPECT_EQ(type_of["blk.0.attn_norm.weight"], DType::F32);
    EXPECT_FALSE(s.summary().fallbacks.empty());
}

TEST(Synth, OptionErrorsAreClear) {
    SynthOptions o = tiny();
    o.preset = "nope";
    EXPECT_CONTAINS(error_of([&] { ModelSynthesizer s(o); }), "unknown preset 'nope'");
    o = tiny("Q9_9");
    EXPECT_CONTAINS(error_of([&] { ModelSynthesizer s(o); }), "Q9_9");
    o = tiny();
    o.tokenizer = "/nonexistent/tokenizer";
    EXPECT_CONTAINS(error_of([&] { ModelSynthesizer s(o); }), "/nonexistent/tokenizer");
    o = tiny();
    ModelSynthesizer s(o);
    EXPECT_CONTAINS(error_of([&] { s.write("/nonexistent-dir/x/model.gguf"); }), "/nonexistent-dir/x/model.gguf");
}

// Loads, tokenizes and generates with a synthesized tiny model in every type the
// engine can compute with (the others are checked by llama.cpp in
// tests/cli/test_cli_kernels.sh until the engine computes with them).
class SynthRuns : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(SynthRuns, LoadsTokenizesAndGeneratesFiniteLogits) {
    const auto [preset, type] = GetParam();
    SynthOptions o;
    o.preset = preset;
    o.type = type;
    o.seed = 11;
    o.n_threads = 2;
    ModelSynthesizer s(o);
    for (const auto& t : s.summary().tensors)
        if (!dtype_is_computable(t.type))
            GTEST_SKIP() << "the engine cannot compute with " << dtype_name(t.type) << " weights yet";
    TempDir dir;
    const std::string path = dir.file("m.gguf");
    s.write(path);

    const auto model = Model::load(path);
    const ModelConfig& c = model->config();
    EXPECT_EQ(c.arch, find_synth_preset(preset).arch);
    EXPECT_EQ(c.n_vocab, 1024);
    EXPECT_EQ(c.tied_output, find_synth_preset(preset).tied_output);
    EXPECT_EQ(c.has_qkv_bias, c.arch == Arch::Qwen2);

    const Tokenizer& tok = model->tokenizer();
    EXPECT_EQ(tok.model_name(), "gpt2");
    EXPECT_EQ(tok.vocab_size(), 1024u);
    for (const char* text : {"The quick brown fox jumps over the lazy dog.", "naïve café, 12345 😀\n\tdef f(x):",
                             "Once upon a time"}) {
        const auto ids = tok.encode(text, TokenizeOptions{false, false});
        EXPECT_EQ(tok.decode(ids), text);
    }
    // Learned merges shorten common English.
    EXPECT_LT(tok.encode("the model and the memory", TokenizeOptions{false, false}).size(), 20u);
    EXPECT_TRUE(tok.eos().has_value());
    EXPECT_TRUE(tok.is_end_of_generation(*tok.eos()));

    SessionParams sp = session_default_params();
    sp.n_threads = 2;
    sp.n_ctx = 64;
    Session session(*model, sp);
    const auto prompt = tok.encode("The small computer on the desk", TokenizeOptions{true, false});
    GenerateParams gp = generate_default_params();
    gp.n_predict = 8;
    gp.sampler.temperature = 0.0f;
    gp.stop_at_eog = false;
    int generated = 0;
    generate(session, prompt, gp, [&](TokenId) {
        for (const float v : session.logits()) EXPECT_TRUE(std::isfinite(v));
        ++generated;
        return true;
    });
    EXPECT_EQ(generated, 8);
    // Logits are not degenerate: random weights still give distinct scores.
    const auto logits = session.logits();
    EXPECT_NE(*std::max_element(logits.begin(), logits.end()), *std::min_element(logits.begin(), logits.end()));
}

INSTANTIATE_TEST_SUITE_P(Types, SynthRuns,
                         ::testing::Combine(::testing::Values("tiny", "tiny-tied"),
                                            ::testing::Values("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0",
                                                              "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
                                                              "Q4_K_M", "Q5_K_M")),
                         [](const auto& p) {
                             std::string n = std::string(std::get<0>(p.param)) + "_" + std::get<1>(p.param);
                             for (char& ch : n)
                                 if (ch == '-') ch = '_';
                             return n;
                         });

// The file a mapping of this process comes from ("" when anonymous), by
// /proc/self/maps: where the engine reads a weight from.
std::string backing_file_of(const void* p) {
    const auto addr = reinterpret_cast<uintptr_t>(p);
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        uintptr_t lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) != 2 || addr < lo || addr >= hi) continue;
        const size_t slash = line.find('/');
        return slash == std::string::npos ? "" : line.substr(slash);
    }
    return "(unmapped)";
}

// Copied weights: an untied embedding table (read a row per token) goes back to the
// file mapping; a tied one is the output matrix, streamed every token, and stays in
// the copy (huge pages, not the file's 4 KiB pages).
TEST(Synth, CopiedWeightsMapBackOnlyAnUntiedEmbedding) {
    ::setenv("PARETO_WEIGHTS", "copy", 1);
    for (const char* preset : {"tiny", "tiny-tied"}) {
        SynthOptions o = tiny("F32");
        o.preset = preset;
        TempDir dir;
        const std::string path = std::filesystem::canonical(dir.path()).string() + "/m.gguf";
        ModelSynthesizer(o).write(path);
        const auto model = Model::load(path);
        ASSERT_EQ(model->gguf()->load(), FileLoad::Copy);
        const WeightMatrix& embd = model->weights().token_embd;
        ASSERT_GT(embd.bytes(), 3u * 4096) << "too small to hold a whole page";
        const void* middle = embd.row(embd.rows / 2);
        const bool tied = model->config().tied_output;
        EXPECT_EQ(tied, std::string(preset) == "tiny-tied");
        EXPECT_EQ(backing_file_of(middle), tied ? "" : path) << preset;
        EXPECT_EQ(backing_file_of(model->weights().layers[0].w_up.data), "") << preset;  // copied
    }
    ::unsetenv("PARETO_WEIGHTS");
}

TEST(Synth, LayerOverride) {
    SynthOptions o = tiny();
    o.n_layer = 3;
    ModelSynthesizer s(o);
    EXPECT_EQ(s.summary().config.n_layer, 3);
    const auto bytes = s.serialize();
    const GgufFile f = GgufFile::parse(std::span<const uint8_t>(bytes));
    EXPECT_EQ(read_config(f).n_layer, 3);
    EXPECT_NE(f.find_tensor("blk.2.ffn_down.weight"), nullptr);
    EXPECT_EQ(f.find_tensor("blk.3.ffn_down.weight"), nullptr);
}

TEST(Synth, ArchOverrideKeepsThePresetShapes) {
    SynthOptions o = tiny();
    o.arch = Arch::Qwen2;  // tiny is llama-shaped: a qwen2 of the same shapes, with biases
    ModelSynthesizer s(o);
    const auto bytes = s.serialize();
    const GgufFile f = GgufFile::parse(std::span<const uint8_t>(bytes));
    EXPECT_EQ(read_config(f).arch, Arch::Qwen2);
    EXPECT_EQ(f.get_string("tokenizer.ggml.pre", ""), "qwen2");
    EXPECT_NE(f.find_tensor("blk.0.attn_k.bias"), nullptr);
}

// ---- tokenizers from elsewhere ---------------------------------------------------------------

TEST(Synth, CopiesAGgufVocabularyAndPadsIt) {
    PARETO_REQUIRE_DATA(src_path, "models/stories260K.gguf");
    SynthOptions o = tiny();
    o.tokenizer = src_path;
    ModelSynthesizer s(o);
    EXPECT_EQ(s.summary().config.n_vocab, 1024);  // 512 tokens, padded to the preset's vocabulary
    EXPECT_EQ(s.summary().n_tokens, 512u);
    const auto bytes = s.serialize();
    const GgufFile f = GgufFile::parse(std::span<const uint8_t>(bytes));
    EXPECT_EQ(f.require("tokenizer.ggml.scores").as_array().size(), 1024u);
    EXPECT_EQ(f.require("tokenizer.ggml.token_type").as_array().size(), 1024u);
    const auto mine = Tokenizer::from_gguf(f);
    const GgufFile src = GgufFile::open(src_path);
    const auto theirs = Tokenizer::from_gguf(src);
    EXPECT_EQ(mine->model_name(), "llama");
    for (const char* text : {"Once upon a time, there was a little cat.", "Lily and Tom went to the park!"}) {
        EXPECT_EQ(mine->encode(text), theirs->encode(text));
        EXPECT_EQ(mine->decode(mine->encode(text, TokenizeOptions{false, false})), text);
    }
    EXPECT_EQ(mine->token_kind(700), TokenKind::Unused);
}

TEST(Synth, BuildsAVocabularyFromAHuggingFaceFolder) {
    PARETO_REQUIRE_DATA(vocab, "models/qwen2-tokenizer/vocab.json");
    const std::string dir = std::filesystem::path(vocab).parent_path().string();
    SynthOptions o;
    o.preset = "tiny-tied";
    o.n_layer = 1;
    o.tokenizer = dir;
    ModelSynthesizer s(o);
    EXPECT_EQ(s.summary().n_tokens, 151646u);  // 151643 + the 3 added tokens of this config
    EXPECT_EQ(s.summary().config.n_vocab, 151646);
    // The tokenizer alone (the weights are not needed to check it).
    GgufWriter w;
    for (const auto& [k, v] : s.writer().metadata()) w.add(k, v);
    const auto bytes = w.serialize();
    const GgufFile f = GgufFile::parse(std::span<const uint8_t>(bytes));
    EXPECT_EQ(f.get_string("tokenizer.ggml.pre", ""), "qwen2");
    EXPECT_EQ(f.require("tokenizer.ggml.merges").as_array().size(), 151387u);
    const auto mine = Tokenizer::from_gguf(f);
    const auto ref = Tokenizer::from_hf_vocab_merges(dir, "qwen2");
    for (const char* text : {"Hello world! 1234567 tokens, naïve café", "<|im_start|>user\nhi<|im_end|>"}) {
        EXPECT_EQ(mine->encode(text, TokenizeOptions{false, true}), ref->encode(text, TokenizeOptions{false, true}));
    }
    EXPECT_EQ(mine->token_text(*mine->eos()), "<|endoftext|>");
    EXPECT_EQ(mine->token_text(*mine->bos()), "<|endoftext|>");
    EXPECT_FALSE(mine->add_bos_default());
}

// ---- memory probes ---------------------------------------------------------------------------

TEST(Memory, ResidentSetSizes) {
    const size_t peak = peak_rss_bytes();
    const size_t now = current_rss_bytes();
    EXPECT_GT(now, 0u);
    EXPECT_GE(peak, now / 2);  // both move; but peak is never far below the current size
    std::vector<char> big(64 << 20, 1);
    EXPECT_GE(peak_rss_bytes(), size_t{64} << 20);
    EXPECT_EQ(big[12345], 1);
    EXPECT_GT(available_memory_bytes(), 0u);
}

TEST(Memory, ReadBandwidthProbe) {
    ThreadPool pool(2);
    BandwidthParams p;
    p.buffer_bytes = size_t{32} << 20;
    p.runs = 2;
    const BandwidthResult r = measure_read_bandwidth(pool, p);
    EXPECT_EQ(r.threads, 2);
    EXPECT_EQ(r.buffer_bytes, size_t{32} << 20);
    EXPECT_GT(r.gb_per_s, 0.1);
    EXPECT_LT(r.gb_per_s, 10000.0);
    EXPECT_GE(r.gb_per_s, r.mean_gb_per_s * 0.999);
    BandwidthParams bad;
    bad.buffer_bytes = 100;
    EXPECT_CONTAINS(error_of([&] { measure_read_bandwidth(pool, bad); }), "at least 1 MiB");
}

}  // namespace
}  // namespace pareto
