// HuggingFace checkpoints against the GGUF originals: a GGUF converted to an HF folder
// and loaded from there computes the same logits (1e-5) and llama.cpp's greedy text;
// HF -> GGUF gives back the original tensors byte for byte; config.json mapping and
// its errors; shards, dtypes, quantized sources.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "format/gguf.h"
#include "format/safetensors.h"
#include "model/convert.h"
#include "model/generate.h"
#include "model/hf_config.h"
#include "model/hf_model.h"
#include "model/model.h"
#include "model/session.h"
#include "model/synth.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::current_path() / "hf_model_test_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string str(const std::string& sub = "") const { return sub.empty() ? path.string() : (path / sub).string(); }
};

json load_json(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::vector<TokenId> greedy(Session& s, const std::vector<TokenId>& prompt, int n) {
    GenerateParams gp = generate_default_params();
    gp.n_predict = n;
    gp.sampler.temperature = 0.0f;
    gp.stop_at_eog = false;
    std::vector<TokenId> out;
    generate(s, prompt, gp, [&](TokenId t) {
        out.push_back(t);
        return true;
    });
    return out;
}

// The largest |a - b| over the logits of every position of `tokens`.
double max_logit_diff(const Model& a, const Model& b, const std::vector<TokenId>& tokens) {
    Session sa(a), sb(b);
    sa.eval(tokens, true);
    sb.eval(tokens, true);
    double worst = 0.0;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const auto la = sa.logits_at(static_cast<int64_t>(i));
        const auto lb = sb.logits_at(static_cast<int64_t>(i));
        EXPECT_EQ(la.size(), lb.size());
        for (size_t v = 0; v < la.size() && v < lb.size(); ++v) worst = std::max(worst, std::abs(double(la[v]) - lb[v]));
    }
    return worst;
}

#define EXPECT_CONTAINS(haystack, needle)                                                   \
    do {                                                                                    \
        const std::string h_ = (haystack);                                                  \
        EXPECT_NE(h_.find(needle), std::string::npos) << "message: \"" << h_ << "\"";      \
    } while (0)

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// ---- stories260K: GGUF -> HF folder -> Model -------------------------------------------

TEST(HfStories260K, GreedyTextMatchesLlamaCppAndLogitsMatchGguf) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(golden_path, "golden/stories260K-greedy.json");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    const ConvertReport r = write_hf_checkpoint(*gguf, dir.str());
    EXPECT_EQ(r.n_tensors, 48u);
    EXPECT_EQ(r.n_converted, 0u);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_CONTAINS(r.notes[0], "10 Q/K tensors re-ordered");
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"})
        EXPECT_TRUE(fs::exists(dir.path / f)) << f;

    const auto hf = Model::load(dir.str());
    EXPECT_EQ(hf->gguf(), nullptr);
    EXPECT_EQ(hf->config().arch, Arch::Llama);
    EXPECT_EQ(hf->config().rope_order, RopeOrder::Normal);  // Q/K permuted into GGUF's layout at load
    EXPECT_EQ(hf->config().n_vocab, 512);
    EXPECT_EQ(hf->weight_bytes(), gguf->weight_bytes());
    EXPECT_EQ(hf->tensors().require("blk.2.ffn_up.weight").shape, (std::vector<uint64_t>{64, 172}));

    const json golden = load_json(golden_path);
    ASSERT_FALSE(golden["cases"].empty());
    const Tokenizer& tok = hf->tokenizer();
    Session session(*hf);
    for (const auto& c : golden["cases"]) {
        const auto prompt = tok.encode(c["prompt"].get<std::string>());
        EXPECT_EQ(prompt, c["prompt_ids"].get<std::vector<TokenId>>());
        session.clear();
        const auto out = greedy(session, prompt, c["n_predict"].get<int>());
        std::string text = tok.decode(prompt);
        for (TokenId t : out) text += tok.token_to_piece(t);
        EXPECT_EQ(text, c["greedy_text"].get<std::string>());
    }

    const auto tokens = gguf->tokenizer().encode("Once upon a time, a little dog named Max went to the park with his ball.");
    const double worst = max_logit_diff(*gguf, *hf, tokens);
    std::printf("[          ] stories260K HF vs GGUF: max |logit diff| = %.3g over %zu positions\n", worst, tokens.size());
    EXPECT_LT(worst, 1e-5);
    EXPECT_EQ(worst, 0.0) << "the same weights in the same layout compute the same bits";
}

