// The transformer against an established engine: llama.cpp's greedy tokens and
// numpy's float64 logits for the tiny fixtures, llama.cpp's greedy text for
// stories260K, and internal consistency (KV cache vs batch, thread counts).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "format/gguf_writer.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "support/test_data.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace pareto {
namespace {

using nlohmann::json;

json load_json(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
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

class TinyFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyFixture, GreedyTokensAndLogitsMatchReference) {
    const std::string base = std::string("models/tiny-fixtures/") + GetParam();
    PARETO_REQUIRE_DATA(model_path, base + ".gguf");
    PARETO_REQUIRE_DATA(ref_path, base + ".reference.json");
    const json ref = load_json(ref_path);
    const auto prompt = ref["prompt"].get<std::vector<TokenId>>();
    const auto expected = ref["generated"].get<std::vector<TokenId>>();
    const auto ref_logits = ref["logits_numpy_f64"].get<std::vector<std::vector<double>>>();

    const auto model = Model::load(model_path);
    Session session(*model);
    EXPECT_EQ(greedy(session, prompt, static_cast<int>(expected.size())), expected);

    // Logits of all 40 positions (prompt + generated) in one batch.
    std::vector<TokenId> all = prompt;
    all.insert(all.end(), expected.begin(), expected.end());
    ASSERT_EQ(ref_logits.size(), all.size());
    session.clear();
    session.eval(all, /*all_logits=*/true);
    double worst = 0.0;
    for (size_t i = 0; i < all.size(); ++i) {
        const auto got = session.logits_at(static_cast<int64_t>(i));
        ASSERT_EQ(got.size(), ref_logits[i].size());
        for (size_t v = 0; v < got.size(); ++v) worst = std::max(worst, std::abs(got[v] - ref_logits[i][v]));
    }
    EXPECT_LT(worst, 1e-4) << "max |logit - reference| over all positions";
}

TEST_P(TinyFixture, IncrementalDecodeEqualsBatch) {
    PARETO_REQUIRE_DATA(model_path, std::string("models/tiny-fixtures/") + GetParam() + ".gguf");
    const auto model = Model::load(model_path);
    const std::vector<TokenId> toks = {9, 6, 27, 58, 42, 37, 54, 43, 11, 31, 32, 62};
    Session batch(*model);
    batch.eval(toks, true);
    Session step(*model);
    for (size_t i = 0; i < toks.size(); ++i) {
        step.eval(std::span<const TokenId>(&toks[i], 1));
        const auto a = batch.logits_at(static_cast<int64_t>(i));
        const auto b = step.logits();
        // Batch and single-token kernels sum in different orders: rounding only.
        for (size_t v = 0; v < a.size(); ++v) ASSERT_NEAR(a[v], b[v], 5e-5) << "position " << i << " token " << v;
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TinyFixture, ::testing::Values("tiny-llama-f32", "tiny-qwen2-f32"),
                         [](const auto& param_info) { return std::string(param_info.param).substr(5, 5) == "llama" ? "llama" : "qwen2"; });

TEST(Stories260K, GreedyTextMatchesLlamaCpp) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(golden_path, "golden/stories260K-greedy.json");
    const json golden = load_json(golden_path);
    const auto model = Model::load(model_path);
    const Tokenizer& tok = model->tokenizer();
    Session session(*model);
    ASSERT_FALSE(golden["cases"].empty());
    for (const auto& c : golden["cases"]) {
        const std::string prompt_text = c["prompt"].get<std::string>();
        const auto prompt = tok.encode(prompt_text);
        EXPECT_EQ(prompt, c["prompt_ids"].get<std::vector<TokenId>>()) << prompt_text;
        session.clear();
        const auto out = greedy(session, prompt, c["n_predict"].get<int>());
        std::string text = tok.decode(prompt);
        for (TokenId t : out) text += tok.token_to_piece(t);
        EXPECT_EQ(text, c["greedy_text"].get<std::string>()) << "prompt: " << prompt_text;
    }
}

TEST(Stories260K, ThreadCountDoesNotChangeLogits) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    const auto prompt = model->tokenizer().encode("Once upon a time, a little dog");
    SessionParams p1 = session_default_params();
    p1.n_threads = 1;
    SessionParams p2 = p1;
    p2.n_threads = 2;
    SessionParams p3 = p1;
    p3.n_threads = 3;
    Session s1(*model, p1), s2(*model, p2), s3(*model, p3);
    s1.eval(prompt, true);
    s2.eval(prompt, true);
    s3.eval(prompt, true);
    for (size_t i = 0; i < prompt.size(); ++i) {
        const auto a = s1.logits_at(static_cast<int64_t>(i));
        const auto b = s2.logits_at(static_cast<int64_t>(i));
        const auto c = s3.logits_at(static_cast<int64_t>(i));
        for (size_t v = 0; v < a.size(); ++v) {
            ASSERT_EQ(a[v], b[v]);
            ASSERT_EQ(a[v], c[v]);
        }
    }
}

