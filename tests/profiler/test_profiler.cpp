// The recorder against a scripted observer sequence, the summaries' arithmetic, and
// a real profiled generation whose records must be complete and consistent.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/model.h"
#include "profiler/compare.h"
#include "profiler/model_identity.h"
#include "profiler/profile.h"
#include "profiler/recorder.h"
#include "profiler/summary.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto::prof {
namespace {

OpEvent op(OpKind kind, Phase phase, int layer, int n_tokens, uint64_t bytes, uint64_t flops) {
    OpEvent e;
    e.kind = kind;
    e.phase = phase;
    e.layer = layer;
    e.n_tokens = n_tokens;
    e.bytes_read = bytes;
    e.flops = flops;
    return e;
}

TEST(Percentile, InterpolatesBetweenOrderStatistics) {
    EXPECT_EQ(percentile({}, 0.5), 0);
    EXPECT_EQ(percentile({7}, 0.99), 7);
    EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 0.9), 4.6);
    EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 1.0), 5);
}

TEST(Recorder, StepsFollowPrefillBatchesDecodesAndSampling) {
    Recorder rec;
    rec.reserve(64, 8);
    // A prompt in two batches, its sampling; then two decode steps.
    rec.eval_begin({Phase::Prefill, 0, 4});
    rec.op_begin(op(OpKind::Q, Phase::Prefill, 0, 4, 100, 800));
    rec.op_end(op(OpKind::Q, Phase::Prefill, 0, 4, 100, 800));
    rec.eval_end({Phase::Prefill, 0, 4});
    rec.eval_begin({Phase::Prefill, 4, 2});
    rec.op_begin(op(OpKind::Q, Phase::Prefill, 0, 2, 100, 400));
    rec.op_end(op(OpKind::Q, Phase::Prefill, 0, 2, 100, 400));
    rec.eval_end({Phase::Prefill, 4, 2});
    rec.op_begin(op(OpKind::Sampling, Phase::Prefill, -1, 1, 0, 0));
    rec.op_end(op(OpKind::Sampling, Phase::Prefill, -1, 1, 0, 0));
    rec.set_token(42);
    for (int i = 0; i < 2; ++i) {
        rec.eval_begin({Phase::Decode, 6 + i, 1});
        rec.op_begin(op(OpKind::Down, Phase::Decode, 1, 1, 1000, 2000));
        rec.op_end(op(OpKind::Down, Phase::Decode, 1, 1, 1000, 2000));
        rec.eval_end({Phase::Decode, 6 + i, 1});
        rec.op_begin(op(OpKind::Sampling, Phase::Decode, -1, 1, 0, 0));
        rec.op_end(op(OpKind::Sampling, Phase::Decode, -1, 1, 0, 0));
        rec.set_token(100 + i);
    }
    prof::Run run;
    rec.take(run);
    ASSERT_EQ(run.tokens.size(), 3u);
    EXPECT_EQ(run.tokens[0].n_tokens, 6);
    EXPECT_EQ(run.tokens[0].token_id, 42);
    EXPECT_EQ(run.tokens[2].token_id, 101);
    EXPECT_EQ(run.tokens[2].pos, 7);
    ASSERT_EQ(run.ops.size(), 7u);
    EXPECT_EQ(run.ops[2].kind, OpKind::Sampling);
    EXPECT_EQ(run.ops[2].step, 0);
    EXPECT_EQ(run.ops[3].step, 1);
    EXPECT_EQ(run.ops[6].step, 2);
    for (const OpRecord& r : run.ops) {
        EXPECT_LE(r.t_begin_ns, r.t_end_ns);
        EXPECT_GE(r.t_begin_ns, run.tokens[size_t(r.step)].t_begin_ns);
        EXPECT_LE(r.t_end_ns, run.tokens[size_t(r.step)].t_end_ns);
    }

    const RunSummary s = summarize(run);
    EXPECT_EQ(s.latency.n_prompt, 6);
    EXPECT_EQ(s.latency.n_decode, 2);
    const OpStats& q = s.by_kind[size_t(Phase::Prefill)][size_t(OpKind::Q)];
    EXPECT_EQ(q.count, 2);
    EXPECT_EQ(q.bytes, 200u);
    EXPECT_EQ(q.flops, 1200u);
    EXPECT_EQ(s.by_layer.size(), 2u);
    EXPECT_EQ(s.by_layer[1][size_t(Phase::Decode)].bytes, 2000u);
    EXPECT_EQ(s.outside_layers[size_t(Phase::Decode)].count, 2);
    EXPECT_GT(s.accounted, 0);
    EXPECT_LE(s.accounted, 1.0);
}