// The written checkpoint really is in HuggingFace's layout: its Q/K used as they are,
// with HF's rotate-half RoPE (NeoX), compute what the GGUF computes with adjacent
// pairs (up to summation order).
TEST(HfStories260K, WrittenQKAreInHfLayout) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str());
    auto ckpt = std::make_shared<const SafetensorsCheckpoint>(SafetensorsCheckpoint::open(dir.str()));
    TensorSet raw("raw HF tensors");
    for (const SafetensorsTensor* st : ckpt->tensors()) {
        GgufTensor t;
        t.name = *gguf_name_of_hf(st->name);
        t.type = st->type;
        t.shape.assign(st->shape.rbegin(), st->shape.rend());
        t.n_elements = st->n_elements;
        t.n_bytes = st->n_bytes();
        t.data = st->data;
        raw.put(std::move(t), ckpt);
    }
    ModelConfig neox = gguf->config();
    neox.rope_order = RopeOrder::NeoX;
    const auto hf_layout = Model::from_parts(neox, gguf->shared_tokenizer(), std::move(raw));
    const auto tokens = gguf->tokenizer().encode("Once upon a time, a little dog named Max went to the park.");
    const double d = max_logit_diff(*gguf, *hf_layout, tokens);
    std::printf("[          ] HF layout + NeoX vs GGUF layout + pairs: max |logit diff| = %.3g\n", d);
    EXPECT_LT(d, 1e-4);
    // And a wrong layout is far off: the check can fail.
    ModelConfig wrong = neox;
    wrong.rope_order = RopeOrder::Normal;
    TensorSet again("raw again");
    for (const GgufTensor& t : hf_layout->tensors().tensors()) again.put(t, ckpt);
    EXPECT_GT(max_logit_diff(*gguf, *Model::from_parts(wrong, gguf->shared_tokenizer(), std::move(again)), tokens), 1e-2);
}

// The folder's files name the checkpoint too.
TEST(HfStories260K, LoadsFromConfigJsonOrSafetensorsPath) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str());
    EXPECT_EQ(Model::load(dir.str("config.json"))->config().n_layer, 5);
    EXPECT_EQ(Model::load(dir.str("model.safetensors"))->config().n_layer, 5);
    EXPECT_TRUE(is_hf_checkpoint(dir.str()));
    EXPECT_FALSE(is_hf_checkpoint(model_path));
}

// HF -> GGUF: the original GGUF's tensors come back byte for byte (Q/K permuted back).
TEST(HfStories260K, RoundTripToGgufIsByteIdentical) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str("hf"));
    const auto hf = Model::load(dir.str("hf"));
    const ConvertReport r = write_gguf_model(*hf, dir.str("back.gguf"));
    EXPECT_TRUE(r.notes.empty()) << "nothing to convert: the loader put Q/K in GGUF's layout";
    const auto back = Model::load(dir.str("back.gguf"));
    ASSERT_NE(back->gguf(), nullptr);
    EXPECT_EQ(back->config().rope_order, RopeOrder::Normal);
    const GgufFile& orig = *gguf->gguf();
    ASSERT_EQ(back->tensors().tensors().size(), orig.tensors().size());
    for (const GgufTensor& t : orig.tensors()) {
        const GgufTensor& b = back->tensors().require(t.name);
        EXPECT_EQ(b.shape, t.shape) << t.name;
        ASSERT_EQ(b.n_bytes, t.n_bytes) << t.name;
        EXPECT_EQ(std::memcmp(b.data, t.data, t.n_bytes), 0) << t.name << " differs";
    }
    // Same hyperparameters and the same vocabulary.
    const ModelConfig& a = gguf->config();
    const ModelConfig& c = back->config();
    EXPECT_EQ(c.n_embd, a.n_embd);
    EXPECT_EQ(c.n_head_kv, a.n_head_kv);
    EXPECT_EQ(c.rms_eps, a.rms_eps);
    EXPECT_EQ(c.rope_theta, a.rope_theta);
    EXPECT_EQ(c.n_ctx_train, a.n_ctx_train);
    for (TokenId i = 0; i < 512; ++i) {
        ASSERT_EQ(back->tokenizer().token_text(i), gguf->tokenizer().token_text(i));
        ASSERT_EQ(back->tokenizer().token_kind(i), gguf->tokenizer().token_kind(i));
    }
    const auto tokens = gguf->tokenizer().encode("Lily and Ben played in the garden all day.");
    EXPECT_EQ(back->tokenizer().encode("Lily and Ben played in the garden all day."), tokens);
    EXPECT_EQ(max_logit_diff(*gguf, *back, tokens), 0.0) << "the same bytes must compute the same logits";
}