// Weights copied into huge pages and weights used in place from the file mapping are
// the same bytes: the logits must be bit-identical, and the way is reported.
TEST(Stories260K, CopiedAndMappedWeightsGiveTheSameLogits) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    auto load_with = [&](const char* how) {
        ::setenv("PARETO_WEIGHTS", how, 1);
        auto m = Model::load(model_path);
        ::unsetenv("PARETO_WEIGHTS");
        return m;
    };
    const auto mapped = load_with("map");
    const auto copied = load_with("copy");
    ASSERT_EQ(mapped->gguf()->load(), FileLoad::Map);
    ASSERT_EQ(copied->gguf()->load(), FileLoad::Copy);
    const auto prompt = mapped->tokenizer().encode("Once upon a time, a little dog");
    Session a(*mapped), b(*copied);
    a.eval(prompt, true);
    b.eval(prompt, true);
    for (size_t i = 0; i < prompt.size(); ++i) {
        const auto la = a.logits_at(static_cast<int64_t>(i));
        const auto lb = b.logits_at(static_cast<int64_t>(i));
        ASSERT_TRUE(std::equal(la.begin(), la.end(), lb.begin(), lb.end())) << "position " << i;
    }
}

// A copied file whose middle goes back to the file mapping keeps the same bytes at
// the same addresses, page edges included.
TEST(WeightLoad, MapBackKeepsBytesAndAddresses) {
    const std::string path = ::testing::TempDir() + "/pareto_map_back.bin";
    std::vector<uint8_t> bytes(5 * 4096 + 123);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    MappedFile f(path, FileLoad::Copy);
    const uint8_t* before = f.data();
    f.map_back(1000, 3 * 4096 + 7);  // whole pages 1 and 2 go back; the edges stay copied
    f.map_back(5 * 4096, 4096);      // past the end of the file's last whole page: nothing
    ASSERT_EQ(f.data(), before);
    ASSERT_TRUE(std::equal(bytes.begin(), bytes.end(), f.data()));
    std::filesystem::remove(path);
}

TEST(WeightLoad, EnvironmentChoosesAndBadValuesAreNamed) {
    ::setenv("PARETO_WEIGHTS", "copy", 1);
    EXPECT_EQ(weight_load_for(size_t{1} << 50), FileLoad::Copy);
    ::setenv("PARETO_WEIGHTS", "map", 1);
    EXPECT_EQ(weight_load_for(1), FileLoad::Map);
    ::setenv("PARETO_WEIGHTS", "huge", 1);
    try {
        weight_load_for(1);
        ADD_FAILURE() << "no error for PARETO_WEIGHTS=huge";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("PARETO_WEIGHTS must be map or copy"), std::string::npos) << e.what();
    }
    ::unsetenv("PARETO_WEIGHTS");
    // Without the override: a petabyte is mapped, a kilobyte copied.
    EXPECT_EQ(weight_load_for(size_t{1} << 50), FileLoad::Map);
    EXPECT_EQ(weight_load_for(1024), FileLoad::Copy);
}

TEST(Stories260K, SmallBatchesEqualOneBatch) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    const auto prompt = model->tokenizer().encode("Tom and Lily went to the park and played with a red ball.");
    SessionParams small = session_default_params();
    small.n_batch = 3;
    Session a(*model), b(*model, small);
    a.eval(prompt, true);
    b.eval(prompt, true);
    for (size_t i = 0; i < prompt.size(); ++i)
        for (size_t v = 0; v < a.logits_at(0).size(); ++v)
            ASSERT_NEAR(a.logits_at(static_cast<int64_t>(i))[v], b.logits_at(static_cast<int64_t>(i))[v], 5e-5);
}