TEST(Summary, LatenciesFromTokenRecords) {
    prof::Run run;
    // TTFT 10 ms; decode steps of 2, 4, 6, 8 ms.
    run.tokens.push_back({0, Phase::Prefill, 5, 0, 1, 0, 10'000'000});
    int64_t t = 10'000'000;
    for (int i = 1; i <= 4; ++i) {
        run.tokens.push_back({i, Phase::Decode, 1, 4 + i, 1, t, t + 2'000'000 * i});
        t += 2'000'000 * i;
    }
    // One op covering all of step 0's time except 1 ms.
    OpRecord r;
    r.t_begin_ns = 0;
    r.t_end_ns = 9'000'000;
    r.step = 0;
    r.kind = OpKind::Q;
    r.n_tokens = 5;
    run.ops.push_back(r);
    const RunSummary s = summarize(run);
    EXPECT_DOUBLE_EQ(s.latency.ttft_ms, 10);
    EXPECT_DOUBLE_EQ(s.latency.tpot_mean_ms, 5);
    EXPECT_DOUBLE_EQ(s.latency.tpot_p50_ms, 5);
    EXPECT_DOUBLE_EQ(s.latency.tpot_max_ms, 8);
    EXPECT_DOUBLE_EQ(s.latency.decode_tokens_per_s, 200);
    EXPECT_DOUBLE_EQ(s.latency.prefill_tokens_per_s, 5 / 0.009);
    EXPECT_DOUBLE_EQ(s.accounted, 9.0 / 30.0);
    EXPECT_DOUBLE_EQ(s.accounted_worst_step, 0.0);  // decode steps have no ops at all
}