// ---- tiny fixtures: reference tokens and numpy logits ---------------------------------

class HfTinyFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(HfTinyFixture, ConvertedFolderMatchesReferenceAndGguf) {
    const std::string base = std::string("models/tiny-fixtures/") + GetParam();
    PARETO_REQUIRE_DATA(model_path, base + ".gguf");
    PARETO_REQUIRE_DATA(ref_path, base + ".reference.json");
    const json ref = load_json(ref_path);
    const auto prompt = ref["prompt"].get<std::vector<TokenId>>();
    const auto expected = ref["generated"].get<std::vector<TokenId>>();
    const auto ref_logits = ref["logits_numpy_f64"].get<std::vector<std::vector<double>>>();

    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str("hf"));
    const auto hf = Model::load(dir.str("hf"));
    Session session(*hf);
    EXPECT_EQ(greedy(session, prompt, static_cast<int>(expected.size())), expected);

    std::vector<TokenId> all = prompt;
    all.insert(all.end(), expected.begin(), expected.end());
    session.clear();
    session.eval(all, true);
    double worst_ref = 0.0;
    for (size_t i = 0; i < all.size(); ++i) {
        const auto got = session.logits_at(static_cast<int64_t>(i));
        for (size_t v = 0; v < got.size(); ++v) worst_ref = std::max(worst_ref, std::abs(got[v] - ref_logits[i][v]));
    }
    EXPECT_LT(worst_ref, 1e-4) << "vs numpy float64";
    EXPECT_LT(max_logit_diff(*gguf, *hf, all), 1e-5) << "vs the GGUF model";

    // And back to GGUF: the same tensors and tokens.
    write_gguf_model(*hf, dir.str("back.gguf"));
    const auto back = Model::load(dir.str("back.gguf"));
    for (const GgufTensor& t : gguf->tensors().tensors())
        EXPECT_EQ(std::memcmp(back->tensors().require(t.name).data, t.data, t.n_bytes), 0) << t.name;
    Session s2(*back);
    EXPECT_EQ(greedy(s2, prompt, static_cast<int>(expected.size())), expected);
    EXPECT_EQ(back->tokenizer().chat_template(), gguf->tokenizer().chat_template());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfTinyFixture, ::testing::Values("tiny-llama-f32", "tiny-qwen2-f32"),
                         [](const auto& param_info) {
                             return std::string(param_info.param).find("llama") != std::string::npos ? "llama" : "qwen2";
                         });

// ---- types -------------------------------------------------------------------------------