// A prompt batch longer than the FFN's token chunk (128) runs its FFN in chunks:
// the logits equal token-by-token evaluation, and the observer sees each chunk's
// gate_up, activation and down ops with the chunk's position and token count.
TEST(Stories260K, LongBatchRunsItsFfnInChunks) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    std::vector<TokenId> prompt;
    while (prompt.size() < 300) {
        const auto more = model->tokenizer().encode(" Tom and Lily went to the park and played with a red ball.");
        prompt.insert(prompt.end(), more.begin(), more.end());
    }
    prompt.resize(300);

    struct FfnOps : Observer {
        std::vector<OpEvent> gates;
        int64_t activations = 0, downs = 0, all = 0;
        void op_begin(const OpEvent& e) override {
            ++all;
            if (e.layer != 0) return;
            if (e.kind == OpKind::GateUp) gates.push_back(e);
            activations += e.kind == OpKind::Activation;
            downs += e.kind == OpKind::Down;
        }
    } ops;
    SessionParams one_by_one = session_default_params();
    one_by_one.n_batch = 1;
    Session a(*model), b(*model, one_by_one);
    a.set_observer(&ops);
    a.eval(prompt, true);
    b.eval(prompt, true);
    for (size_t i = 0; i < prompt.size(); ++i)
        for (size_t v = 0; v < a.logits_at(0).size(); ++v)
            ASSERT_NEAR(a.logits_at(static_cast<int64_t>(i))[v], b.logits_at(static_cast<int64_t>(i))[v], 5e-5)
                << "token " << i;

    ASSERT_EQ(ops.gates.size(), 3u);  // 128 + 128 + 44
    int64_t next = 0;
    for (const OpEvent& g : ops.gates) {
        EXPECT_EQ(g.pos, next);
        EXPECT_LE(g.n_tokens, 128);
        EXPECT_EQ(g.flops, 4ull * static_cast<uint64_t>(g.n_tokens * model->config().n_ff * model->config().n_embd));
        next += g.n_tokens;
    }
    EXPECT_EQ(next, 300);
    EXPECT_EQ(ops.activations, 3);
    EXPECT_EQ(ops.downs, 3);
    // What recorders reserve for is what the session reports.
    EXPECT_EQ(ops.all, ops_per_forward(model->config(), 300, session_default_params().n_batch));
    EXPECT_EQ(ops_per_forward(model->config(), 1, 512), 3 + 9 * model->config().n_layer);
}

// A model assembled from parts (as the HuggingFace loader and the compressor build
// them) computes exactly what the GGUF model does, and owns its buffers.
TEST(Stories260K, ModelFromPartsEqualsLoadedModel) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto loaded = Model::load(model_path);
    TensorSet copy("in-memory copy");
    for (const GgufTensor& t : loaded->tensors().tensors())
        copy.put_owned(t, std::vector<uint8_t>(t.data, t.data + t.n_bytes));
    const auto parts = Model::from_parts(loaded->config(), loaded->shared_tokenizer(), std::move(copy));
    EXPECT_EQ(parts->weight_bytes(), loaded->weight_bytes());
    EXPECT_EQ(parts->gguf(), nullptr);
    EXPECT_NE(parts->weights().layers[0].wq.data, loaded->weights().layers[0].wq.data);  // its own copy
    const auto prompt = loaded->tokenizer().encode("Once upon a time");
    Session a(*loaded), b(*parts);
    a.eval(prompt);
    b.eval(prompt);
    for (size_t v = 0; v < a.logits().size(); ++v) ASSERT_EQ(a.logits()[v], b.logits()[v]);

    TensorSet missing = loaded->tensors();
    ASSERT_TRUE(missing.erase("blk.0.ffn_up.weight"));
    try {
        Model::from_parts(loaded->config(), loaded->shared_tokenizer(), std::move(missing));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("blk.0.ffn_up.weight"), std::string::npos) << e.what();
    }
}