TEST(Profile, GenerationRecordsEveryOpAndToken) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    ProfileParams pp = profile_default_params();
    pp.prompt = "Once upon a time";
    pp.generate.n_predict = 8;
    pp.generate.sampler.temperature = 0;
    pp.generate.stop_at_eog = false;
    pp.name = "unit";
    const prof::Run run = profile_generation(*model, pp);
    const ModelConfig& c = model->config();

    EXPECT_EQ(run.config.architecture, "llama");
    EXPECT_EQ(run.config.model_sha256.size(), 64u);
    EXPECT_EQ(run.config.weight_bytes, model->weight_bytes());
    EXPECT_EQ(run.config.n_generated, 8);
    ASSERT_EQ(run.tokens.size(), 8u);  // the prompt step and 7 decode steps
    const size_t per_eval = 1 + 9 * size_t(c.n_layer) + 2 + 1;  // 9 ops per layer (qkv and gate_up grouped)
    EXPECT_EQ(run.ops.size(), 8 * per_eval);
    // The same tokens as an unprofiled greedy run.
    std::vector<TokenId> expected;
    {
        Session s(*model);
        GenerateParams gp = pp.generate;
        TokenizeOptions topt;
        topt.add_bos = model->tokenizer().add_bos_default();
        generate(s, model->tokenizer().encode(pp.prompt, topt), gp, [&](TokenId id) {
            expected.push_back(id);
            return true;
        });
    }
    for (size_t i = 0; i < run.tokens.size(); ++i) EXPECT_EQ(run.tokens[i].token_id, expected[i]);
    // Ops lie inside their step, steps follow each other.
    for (const OpRecord& r : run.ops) {
        const TokenRecord& t = run.tokens[size_t(r.step)];
        EXPECT_GE(r.t_begin_ns, t.t_begin_ns);
        EXPECT_LE(r.t_end_ns, t.t_end_ns);
    }
    for (size_t i = 1; i < run.tokens.size(); ++i) EXPECT_GE(run.tokens[i].t_begin_ns, run.tokens[i - 1].t_end_ns);
    // Memory: every weight tensor, the cache and scratch; samples before, per token, after.
    uint64_t weights = 0;
    for (const MemoryEntry& e : run.memory_breakdown)
        if (e.category == MemoryEntry::Category::Weights) weights += e.bytes;
    EXPECT_EQ(weights, model->weight_bytes());
    EXPECT_EQ(run.memory.size(), 8u + 2u);
    EXPECT_GT(run.memory.back().peak_rss_bytes, 0u);

    const RunSummary s = summarize(run);
    EXPECT_EQ(s.latency.n_decode, 7);
    EXPECT_GT(s.latency.ttft_ms, 0);
    EXPECT_GT(s.accounted, 0.3);  // loose: timing on a shared machine; docs/profiler.md has real figures
    EXPECT_LE(s.accounted, 1.0);
    EXPECT_EQ(s.by_kind[size_t(Phase::Decode)][size_t(OpKind::LmHead)].bytes, 7 * model->weights().output.bytes());

    // A run compared with itself: ratio 1 everywhere.
    const RunComparison cmp = compare_runs(run, run, Phase::Decode);
    EXPECT_EQ(cmp.by_layer.size(), size_t(c.n_layer));
    for (const CompareRow& r : cmp.by_kind) EXPECT_DOUBLE_EQ(r.ratio(), r.a_ms > 0 ? 1.0 : 0.0) << r.label;
    EXPECT_DOUBLE_EQ(cmp.total.delta_ms(), 0);
}

// An empty prompt is refused with a message, not profiled as a BOS-only run: a run
// of nothing but the start token measures no prompt the user gave (issue #9's empty
// inputs; tests/cli/test_cli_hostile.sh checks the CLI's message).
TEST(Profile, EmptyPromptIsRefused) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    ProfileParams pp = profile_default_params();
    pp.prompt = "";
    pp.hash_model = false;
    pp.generate.n_predict = 2;
    try {
        profile_generation(*model, pp);
        ADD_FAILURE() << "an empty prompt was profiled";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the prompt is empty"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace pareto::prof

// FIPS 180-2 test vectors through a file, and a file over the hasher's 1 MiB read
// chunk checked against OpenSSL's one-shot digest of the same bytes in memory.
TEST(ModelSha256, MatchesTheStandardVectorsAndAOneShotDigest) {
    const auto dir = std::filesystem::temp_directory_path() / ("pareto-sha-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto write = [&](const char* name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return (dir / name).string();
    };
    EXPECT_EQ(pareto::prof::model_sha256(write("abc", "abc"), false),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(pareto::prof::model_sha256(write("million-a", std::string(1000000, 'a')), false),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    std::string big(3 * (size_t{1} << 20) + 5, '\0');
    uint32_t state = 12345;
    for (char& c : big) c = static_cast<char>((state = state * 1664525u + 1013904223u) >> 24);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    ASSERT_EQ(EVP_Digest(big.data(), big.size(), md, &md_len, EVP_sha256(), nullptr), 1);
    std::string hex;
    for (unsigned int i = 0; i < md_len; ++i) {
        static const char* digits = "0123456789abcdef";
        hex += digits[md[i] >> 4];
        hex += digits[md[i] & 15];
    }
    EXPECT_EQ(pareto::prof::model_sha256(write("big", big), false), hex);

    EXPECT_THROW(pareto::prof::model_sha256((dir / "missing").string(), false), pareto::Error);
    std::filesystem::remove_all(dir);
}