TEST(HfConvert, QuantizedGgufIsDequantized) {
    PARETO_REQUIRE_DATA(model_path, "models/quantized/stories260K-Q8_0.gguf");
    const auto q8 = Model::load(model_path);
    TempDir dir;
    // auto: quantized tensors become F32, float ones (this file's F16 ffn_down) stay.
    const ConvertReport r = write_hf_checkpoint(*q8, dir.str("auto"));
    EXPECT_EQ(r.n_converted, 32u);  // 48 tensors less 11 F32 norms and 5 F16
    bool noted = false;
    for (const auto& n : r.notes) noted = noted || n == "32 Q8_0 tensors dequantized to F32";
    EXPECT_TRUE(noted);
    const auto hf_auto = Model::load(dir.str("auto"));
    EXPECT_EQ(hf_auto->tensors().require("blk.0.ffn_down.weight").type, DType::F16);
    EXPECT_EQ(hf_auto->tensors().require("blk.0.ffn_up.weight").type, DType::F32);

    write_hf_checkpoint(*q8, dir.str("f32"), ConvertType::F32);
    const auto hf = Model::load(dir.str("f32"));
    for (const GgufTensor& t : hf->tensors().tensors()) EXPECT_EQ(t.type, DType::F32) << t.name;
    EXPECT_EQ(load_json(dir.str("f32/config.json"))["torch_dtype"], "float32");
    // The dequantized weights hold the quantized values exactly: the F32 model is the
    // Q8_0 model without the activation rounding its kernels add.
    const auto tokens = q8->tokenizer().encode("Once upon a time, there was a cat.");
    const double d = max_logit_diff(*q8, *hf, tokens);
    std::printf("[          ] Q8_0 vs its dequantized F32 copy: max |logit diff| = %.3g\n", d);
    EXPECT_LT(d, 0.5);
    EXPECT_EQ(max_logit_diff(*hf_auto, *hf, tokens) < 1e-3, true);

    const ConvertReport r16 = write_hf_checkpoint(*q8, dir.str("f16"), ConvertType::F16);
    const auto hf16 = Model::load(dir.str("f16"));
    for (const GgufTensor& t : hf16->tensors().tensors()) EXPECT_EQ(t.type, DType::F16) << t.name;
    EXPECT_EQ(load_json(dir.str("f16/config.json"))["torch_dtype"], "float16");
    EXPECT_LT(max_logit_diff(*hf, *hf16, tokens), 0.1);
}

TEST(HfConvert, Bf16CheckpointComputesAndConvertsToGguf) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str("bf16"), ConvertType::BF16);
    const auto hf = Model::load(dir.str("bf16"));
    EXPECT_EQ(hf->weights().layers[0].wq.type, DType::BF16);
    const auto tokens = gguf->tokenizer().encode("Once upon a time");
    EXPECT_LT(max_logit_diff(*gguf, *hf, tokens), 0.5);  // BF16 keeps 8 bits of mantissa
    const ConvertReport r = write_gguf_model(*hf, dir.str("bf16.gguf"));
    const GgufFile back = GgufFile::open(dir.str("bf16.gguf"));
    EXPECT_EQ(back.get_int("general.file_type", -1), 32);  // MOSTLY_BF16
    EXPECT_EQ(back.require_tensor("blk.0.attn_q.weight").type, DType::BF16);
    // --outtype f16: matrices F16, vectors F32, as llama.cpp writes them.
    write_gguf_model(*hf, dir.str("f16.gguf"), ConvertType::F16);
    const GgufFile f16 = GgufFile::open(dir.str("f16.gguf"));
    EXPECT_EQ(f16.require_tensor("blk.0.ffn_down.weight").type, DType::F16);
    EXPECT_EQ(f16.require_tensor("blk.0.ffn_norm.weight").type, DType::F32);
    EXPECT_EQ(f16.get_int("general.file_type", -1), 1);
}

// Synthesized models of other shapes: a tied Qwen2 in F16, a llama in BF16 (its Q/K
// permuted on the way out and back in): same logits from the folder, same tensors
// back in GGUF.
class HfSynth : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(HfSynth, FolderComputesTheSameAndConvertsBack) {
    TempDir dir;
    SynthOptions o;
    o.preset = GetParam().first;
    o.type = GetParam().second;
    o.seed = 3;
    o.n_threads = 2;
    ModelSynthesizer(o).write(dir.str("synth.gguf"));
    const auto gguf = Model::load(dir.str("synth.gguf"));
    write_hf_checkpoint(*gguf, dir.str("hf"));
    const json cfg = load_json(dir.str("hf/config.json"));
    EXPECT_EQ(cfg["tie_word_embeddings"].get<bool>(), gguf->config().tied_output);
    const SafetensorsFile st = SafetensorsFile::open(dir.str("hf/model.safetensors"));
    EXPECT_EQ(st.find("lm_head.weight") == nullptr, gguf->config().tied_output);
    const auto hf = Model::load(dir.str("hf"));
    const std::vector<TokenId> tokens = {1, 5, 9, 200, 31, 77, 600, 2};
    EXPECT_EQ(max_logit_diff(*gguf, *hf, tokens), 0.0);
    write_gguf_model(*hf, dir.str("back.gguf"));
    const auto back = Model::load(dir.str("back.gguf"));
    ASSERT_EQ(back->tensors().tensors().size(), gguf->tensors().tensors().size());
    for (const GgufTensor& t : gguf->tensors().tensors()) {
        const GgufTensor& b = back->tensors().require(t.name);
        EXPECT_EQ(b.type, t.type) << t.name;
        ASSERT_EQ(b.n_bytes, t.n_bytes) << t.name;
        EXPECT_EQ(std::memcmp(b.data, t.data, t.n_bytes), 0) << t.name;
    }
}