TEST(Stories260K, ContextOverflowIsAnError) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    SessionParams p = session_default_params();
    p.n_ctx = 8;
    Session s(*model, p);
    const std::vector<TokenId> toks(6, 300);
    s.eval(toks);
    try {
        s.eval(toks);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("context is full"), std::string::npos) << e.what();
    }
    EXPECT_THROW(s.eval(std::vector<TokenId>{}), Error);
    EXPECT_THROW(s.eval(std::vector<TokenId>{512}), Error);  // vocabulary has 512 tokens
    EXPECT_THROW(s.eval(std::vector<TokenId>{-1}), Error);
}

// The footprint known before loading (the workbench's memory estimate) is what the
// session then allocates: the KV cache exactly, the scratch except the activation
// conversion buffers (stories260K's F32 weights use none).
TEST(Stories260K, FootprintMatchesTheSession) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    for (const int64_t n_ctx : {int64_t{0}, int64_t{64}, int64_t{200}}) {
        SessionParams p = session_default_params();
        p.n_ctx = n_ctx;
        p.n_threads = 3;
        p.n_batch = n_ctx == 200 ? 200 : 32;  // 200: more than one FFN chunk
        const SessionFootprint f = session_footprint(model->config(), p);
        Session s(*model, p);
        EXPECT_EQ(f.n_ctx, s.n_ctx());
        EXPECT_EQ(f.n_threads, s.pool().size());
        EXPECT_EQ(f.kv_cache_bytes, s.kv_cache_bytes()) << "n_ctx " << n_ctx;
        EXPECT_EQ(f.scratch_bytes, s.scratch_bytes()) << "n_ctx " << n_ctx;
    }
}

TEST(Llama2TinyRandom, F16ModelLoadsAndGenerates) {
    PARETO_REQUIRE_DATA(model_path, "models/llama-2-tiny-random.gguf");
    const auto model = Model::load(model_path);
    EXPECT_EQ(model->config().n_vocab, 32000);
    EXPECT_EQ(model->weights().layers.at(0).wq.type, DType::F16);
    const auto prompt = model->tokenizer().encode("Hello world, this is a test");
    ASSERT_GT(prompt.size(), 2u);
    Session s(*model);
    const auto out = greedy(s, prompt, 16);
    ASSERT_EQ(out.size(), 16u);
    for (TokenId t : out) {
        EXPECT_GE(t, 0);
        EXPECT_LT(t, 32000);
    }
    for (float v : s.logits()) ASSERT_TRUE(std::isfinite(v));
    Session again(*model);
    EXPECT_EQ(greedy(again, prompt, 16), out) << "greedy decoding must be deterministic";
}

TEST(ModelLoad, MissingFileIsAClearError) {
    try {
        Model::load("/nonexistent/model.gguf");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos) << e.what();
    }
}

TEST(ModelLoad, VocabularyOnlyFileIsRefused) {
    PARETO_REQUIRE_DATA(path, "models/vocab/ggml-vocab-llama-spm.gguf");
    try {
        Model::load(path);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    }
}

// A copy of stories260K with one thing changed, loaded through Model::load: the
// error must name the file and what is wrong with it.
class DamagedModel : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string src = test::find_data("models/stories260K.gguf");
        if (src.empty()) {
            if (test::running_in_ci()) FAIL() << "missing models/stories260K.gguf";
            GTEST_SKIP() << "missing models/stories260K.gguf";
        }
        source_ = std::make_unique<GgufFile>(GgufFile::open(src));
        path_ = (std::filesystem::temp_directory_path() /
                 ("pareto_damaged_" + std::to_string(::getpid()) + ".gguf")).string();
    }
    void TearDown() override { std::filesystem::remove(path_); }

    // Writes the source with `edit_metadata` applied and tensors passed through
    // `keep` (return false to drop one), then returns Model::load's error message.
    std::string load_error(const std::function<void(GgufWriter&)>& edit_metadata,
                           const std::function<bool(const GgufTensor&, GgufWriter&)>& add_tensor = nullptr) {
        GgufWriter w;
        w.copy_metadata(*source_);
        if (edit_metadata) edit_metadata(w);
        for (const auto& t : source_->tensors())
            if (!add_tensor || add_tensor(t, w)) w.add_tensor_view(t);
        w.write(path_);
        try {
            Model::load(path_);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    }

    std::unique_ptr<GgufFile> source_;
    std::string path_;
};

