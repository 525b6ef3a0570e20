// The compression building blocks on synthetic data: plan parsing and its errors,
// quantizers (block packing, GPTQ against RTN on correlated inputs), pruning (exact
// N:M masks and sparsity, SparseGPT and Wanda against magnitude), calibration sums.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compress/calibration.h"
#include "compress/plan.h"
#include "compress/prune.h"
#include "compress/quantize.h"
#include "model/tensor_set.h"
#include "util/error.h"

namespace pareto {
namespace {

// ---- plans ---------------------------------------------------------------------------

std::string plan_error(const std::string& json) {
    try {
        parse_plan(json, "p.json");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(Plan, ParsesEveryField) {
    const CompressionPlan p = parse_plan(R"({
        "name": "mix", "description": "test",
        "default_type": "q4_0", "method": "gptq", "importance": true, "file_type": 15,
        "gptq": {"damp": 0.05, "block_size": 64, "act_order": true},
        "rules": [{"match": "blk\\.\\d+\\.attn_.*", "type": "F16"},
                  {"match": "output\\.weight", "type": "keep", "method": "rtn", "importance": false}],
        "prune": [{"match": "blk\\.\\d+\\.ffn_.*", "method": "wanda", "sparsity": 0.5},
                  {"match": "blk\\.\\d+\\.attn_.*", "method": "sparsegpt", "pattern": "2:4"}],
        "structured": {"ffn_channels": 0.25, "attn_heads": 0.5, "ffn_multiple": 32, "score": "magnitude"},
        "calibration": {"text": "c.txt", "samples": 8, "ctx": 64, "seed": 3, "sequential": false}
    })");
    EXPECT_EQ(p.name, "mix");
    EXPECT_FALSE(p.default_type.keep);
    EXPECT_EQ(p.default_type.type, DType::Q4_0);
    EXPECT_EQ(p.method, QuantMethod::Gptq);
    EXPECT_TRUE(p.importance);
    EXPECT_EQ(p.file_type, 15u);
    EXPECT_DOUBLE_EQ(p.gptq.damp, 0.05);
    EXPECT_EQ(p.gptq.block_size, 64);
    EXPECT_TRUE(p.gptq.act_order);
    ASSERT_EQ(p.rules.size(), 2u);
    EXPECT_EQ(p.rules[0].type->type, DType::F16);
    EXPECT_TRUE(p.rules[1].type->keep);
    EXPECT_EQ(p.rules[1].method, QuantMethod::Rtn);
    EXPECT_EQ(p.rules[1].importance, false);
    ASSERT_EQ(p.prune.size(), 2u);
    EXPECT_EQ(p.prune[0].method, PruneMethod::Wanda);
    EXPECT_DOUBLE_EQ(p.prune[0].target.sparsity, 0.5);
    EXPECT_EQ(p.prune[1].target.n, 2);
    EXPECT_EQ(p.prune[1].target.m, 4);
    EXPECT_DOUBLE_EQ(p.structured.ffn_fraction, 0.25);
    EXPECT_EQ(p.structured.ffn_multiple, 32);
    EXPECT_EQ(p.structured.score, PruneMethod::Magnitude);
    EXPECT_EQ(p.calibration.text, "c.txt");
    EXPECT_EQ(p.calibration.samples, 8);
    EXPECT_EQ(p.calibration.seed, 3u);
    EXPECT_FALSE(p.calibration.sequential);

    // Round trip through JSON.
    const CompressionPlan q = parse_plan(plan_to_json(p));
    EXPECT_EQ(plan_to_json(q), plan_to_json(p));
}

TEST(Plan, ErrorsNameTheOffendingRuleFieldAndValue) {
    struct Case {
        const char* json;
        const char* needle;
    };
    const Case cases[] = {
        {R"({"rules": [{"match": "a", "type": "F16"}, {"match": "b", "type": "Q4_X"}]})", "p.json: rules[1].type: 'Q4_X' is not a type"},
        {R"({"rules": [{"match": "blk\\.(", "type": "F16"}]})", "p.json: rules[0].match: invalid pattern 'blk\\.('"},
        {R"({"rules": [{"match": "x", "typ": "F16"}]})", "rules[0].typ: unknown field"},
        {R"({"rules": [{"match": "x"}]})", "rules[0]: the rule sets nothing"},
        {R"({"rules": [{"type": "F16"}]})", "rules[0].match: missing"},
        {R"({"prune": [{"match": "x", "method": "wanda", "sparsity": 1.5}]})", "prune[0].sparsity: value 1.5 is outside [0, 1)"},
        {R"({"prune": [{"match": "x", "method": "wanda", "pattern": "4:2"}]})", "prune[0].pattern: '4:2' is not an N:M pattern"},
        {R"({"prune": [{"match": "x", "method": "obs", "sparsity": 0.5}]})", "prune[0].method: 'obs' is not a pruning method"},
        {R"({"prune": [{"match": "x", "method": "wanda", "sparsity": 0.5, "pattern": "2:4"}]})", "prune[0].pattern: give either"},
        {R"({"prune": [{"match": "x", "method": "wanda"}]})", "prune[0]: missing sparsity"},
        {R"({"method": "awq"})", "p.json: method: 'awq' is not a quantization method"},
        {R"({"importance": "yes"})", "importance: expected true or false, got string \"yes\""},
        {R"({"calibration": {"samples": 0}})", "calibration.samples: value 0 is outside"},
        {R"({"structured": {"score": "sparsegpt"}})", "structured.score: 'sparsegpt' is not a channel score"},
        {R"({"rules": {"match": "x"}})", "rules: expected an array"},
        {R"({"default_type": "Q4_0",})", "p.json: not valid JSON"},
        {R"({"default_type": 1e999})", "p.json: not valid JSON"},  // nlohmann's out_of_range, not parse_error (fuzz_plan)
        {R"([1, 2])", "p.json: expected an object"},
        {R"({"defualt_type": "Q4_0"})", "defualt_type: unknown field"},
    };
    for (const Case& c : cases) {
        const std::string e = plan_error(c.json);
        EXPECT_NE(e.find(c.needle), std::string::npos) << "plan " << c.json << "\n  error: " << e << "\n  expected: " << c.needle;
    }
}

TEST(Plan, PatternsMatchWholeNames) {
    const CompressionPlan p = parse_plan(R"({"default_type": "Q8_0", "rules": [{"match": "output\\.weight", "type": "F16"}]})");
    TensorSet ts("t");
    std::vector<std::vector<uint8_t>> keep;
    auto add = [&](const std::string& name, uint64_t cols, uint64_t rows) {
        GgufTensor t;
        t.name = name;
        t.type = DType::F32;
        t.shape = {cols, rows};
        t.n_elements = cols * rows;
        t.n_bytes = t.n_elements * 4;
        ts.put_owned(t, std::vector<uint8_t>(t.n_bytes));
    };
    add("blk.0.attn_output.weight", 64, 64);
    add("output.weight", 64, 32);
    ModelConfig c;
    c.n_layer = 1;
    const PlanResolution r = resolve_plan(p, ts, c);
    ASSERT_EQ(r.tensors.size(), 2u);
    EXPECT_EQ(r.tensors[0].target_type, DType::Q8_0);  // "output\.weight" must not match attn_output
    EXPECT_EQ(r.tensors[1].target_type, DType::F16);
}

TEST(Plan, ResolutionErrorsAndWarnings) {
    TensorSet ts("m.gguf");
    auto add = [&](const std::string& name, std::vector<uint64_t> shape) {
        GgufTensor t;
        t.name = name;
        t.type = DType::F32;
        t.shape = shape;
        t.n_elements = 1;
        for (auto d : shape) t.n_elements *= d;
        t.n_bytes = t.n_elements * 4;
        ts.put_owned(t, std::vector<uint8_t>(t.n_bytes));
    };
    add("token_embd.weight", {64, 100});
    add("blk.0.attn_norm.weight", {64});
    add("blk.0.ffn_down.weight", {172, 64});
    add("blk.0.ffn_up.weight", {64, 172});
    add("blk.0.attn_q.weight", {256, 8});
    ModelConfig c;

    // A fallback and an unmatched rule are warnings; norms are never planned.
    PlanResolution r = resolve_plan(parse_plan(R"({"default_type": "Q4_0", "rules": [{"match": "nothing", "type": "F16"}]})"), ts, c);
    EXPECT_FALSE(r.tensors[1].matrix);
    EXPECT_EQ(r.tensors[2].wanted_type, DType::Q4_0);
    EXPECT_EQ(r.tensors[2].target_type, DType::F16);  // 172 is not a multiple of 32 (llama.cpp falls back the same way)
    bool fallback = false, unmatched = false;
    for (const auto& w : r.warnings) {
        fallback = fallback || w.find("blk.0.ffn_down.weight: Q4_0 -> F16") != std::string::npos;
        unmatched = unmatched || w.find("rules[0] ('nothing') matches no weight matrix") != std::string::npos;
    }
    EXPECT_TRUE(fallback);
    EXPECT_TRUE(unmatched);
    EXPECT_FALSE(r.needs_calibration);

    auto error = [&](const std::string& plan) {
        try {
            resolve_plan(parse_plan(plan), ts, c);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(error(R"({"prune": [{"match": "blk\\.0\\.ffn_down\\.weight", "method": "magnitude", "pattern": "4:8"}]})")
                  .find("prune[0] pattern 4:8 needs rows whose length is a multiple of 8; blk.0.ffn_down.weight has rows of 172"),
              std::string::npos);
    EXPECT_NE(error(R"({"prune": [{"match": "token_embd\\.weight", "method": "wanda", "sparsity": 0.5}]})")
                  .find("prune[0] applies wanda to token_embd.weight, a lookup table"),
              std::string::npos);
    EXPECT_NE(error(R"({"method": "gptq", "rules": [{"match": "blk\\.0\\.attn_q\\.weight", "type": "Q2_K"}]})")
                  .find("GPTQ writes"),
              std::string::npos);

    // GPTQ on the token embedding (a lookup table) falls back to RTN with a warning.
    r = resolve_plan(parse_plan(R"({"default_type": "Q8_0", "method": "gptq"})"), ts, c);
    EXPECT_EQ(r.tensors[0].method, QuantMethod::Rtn);
    EXPECT_EQ(r.tensors[3].method, QuantMethod::Gptq);
    EXPECT_TRUE(r.needs_hessians);
}

TEST(Plan, PresetsFollowLlamaCppMixes) {
    ModelConfig c;
    c.n_layer = 32;
    const CompressionPlan km = preset_plan("Q4_K_M", c);
    EXPECT_EQ(km.default_type.type, DType::Q4_K);
    EXPECT_EQ(km.file_type, 15u);
    // More bits for the first and last eighth of the layers and every third between:
    // with 32 layers, 0-3, 28-31, and 6, 9, ..., 27.
    ASSERT_EQ(km.rules.size(), 3u);
    EXPECT_EQ(km.rules[0].match, "output\\.weight");
    EXPECT_EQ(km.rules[1].match, "blk\\.(0|1|2|3|6|9|12|15|18|21|24|27|28|29|30|31)\\.attn_v\\.weight");
    c.tied_output = true;
    EXPECT_EQ(preset_plan("q4_0", c).rules[0].match, "token_embd\\.weight");
    for (auto name : preset_names()) EXPECT_NO_THROW(preset_plan(name, c)) << name;
    try {
        preset_plan("q3_xs", c);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unknown preset 'q3_xs' (known: q8_0, q4_0"), std::string::npos) << e.what();
    }
}

TEST(Plan, PruneOption) {
    PruneRule r = parse_prune_option("wanda:0.5");
    EXPECT_EQ(r.method, PruneMethod::Wanda);
    EXPECT_DOUBLE_EQ(r.target.sparsity, 0.5);
    EXPECT_EQ(r.match, kBlockMatrices);
    r = parse_prune_option("sparsegpt:2:4");
    EXPECT_EQ(r.method, PruneMethod::SparseGpt);
    EXPECT_EQ(r.target.describe(), "2:4");
    EXPECT_DOUBLE_EQ(r.target.fraction(), 0.5);
    for (const char* bad : {"wanda", "wanda:1.0", "wanda:x", "foo:0.5", "wanda:4:4", "wanda:2:4:8"})
        EXPECT_THROW(parse_prune_option(bad), Error) << bad;
}

// ---- synthetic weights and inputs ---------------------------------------------------

// Inputs with correlated columns and a few large ones, like real activations.
InputStats correlated_inputs(int64_t cols, int64_t n, uint32_t seed, bool hessian = true) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    CalibrationCollector col([](const InputKey&) { return true; }, [&](const InputKey&) { return hessian; });
    std::vector<float> x(static_cast<size_t>(n * cols));
    const int64_t k = 8;  // latent factors
    std::vector<float> mix(static_cast<size_t>(k * cols));
    for (auto& v : mix) v = g(rng);
    for (int64_t t = 0; t < n; ++t) {
        float z[8];
        for (auto& v : z) v = g(rng);
        for (int64_t c = 0; c < cols; ++c) {
            float v = 0.3f * g(rng);
            for (int64_t j = 0; j < k; ++j) v += z[j] * mix[static_cast<size_t>(j * cols + c)];
            if (c % 17 == 0) v *= 6.0f;  // outlier columns
            x[static_cast<size_t>(t * cols + c)] = v;
        }
    }
    OpEvent op;
    op.kind = OpKind::Q;
    op.layer = 0;
    for (int64_t t0 = 0; t0 < n; t0 += 100) col.matmul_input(op, x.data() + t0 * cols, std::min<int64_t>(100, n - t0), cols);
    return col.take().begin()->second;
}

FloatMatrix random_weights(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 0.02f);
    FloatMatrix w(rows, cols);
    for (auto& v : w.data) v = g(rng);
    return w;
}

double rms_error(const FloatMatrix& a, const FloatMatrix& b) {
    double s = 0, n = 0;
    for (size_t i = 0; i < a.data.size(); ++i) {
        s += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]);
        n += a.data[i] * a.data[i];
    }
    return std::sqrt(s / n);
}

TEST(Calibration, HessianIsTheSumOfOuterProducts) {
    const int64_t cols = 24, n = 250;
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (auto& v : x) v = g(rng);
    CalibrationCollector col([](const InputKey&) { return true; }, [](const InputKey&) { return true; });
    OpEvent op;
    op.layer = 3;
    op.kind = OpKind::Q;  // in two batches
    col.matmul_input(op, x.data(), 100, cols);
    col.matmul_input(op, x.data() + 100 * cols, n - 100, cols);
    for (OpKind k : {OpKind::K, OpKind::V, OpKind::Up}) {  // the same inputs again: not counted twice
        op.kind = k;
        col.matmul_input(op, x.data(), n, cols);
    }
    const CalibrationStats stats = col.take();
    ASSERT_EQ(stats.size(), 1u);
    const InputStats& s = stats.at(InputKey{3, InputGroup::AttnIn});
    EXPECT_EQ(s.n_rows, n);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) {
            double h = 0;
            for (int64_t t = 0; t < n; ++t) h += static_cast<double>(x[static_cast<size_t>(t * cols + i)]) * x[static_cast<size_t>(t * cols + j)];
            EXPECT_NEAR(s.hessian[static_cast<size_t>(i * cols + j)], h, 1e-9 * std::max(1.0, std::fabs(h)));
            if (i == j) {
                EXPECT_NEAR(s.sum_sq[static_cast<size_t>(i)], h, 1e-9 * h);
            }
        }
}

TEST(Calibration, InputsOfTensors) {
    EXPECT_EQ(input_of_tensor("blk.12.attn_k.weight", false), (InputKey{12, InputGroup::AttnIn}));
    EXPECT_EQ(input_of_tensor("blk.0.attn_output.weight", false), (InputKey{0, InputGroup::AttnOut}));
    EXPECT_EQ(input_of_tensor("blk.3.ffn_up.weight", false), (InputKey{3, InputGroup::FfnIn}));
    EXPECT_EQ(input_of_tensor("blk.3.ffn_down.weight", false), (InputKey{3, InputGroup::FfnDown}));
    EXPECT_EQ(input_of_tensor("output.weight", false), (InputKey{-1, InputGroup::LmHead}));
    EXPECT_EQ(input_of_tensor("token_embd.weight", true), (InputKey{-1, InputGroup::LmHead}));
    EXPECT_FALSE(input_of_tensor("token_embd.weight", false));
    EXPECT_FALSE(input_of_tensor("blk.3.attn_norm.weight", false));
    EXPECT_FALSE(input_of_tensor("blk.x.attn_q.weight", false));
}

// ---- quantizers ----------------------------------------------------------------------

class QuantTypes : public ::testing::TestWithParam<DType> {};

// Block layouts: the weighted search and GPTQ write their own blocks; if a level went
// to the wrong nibble or bit, the dequantized matrix would be far off. Their error
// must stay close to the reference quantizer's.
TEST_P(QuantTypes, OwnBlocksDecodeLikeTheReference) {
    const DType t = GetParam();
    const FloatMatrix w = random_weights(16, 512, 1);
    const FloatMatrix rtn = dequantize_matrix(t, quantize_rtn(w, t).data(), w.rows, w.cols);
    const std::vector<float> uniform(static_cast<size_t>(w.cols), 1.0f);
    const FloatMatrix weighted = dequantize_matrix(t, quantize_weighted(w, t, uniform).data(), w.rows, w.cols);
    InputStats identity;
    identity.cols = w.cols;
    identity.n_rows = 1;
    identity.sum_sq.assign(static_cast<size_t>(w.cols), 1.0);
    identity.hessian.assign(static_cast<size_t>(w.cols * w.cols), 0.0);
    for (int64_t i = 0; i < w.cols; ++i) identity.hessian[static_cast<size_t>(i * w.cols + i)] = 1.0;
    const FloatMatrix gptq = dequantize_matrix(t, quantize_gptq(w, t, identity, {}).data(), w.rows, w.cols);
    const double e_rtn = rms_error(w, rtn), e_w = rms_error(w, weighted), e_g = rms_error(w, gptq);
    EXPECT_LT(e_w, 1.05 * e_rtn) << dtype_name(t) << ": weighted " << e_w << " rtn " << e_rtn;
    EXPECT_LT(e_g, 1.05 * e_rtn) << dtype_name(t) << ": gptq " << e_g << " rtn " << e_rtn;
}

INSTANTIATE_TEST_SUITE_P(Compress, QuantTypes,
                         ::testing::Values(DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q4_K,
                                           DType::Q5_K, DType::Q6_K),
                         [](const auto& param_info) { return std::string(dtype_name(param_info.param)); });

class GptqTypes : public ::testing::TestWithParam<DType> {};

// GPTQ's purpose: less output error than rounding each weight on its own, on the
// inputs it was calibrated with; with act-order too. The importance-weighted search
// also lowers it (it sees the diagonal of the same Hessian).
TEST_P(GptqTypes, LessOutputErrorThanRtn) {
    const DType t = GetParam();
    const FloatMatrix w = random_weights(64, 512, 2);
    const InputStats s = correlated_inputs(512, 2000, 3);
    auto err = [&](const std::vector<uint8_t>& b) { return relative_output_error(w, dequantize_matrix(t, b.data(), w.rows, w.cols), s); };
    const double rtn = err(quantize_rtn(w, t));
    const double weighted = err(quantize_weighted(w, t, s.mean_sq()));
    GptqReport rep;
    const double gptq = err(quantize_gptq(w, t, s, {}, nullptr, &rep));
    GptqSettings ao;
    ao.act_order = true;
    const double gptq_ao = err(quantize_gptq(w, t, s, ao));
    EXPECT_LT(weighted, rtn) << dtype_name(t);
    EXPECT_LT(gptq, 0.8 * rtn) << dtype_name(t) << ": gptq " << gptq << " rtn " << rtn;
    EXPECT_LT(gptq_ao, 0.8 * rtn) << dtype_name(t) << ": gptq act-order " << gptq_ao << " rtn " << rtn;
    EXPECT_DOUBLE_EQ(rep.damp, 0.01);
    EXPECT_EQ(rep.dead_columns, 0);
}

INSTANTIATE_TEST_SUITE_P(Compress, GptqTypes, ::testing::Values(DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K),
                         [](const auto& param_info) { return std::string(dtype_name(param_info.param)); });

TEST(Gptq, DeadColumnsAndPrunedWeightsStayZero) {
    const FloatMatrix w0 = random_weights(8, 64, 4);
    InputStats s = correlated_inputs(64, 500, 5);
    for (int64_t j = 0; j < 64; ++j) {  // column 10 never sees an input
        s.hessian[static_cast<size_t>(10 * 64 + j)] = 0;
        s.hessian[static_cast<size_t>(j * 64 + 10)] = 0;
    }
    s.sum_sq[10] = 0;
    FloatMatrix w = w0;
    const PruneMask mask = prune_matrix(w, PruneMethod::Magnitude, SparsitySpec{0.5, 0, 0}, nullptr);
    GptqReport rep;
    const FloatMatrix q = dequantize_matrix(DType::Q4_0, quantize_gptq(w, DType::Q4_0, s, {}, &mask, &rep).data(), 8, 64);
    EXPECT_EQ(rep.dead_columns, 1);
    for (int64_t r = 0; r < 8; ++r) {
        EXPECT_EQ(q.at(r, 10), 0.0f);
        for (int64_t c = 0; c < 64; ++c)
            if (mask[static_cast<size_t>(r * 64 + c)]) {
                EXPECT_EQ(q.at(r, c), 0.0f) << r << "," << c;
            }
    }
}

TEST(Gptq, RejectsWhatItCannotDo) {
    const FloatMatrix w = random_weights(4, 64, 6);
    InputStats no_hessian = correlated_inputs(64, 100, 7, false);
    EXPECT_THROW(quantize_gptq(w, DType::Q4_0, no_hessian, {}), Error);
    const InputStats s = correlated_inputs(64, 100, 7);
    EXPECT_THROW(quantize_gptq(w, DType::Q2_K, s, {}), Error);
    EXPECT_THROW(quantize_gptq(w, DType::Q4_K, s, {}), Error);  // 64 is not a whole super-block
}

// ---- pruning ---------------------------------------------------------------------------

class NmPatterns : public ::testing::TestWithParam<std::tuple<PruneMethod, std::pair<int, int>>> {};

TEST_P(NmPatterns, MasksAreExact) {
    const auto [method, nm] = GetParam();
    const auto [n, m] = nm;
    FloatMatrix w = random_weights(32, 256, 8);
    const InputStats s = correlated_inputs(256, 1000, 9);
    const PruneMask mask = prune_matrix(w, method, SparsitySpec{0, n, m}, &s);
    EXPECT_TRUE(satisfies_n_m(w, n, m));
    // Exactly m - n pruned in every group (random weights have no zeros of their own).
    for (int64_t r = 0; r < w.rows; ++r)
        for (int64_t c0 = 0; c0 < w.cols; c0 += m) {
            int pruned = 0;
            for (int64_t c = c0; c < c0 + m; ++c) pruned += mask[static_cast<size_t>(r * w.cols + c)];
            ASSERT_EQ(pruned, m - n) << "row " << r << " group " << c0;
        }
    EXPECT_DOUBLE_EQ(measured_sparsity(w), 1.0 - static_cast<double>(n) / m);
}

INSTANTIATE_TEST_SUITE_P(Compress, NmPatterns,
                         ::testing::Combine(::testing::Values(PruneMethod::Magnitude, PruneMethod::Wanda, PruneMethod::SparseGpt),
                                            ::testing::Values(std::pair{2, 4}, std::pair{4, 8}, std::pair{1, 4})),
                         [](const auto& param_info) {
                             return std::string(prune_method_name(std::get<0>(param_info.param))) + "_" +
                                    std::to_string(std::get<1>(param_info.param).first) + "of" +
                                    std::to_string(std::get<1>(param_info.param).second);
                         });

TEST(Prune, UnstructuredCountsAndOrder) {
    const InputStats s = correlated_inputs(128, 1000, 10);
    const FloatMatrix w0 = random_weights(64, 128, 11);
    double err[3];
    int i = 0;
    for (PruneMethod m : {PruneMethod::Magnitude, PruneMethod::Wanda, PruneMethod::SparseGpt}) {
        FloatMatrix w = w0;
        PruneReport rep;
        prune_matrix(w, m, SparsitySpec{0.5, 0, 0}, &s, {}, &rep);
        EXPECT_EQ(rep.pruned, 64 * 128 / 2) << prune_method_name(m);
        EXPECT_DOUBLE_EQ(measured_sparsity(w), 0.5) << prune_method_name(m);
        err[i++] = relative_output_error(w0, w, s);
    }
    // On inputs with outlier columns, activation-aware beats magnitude, and the
    // Hessian update beats both.
    EXPECT_LT(err[1], err[0]);
    EXPECT_LT(err[2], err[1]);
    // Wanda compares within rows: every row loses exactly half.
    FloatMatrix w = w0;
    prune_matrix(w, PruneMethod::Wanda, SparsitySpec{0.5, 0, 0}, &s);
    for (int64_t r = 0; r < w.rows; ++r) {
        int zeros = 0;
        for (int64_t c = 0; c < w.cols; ++c) zeros += w.at(r, c) == 0.0f;
        EXPECT_EQ(zeros, 64);
    }
}

TEST(Prune, NeedsItsStatistics) {
    FloatMatrix w = random_weights(4, 64, 12);
    EXPECT_THROW(prune_matrix(w, PruneMethod::Wanda, SparsitySpec{0.5, 0, 0}, nullptr), Error);
    const InputStats no_hessian = correlated_inputs(64, 100, 13, false);
    EXPECT_THROW(prune_matrix(w, PruneMethod::SparseGpt, SparsitySpec{0.5, 0, 0}, &no_hessian), Error);
    EXPECT_THROW(prune_matrix(w, PruneMethod::Magnitude, SparsitySpec{0, 3, 5}, nullptr), Error);  // 5 does not divide 64
}

}  // namespace
}  // namespace pareto