INSTANTIATE_TEST_SUITE_P(Presets, HfSynth,
                         ::testing::Values(std::pair{"tiny-tied", "F16"}, std::pair{"tiny", "BF16"}),
                         [](const auto& param_info) { return std::string(param_info.param.second); });

// ---- shards ------------------------------------------------------------------------------

TEST(HfCheckpoint, ShardedFolderLoadsTheSame) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto gguf = Model::load(model_path);
    TempDir dir;
    write_hf_checkpoint(*gguf, dir.str("one"));
    fs::create_directories(dir.path / "two");
    for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"})
        fs::copy_file(dir.path / "one" / f, dir.path / "two" / f);
    // Split the tensors over two shards, alternately.
    const SafetensorsFile single = SafetensorsFile::open(dir.str("one/model.safetensors"));
    SafetensorsWriter a, b;
    json map = json::object();
    for (size_t i = 0; i < single.tensors().size(); ++i) {
        const SafetensorsTensor& t = single.tensors()[i];
        SafetensorsWriter& w = i % 2 ? b : a;
        w.add_tensor_view(t.name, t.type, t.shape, std::span<const uint8_t>(t.data, t.n_bytes()));
        map[t.name] = i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    }
    a.write(dir.str("two/model-00001-of-00002.safetensors"));
    b.write(dir.str("two/model-00002-of-00002.safetensors"));
    write_text(dir.str("two/model.safetensors.index.json"), json{{"metadata", {{"total_size", 1}}}, {"weight_map", map}}.dump());
    const auto sharded = Model::load(dir.str("two"));
    const auto tokens = gguf->tokenizer().encode("Once upon a time");
    EXPECT_EQ(max_logit_diff(*Model::load(dir.str("one")), *sharded, tokens), 0.0);

    // A folder with an index is not overwritten by a single-file conversion.
    EXPECT_CONTAINS(error_of([&] { write_hf_checkpoint(*gguf, dir.str("two")); }), "holds a sharded checkpoint");
}

// ---- config.json -------------------------------------------------------------------------

const char* kQwenConfig = R"({
  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 1536, "intermediate_size": 8960,
  "num_hidden_layers": 28, "num_attention_heads": 12, "num_key_value_heads": 2, "max_position_embeddings": 131072,
  "rms_norm_eps": 1e-06, "rope_theta": 10000, "tie_word_embeddings": false, "vocab_size": 151936,
  "bos_token_id": 151643, "eos_token_id": 151643, "hidden_act": "silu", "sliding_window": 4096,
  "use_sliding_window": false, "max_window_layers": 21, "torch_dtype": "bfloat16"})";

TEST(HfConfig, DeepSeekR1DistillQwen15B) {
    const HfConfig h = parse_hf_config(kQwenConfig, "config.json");
    const ModelConfig& c = h.config;
    EXPECT_EQ(c.arch, Arch::Qwen2);
    EXPECT_EQ(c.n_embd, 1536);
    EXPECT_EQ(c.n_layer, 28);
    EXPECT_EQ(c.n_head, 12);
    EXPECT_EQ(c.n_head_kv, 2);
    EXPECT_EQ(c.head_dim, 128);
    EXPECT_EQ(c.rope_dim, 128);
    EXPECT_EQ(c.n_ff, 8960);
    EXPECT_EQ(c.n_ctx_train, 131072);
    EXPECT_EQ(c.n_vocab, 151936);
    EXPECT_FLOAT_EQ(c.rms_eps, 1e-6f);
    EXPECT_EQ(c.rope_theta, 10000.0f);
    EXPECT_EQ(c.rope_order, RopeOrder::NeoX);
    EXPECT_EQ(c.rope_scaling, RopeScaling::None);
    EXPECT_FALSE(h.tie_word_embeddings);
    EXPECT_EQ(h.bos_token_id, 151643);
    EXPECT_EQ(h.eos_token_ids, (std::vector<int64_t>{151643}));
    EXPECT_EQ(h.torch_dtype, "bfloat16");
}