#define EXPECT_CONTAINS(haystack, needle)                                                   \
    do {                                                                                    \
        const std::string h_ = (haystack);                                                  \
        EXPECT_NE(h_.find(needle), std::string::npos) << "message: \"" << h_ << "\"";      \
    } while (0)

TEST_F(DamagedModel, UntouchedCopyLoads) { EXPECT_EQ(load_error(nullptr), ""); }

TEST_F(DamagedModel, MissingTensor) {
    const std::string msg = load_error(nullptr, [](const GgufTensor& t, GgufWriter&) {
        return t.name != "blk.3.ffn_up.weight";
    });
    EXPECT_CONTAINS(msg, "required tensor 'blk.3.ffn_up.weight' is missing");
    EXPECT_CONTAINS(msg, path_);
}

TEST_F(DamagedModel, MissingRequiredKey) {
    EXPECT_CONTAINS(load_error([](GgufWriter& w) { w.remove("llama.embedding_length"); }),
                    "required metadata key 'llama.embedding_length' is missing");
    EXPECT_CONTAINS(load_error([](GgufWriter& w) { w.remove("general.architecture"); }),
                    "'general.architecture' is missing");
    EXPECT_CONTAINS(load_error([](GgufWriter& w) { w.remove("tokenizer.ggml.tokens"); }), "tokenizer.ggml.tokens");
}

TEST_F(DamagedModel, InconsistentHyperparameters) {
    EXPECT_CONTAINS(load_error([](GgufWriter& w) {
                        w.set("llama.attention.head_count_kv", GgufValue::make_uint(GgufType::UINT32, 3));
                    }),
                    "not a multiple of head_count_kv");
    EXPECT_CONTAINS(load_error([](GgufWriter& w) {
                        w.set("llama.block_count", GgufValue::make_uint(GgufType::UINT32, 0));
                    }),
                    "'llama.block_count' = 0 is outside");
    EXPECT_CONTAINS(load_error([](GgufWriter& w) {
                        w.set("llama.embedding_length", GgufValue::make_string("sixty-four"));
                    }),
                    "should be an integer");
    // More layers than the file has tensors for.
    EXPECT_CONTAINS(load_error([](GgufWriter& w) {
                        w.set("llama.block_count", GgufValue::make_uint(GgufType::UINT32, 6));
                    }),
                    "'blk.5.attn_norm.weight' is missing");
}

TEST_F(DamagedModel, UnsupportedArchitecture) {
    EXPECT_CONTAINS(load_error([](GgufWriter& w) { w.set("general.architecture", GgufValue::make_string("mamba")); }),
                    "architecture 'mamba' is not supported");
}

TEST_F(DamagedModel, WrongTensorShape) {
    // The FFN gate claims the transposed shape (same bytes).
    const std::string ffn = load_error(nullptr, [](const GgufTensor& t, GgufWriter& w) {
        if (t.name != "blk.1.ffn_gate.weight") return true;
        w.add_tensor_view(t.name, t.type, {t.shape[1], t.shape[0]}, std::span<const uint8_t>(t.data, t.n_bytes));
        return false;
    });
    EXPECT_CONTAINS(ffn, "tensor 'blk.1.ffn_gate.weight' has shape [172, 64], expected [64, 172]");
}

TEST_F(DamagedModel, UnsupportedWeightTypeIsRefusedClearly) {
    const std::string msg = load_error(nullptr, [](const GgufTensor& t, GgufWriter& w) {
        if (t.name != "blk.0.attn_k.weight") return true;
        // 64 x 32 values as IQ4_NL (no kernels): 2 blocks of 18 bytes per row.
        w.add_tensor(t.name, DType::IQ4_NL, t.shape, std::vector<uint8_t>(t.shape[1] * 2 * 18, 0));
        return false;
    });
    EXPECT_CONTAINS(msg, "'blk.0.attn_k.weight' has type IQ4_NL, which Pareto cannot compute with");
}

}  // namespace
}  // namespace pareto
