// The per-layer sensitivity scan on stories260K: one row per tensor group, each
// measured against the uncompressed model, only that group changed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "compress/sensitivity.h"
#include "support/test_data.h"
#include "util/error.h"

namespace pareto {
namespace {

KlParams small_kl() {
    KlParams k = kl_default_params();
    k.n_ctx = 128;
    k.max_chunks = 16;
    return k;
}

TEST(Sensitivity, GroupsOfAModel) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    const auto model = Model::load(model_path);
    const auto groups = sensitivity_groups(*model);
    ASSERT_EQ(groups.size(), 12u);  // 5 layers x (attn, ffn), token_embd, output
    EXPECT_EQ(groups[0].name, "attn");
    EXPECT_EQ(groups[0].tensors, (std::vector<std::string>{"blk.0.attn_q.weight", "blk.0.attn_k.weight",
                                                           "blk.0.attn_v.weight", "blk.0.attn_output.weight"}));
    EXPECT_EQ(groups[9].layer, 4);
    EXPECT_EQ(groups[9].name, "ffn");
    EXPECT_EQ(groups[11].name, "output");
}

TEST(Sensitivity, FewerBitsMoveEveryGroupFurther) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    const std::string text = test::read_text_file(text_path).substr(0, 200000);
    SensitivityParams p;
    p.kl = small_kl();
    p.probe.type = TypeChoice::of(DType::Q8_0);
    int calls = 0;
    p.progress = [&](int64_t done, int64_t total, const SensitivityRow&) {
        EXPECT_EQ(done, ++calls);
        EXPECT_EQ(total, 12);
        return true;
    };
    const auto q8 = sensitivity_scan(*model, text, p);
    EXPECT_EQ(calls, 12);
    p.probe.type = TypeChoice::of(DType::Q4_0);
    p.progress = nullptr;
    const auto q4 = sensitivity_scan(*model, text, p);
    ASSERT_EQ(q8.size(), 12u);
    ASSERT_EQ(q4.size(), 12u);
    for (size_t i = 0; i < q4.size(); ++i) {
        const std::string g = std::to_string(q4[i].group.layer) + " " + q4[i].group.name;
        EXPECT_GT(q8[i].kl.kl_mean, 0) << g;
        EXPECT_GT(q4[i].kl.kl_mean, q8[i].kl.kl_mean) << g;
        EXPECT_LT(q4[i].bytes_after, q8[i].bytes_after) << g;
        EXPECT_LT(q8[i].bytes_after, q8[i].bytes_before) << g;
        EXPECT_EQ(q4[i].kl.n_scored, q8[i].kl.n_scored) << g;
        EXPECT_DOUBLE_EQ(q4[i].kl.base.ppl, q4[0].kl.base.ppl) << "the baseline is the same model every time";
    }
    const std::string csv = sensitivity_csv(q4, p.probe);
    EXPECT_EQ(csv.rfind("layer,group,tensors,change,bytes_before,bytes_after,kl_mean,", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 13);
    EXPECT_NE(csv.find("\n0,attn,blk.0.attn_q.weight blk.0.attn_k.weight blk.0.attn_v.weight blk.0.attn_output.weight,Q4_0,"),
              std::string::npos);
}

TEST(Sensitivity, PruningWithCalibration) {
    PARETO_REQUIRE_DATA(model_path, "models/stories260K.gguf");
    PARETO_REQUIRE_DATA(text_path, "data/tinystories/tinystories_validation_head.txt");
    const auto model = Model::load(model_path);
    const std::string all = test::read_text_file(text_path);
    const std::string calib = ::testing::TempDir() + "/pareto_sens_calib_" + std::to_string(::getpid()) + ".txt";
    {
        FILE* f = std::fopen(calib.c_str(), "wb");
        std::fwrite(all.data() + all.size() / 2, 1, all.size() / 2, f);
        std::fclose(f);
    }
    SensitivityParams p;
    p.kl = small_kl();
    p.probe.prune = parse_prune_option("wanda:0.5");
    try {
        sensitivity_scan(*model, all.substr(0, 200000), p);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs calibration text"), std::string::npos) << e.what();
    }
    p.calibration.text = calib;
    p.calibration.samples = 8;
    p.calibration.ctx = 128;
    const auto wanda = sensitivity_scan(*model, all.substr(0, 200000), p);
    std::remove(calib.c_str());
    ASSERT_EQ(wanda.size(), 11u);  // no token_embd: a lookup table has no activations to weigh
    for (const auto& r : wanda) {
        EXPECT_NE(r.group.name, "token_embd");
        EXPECT_GT(r.kl.kl_mean, 0);
        EXPECT_EQ(r.bytes_after, r.bytes_before);  // F32 zeros take the same room
    }
    SensitivityParams none;
    EXPECT_THROW(sensitivity_scan(*model, all.substr(0, 200000), none), Error);
}

}  // namespace
}  // namespace pareto