std::string with(const std::string& base, const std::function<void(json&)>& edit) {
    json j = json::parse(base);
    edit(j);
    return j.dump();
}

TEST(HfConfig, RopeScalingVariants) {
    const HfConfig lin = parse_hf_config(with(kQwenConfig, [](json& j) { j["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}}; }), "c");
    EXPECT_EQ(lin.config.rope_scaling, RopeScaling::Linear);
    EXPECT_FLOAT_EQ(lin.config.rope_freq_scale, 0.25f);
    const HfConfig yarn = parse_hf_config(with(kQwenConfig, [](json& j) {
        j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
    }), "c");
    EXPECT_EQ(yarn.config.rope_scaling, RopeScaling::Yarn);
    EXPECT_EQ(yarn.config.rope_orig_ctx, 32768);
    EXPECT_FLOAT_EQ(yarn.config.rope_freq_scale, 0.25f);
    EXPECT_EQ(yarn.config.yarn_beta_fast, 32.0f);

    // Llama 3.1's scaling as per-frequency divisors, worked by hand for head_dim 128,
    // theta 500000, factor 8, low 1, high 4, original context 8192: wavelengths below
    // 2048 keep their frequency, those above 8192 are divided by 8, those between are
    // blended (smooth = (8192 / wavelen - 1) / 3; divisor = 1 / ((1 - smooth) / 8 + smooth)).
    const HfConfig l3 = parse_hf_config(with(kQwenConfig, [](json& j) {
        j["architectures"] = {"LlamaForCausalLM"};
        j["hidden_size"] = 4096;
        j["num_attention_heads"] = 32;
        j["num_key_value_heads"] = 8;
        j["rope_theta"] = 500000.0;
        j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
    }), "c");
    ASSERT_EQ(l3.rope_freq_factors.size(), 64u);
    EXPECT_EQ(l3.config.rope_scaling, RopeScaling::None);
    EXPECT_EQ(l3.rope_freq_factors[0], 1.0f);
    EXPECT_EQ(l3.rope_freq_factors[63], 8.0f);
    for (size_t i = 0; i < 64; ++i) {
        const double wavelen = 2 * M_PI / std::pow(500000.0, -2.0 * static_cast<double>(i) / 128.0);
        double want = 1.0;
        if (wavelen > 8192) want = 8.0;
        else if (wavelen >= 2048) {
            const double smooth = (8192.0 / wavelen - 1.0) / 3.0;
            want = 1.0 / ((1.0 - smooth) / 8.0 + smooth);
        }
        EXPECT_NEAR(l3.rope_freq_factors[i], want, 1e-5 * want) << i;
    }
}

TEST(HfConfig, ErrorsNameConfigJsonAndTheKey) {
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j.erase("hidden_size"); }), "d/config.json"); }),
                    "d/config.json: required key 'hidden_size' is missing");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["num_hidden_layers"] = "28"; }), "d/config.json"); }),
                    "d/config.json: 'num_hidden_layers' should be an integer");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["architectures"] = {"MambaForCausalLM"}; }), "config.json"); }),
                    "architecture 'MambaForCausalLM' is not supported (supported: LlamaForCausalLM, Qwen2ForCausalLM)");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["num_key_value_heads"] = 5; }), "config.json"); }),
                    "is not a multiple of num_key_value_heads 5");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["use_sliding_window"] = true; }), "config.json"); }),
                    "'use_sliding_window' true");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["hidden_act"] = "gelu"; }), "config.json"); }),
                    "only silu");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2}}; }), "config.json"); }),
                    "rope_scaling type 'dynamic' is not supported");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["rope_scaling"] = {{"type", "linear"}}; }), "config.json"); }),
                    "'factor' must be a positive number");
    EXPECT_CONTAINS(error_of([] { parse_hf_config(with(kQwenConfig, [](json& j) { j["hidden_size"] = -1; }), "config.json"); }),
                    "'hidden_size' = -1 is outside");
    EXPECT_CONTAINS(error_of([] { parse_hf_config("[1]", "config.json"); }), "expected a JSON object");
    EXPECT_CONTAINS(error_of([] { parse_hf_config("{", "config.json"); }), "not valid JSON");
    EXPECT_CONTAINS(error_of([] { parse_hf_config("{}", "config.json"); }), "neither 'architectures' nor 'model_type'");
    EXPECT_CONTAINS(error_of([] { read_hf_config("/nonexistent/config.json"); }), "/nonexistent/config.json: cannot open");
}

TEST(HfNames, MapBothWays) {
    EXPECT_EQ(gguf_name_of_hf("model.layers.17.self_attn.k_proj.bias"), "blk.17.attn_k.bias");
    EXPECT_EQ(gguf_name_of_hf("model.layers.0.mlp.down_proj.weight"), "blk.0.ffn_down.weight");
    EXPECT_EQ(gguf_name_of_hf("model.layers.3.post_attention_layernorm.weight"), "blk.3.ffn_norm.weight");
    EXPECT_EQ(gguf_name_of_hf("lm_head.weight"), "output.weight");
    EXPECT_EQ(gguf_name_of_hf("model.layers.x.mlp.down_proj.weight"), std::nullopt);
    EXPECT_EQ(gguf_name_of_hf("model.layers.01.mlp.down_proj.weight"), std::nullopt);
    EXPECT_EQ(gguf_name_of_hf("model.layers.1.mlp.fc1.weight"), std::nullopt);
    EXPECT_EQ(hf_name_of_gguf("blk.4.attn_output.weight"), "model.layers.4.self_attn.o_proj.weight");
    EXPECT_EQ(hf_name_of_gguf("token_embd.weight"), "model.embed_tokens.weight");
    EXPECT_EQ(hf_name_of_gguf("rope_freqs.weight"), std::nullopt);
    EXPECT_TRUE(is_ignored_hf_tensor("model.layers.0.self_attn.rotary_emb.inv_freq"));
}

TEST(HfNames, RopePermutationRoundTrips) {
    // 2 heads of 4 rows: HF halves [a0 a1 | b0 b1] become GGUF pairs [a0 b0 a1 b1].
    const uint8_t hf[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint8_t normal[8], back[8];
    permute_rope_rows(hf, normal, 2, 4, 1, true);
    EXPECT_EQ(std::vector<uint8_t>(normal, normal + 8), (std::vector<uint8_t>{0, 2, 1, 3, 4, 6, 5, 7}));
    permute_rope_rows(normal, back, 2, 4, 1, false);
    EXPECT_EQ(std::vector<uint8_t>(back, back + 8), std::vector<uint8_t>(hf, hf + 8));
}

// A converted folder with one thing broken, loaded through Model::load.
class DamagedHfFolder : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string src = test::find_data("models/tiny-fixtures/tiny-qwen2-f32.gguf");
        if (src.empty()) {
            if (test::running_in_ci()) FAIL() << "missing tiny-qwen2-f32.gguf";
            GTEST_SKIP() << "missing tiny-qwen2-f32.gguf";
        }
        write_hf_checkpoint(*Model::load(src), dir.str());
    }
    std::string load_error() {
        return error_of([&] { Model::load(dir.str()); });
    }
    // Rewrites model.safetensors with `edit` applied to each tensor (return false to drop).
    void rewrite_tensors(const std::function<bool(SafetensorsWriter&, const SafetensorsTensor&)>& edit) {
        const std::string path = dir.str("model.safetensors");
        std::vector<uint8_t> copy;
        {
            std::ifstream in(path, std::ios::binary);
            copy.assign(std::istreambuf_iterator<char>(in), {});
        }
        const SafetensorsFile f = SafetensorsFile::parse(copy, "copy");
        SafetensorsWriter w;
        for (const SafetensorsTensor& t : f.tensors())
            if (edit(w, t)) w.add_tensor(t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.n_bytes()));
        w.write(path);
    }
    void edit_config(const std::function<void(json&)>& edit) {
        json j = load_json(dir.str("config.json"));
        edit(j);
        write_text(dir.str("config.json"), j.dump());
    }
    TempDir dir;
};

TEST_F(DamagedHfFolder, UntouchedLoads) { EXPECT_EQ(load_error(), ""); }

TEST_F(DamagedHfFolder, MissingConfig) {
    fs::remove(dir.path / "config.json");
    EXPECT_CONTAINS(load_error(), "no config.json here");
}

TEST_F(DamagedHfFolder, MissingWeights) {
    fs::remove(dir.path / "model.safetensors");
    EXPECT_CONTAINS(load_error(), "no model.safetensors or model.safetensors.index.json");
}

TEST_F(DamagedHfFolder, MissingTensor) {
    rewrite_tensors([](SafetensorsWriter&, const SafetensorsTensor& t) { return t.name != "model.layers.1.mlp.up_proj.weight"; });
    EXPECT_CONTAINS(load_error(), "required tensor 'blk.1.ffn_up.weight' is missing");
}

TEST_F(DamagedHfFolder, MissingLmHeadWhenNotTied) {
    rewrite_tensors([](SafetensorsWriter&, const SafetensorsTensor& t) { return t.name != "lm_head.weight"; });
    EXPECT_CONTAINS(load_error(), "tie_word_embeddings is false but the checkpoint has no lm_head.weight");
    edit_config([](json& j) { j["tie_word_embeddings"] = true; });
    EXPECT_EQ(load_error(), "");
}

TEST_F(DamagedHfFolder, UnknownTensor) {
    rewrite_tensors([](SafetensorsWriter& w, const SafetensorsTensor& t) {
        if (t.name == "model.norm.weight") w.add_tensor("model.layers.0.mlp.fc9.weight", DType::F32, {1}, std::vector<uint8_t>(4));
        return true;
    });
    EXPECT_CONTAINS(load_error(), "tensor 'model.layers.0.mlp.fc9.weight' is not a weight of qwen2 models");
}

TEST_F(DamagedHfFolder, IgnoredRotaryBuffer) {
    rewrite_tensors([](SafetensorsWriter& w, const SafetensorsTensor& t) {
        if (t.name == "model.norm.weight")
            w.add_tensor("model.layers.0.self_attn.rotary_emb.inv_freq", DType::F32, {8}, std::vector<uint8_t>(32));
        return true;
    });
    EXPECT_EQ(load_error(), "");
}

TEST_F(DamagedHfFolder, TransposedWeight) {
    rewrite_tensors([](SafetensorsWriter& w, const SafetensorsTensor& t) {
        if (t.name != "model.layers.0.mlp.gate_proj.weight") return true;
        w.add_tensor(t.name, t.type, {t.shape[1], t.shape[0]}, std::vector<uint8_t>(t.data, t.data + t.n_bytes()));
        return false;
    });
    EXPECT_CONTAINS(load_error(), "tensor 'blk.0.ffn_gate.weight' has shape [96, 64], expected [64, 96]");
}

TEST_F(DamagedHfFolder, ConfigDisagreesWithTensors) {
    edit_config([](json& j) { j["num_hidden_layers"] = 3; });
    EXPECT_CONTAINS(load_error(), "'blk.2.attn_norm.weight' is missing");
    edit_config([](json& j) {
        j["num_hidden_layers"] = 2;
        j["vocab_size"] = 100;
    });
    EXPECT_CONTAINS(load_error(), "vocab_size 100 does not match token_embd rows 64");
}

TEST_F(DamagedHfFolder, BrokenTokenizer) {
    fs::remove(dir.path / "tokenizer.json");
    EXPECT_CONTAINS(load_error(), "no tokenizer.json");
}

TEST_F(DamagedHfFolder, DamagedSafetensorsHeader) {
    std::fstream f(dir.str("model.safetensors"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    const uint64_t absurd = uint64_t{1} << 50;
    f.write(reinterpret_cast<const char*>(&absurd), 8);
    f.close();
    const std::string msg = load_error();
    EXPECT_CONTAINS(msg, "model.safetensors");
    EXPECT_CONTAINS(msg, "header length");
}

}  // namespace
}  // namespace pareto
