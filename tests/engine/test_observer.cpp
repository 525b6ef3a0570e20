// The engine's observer: every op of every layer reported once, in order, with
// its phase, position and cost; matmul inputs reported for calibration; and an
// attached observer changes nothing the model computes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "observer.h"
#include "support/test_data.h"

namespace pareto {
namespace {

struct Recorder : Observer {
    std::vector<OpEvent> ops;
    std::vector<EvalEvent> evals;
    int open = 0;  // op_begin without its op_end
    bool inputs = false;
    std::map<std::pair<int, int>, double> input_sumsq;  // (kind, layer) -> sum of squares
    int64_t input_rows = 0;

    void eval_begin(const EvalEvent& e) override { evals.push_back(e); }
    void op_begin(const OpEvent& e) override {
        EXPECT_EQ(open, 0) << "ops must not nest";
        ++open;
        ops.push_back(e);
    }
    void op_end(const OpEvent& e) override {
        --open;
        EXPECT_EQ(e.kind, ops.back().kind);
        EXPECT_EQ(e.layer, ops.back().layer);
    }
    bool wants_matmul_inputs() const override { return inputs; }
    void matmul_input(const OpEvent& e, const float* x, int64_t n_tok, int64_t cols) override {
        double s = 0;
        for (int64_t i = 0; i < n_tok * cols; ++i) s += double(x[i]) * x[i];
        input_sumsq[{int(e.kind), e.layer}] += s;
        input_rows += n_tok;
    }
};

const std::vector<OpKind> kLayerOps = {OpKind::AttnNorm,  OpKind::QKV, OpKind::Rope,   OpKind::Attention, OpKind::O,
                                       OpKind::FfnNorm,   OpKind::GateUp, OpKind::Activation, OpKind::Down};

TEST(Observer, EveryOpOfEveryLayerInOrder) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    const ModelConfig& c = model->config();
    Session s(*model);
    Recorder rec;
    s.set_observer(&rec);
    const auto prompt = model->tokenizer().encode("Once upon a time");
    GenerateParams gp = generate_default_params();
    gp.n_predict = 3;
    gp.sampler.temperature = 0;
    gp.stop_at_eog = false;
    generate(s, prompt, gp, nullptr);
    EXPECT_EQ(rec.open, 0);

    // One prefill eval, then two decode steps (the third token needs no eval).
    ASSERT_EQ(rec.evals.size(), 3u);
    EXPECT_EQ(rec.evals[0].phase, Phase::Prefill);
    EXPECT_EQ(rec.evals[0].n_tokens, int32_t(prompt.size()));
    EXPECT_EQ(rec.evals[1].phase, Phase::Decode);
    EXPECT_EQ(rec.evals[1].pos, int64_t(prompt.size()));
    EXPECT_EQ(rec.evals[2].pos, int64_t(prompt.size()) + 1);

    // Each eval: embed, n_layer x 9 ops, output_norm, lm_head; then one sampling.
    const size_t per_eval = 1 + c.n_layer * kLayerOps.size() + 2 + 1;
    ASSERT_EQ(rec.ops.size(), 3 * per_eval);
    size_t i = 0;
    for (size_t e = 0; e < 3; ++e) {
        const Phase phase = e == 0 ? Phase::Prefill : Phase::Decode;
        {
            EXPECT_EQ(rec.ops[i].phase, phase);
            EXPECT_EQ(rec.ops[i++].layer, -1);
            for (int64_t l = 0; l < c.n_layer; ++l)
                for (OpKind k : kLayerOps) {
                    ASSERT_EQ(rec.ops[i].kind, k) << "op " << i;
                    EXPECT_EQ(rec.ops[i].layer, l);
                    EXPECT_EQ(rec.ops[i].phase, phase);
                    EXPECT_EQ(rec.ops[i].n_tokens, e == 0 ? int32_t(prompt.size()) : 1);
                    ++i;
                }
            EXPECT_EQ(rec.ops[i++].kind, OpKind::OutputNorm);
            EXPECT_EQ(rec.ops[i++].kind, OpKind::LmHead);
        }
        ASSERT_EQ(rec.ops[i].kind, OpKind::Sampling);
        EXPECT_EQ(rec.ops[i++].phase, phase);
    }
    EXPECT_EQ(i, rec.ops.size());

    // Costs: a projection streams its matrices once and does 2 flops per weight per
    // token; a grouped one (gate and up) sums its matrices.
    const LayerWeights& L0 = model->weights().layers[0];
    for (const OpEvent& e : rec.ops) {
        if (e.kind == OpKind::GateUp && e.layer == 0) {
            EXPECT_EQ(e.bytes_read, L0.w_gate.bytes() + L0.w_up.bytes());
            EXPECT_EQ(e.flops, 2ull * e.n_tokens * (L0.w_gate.rows * L0.w_gate.cols + L0.w_up.rows * L0.w_up.cols));
        }
        if (e.kind == OpKind::Down && e.layer == 0) {
            EXPECT_EQ(e.bytes_read, L0.w_down.bytes());
            EXPECT_EQ(e.flops, 2ull * e.n_tokens * L0.w_down.rows * L0.w_down.cols);
        }
        if (e.kind == OpKind::LmHead) {
            EXPECT_EQ(e.bytes_read, model->weights().output.bytes());
        }
        if (e.kind == OpKind::Attention && e.phase == Phase::Decode) {
            EXPECT_EQ(e.bytes_read, 2ull * (e.pos + 1) * c.kv_dim() * sizeof(float));
        }
    }
}

TEST(Observer, AttachedObserverChangesNoLogitAndSeesMatmulInputs) {
    PARETO_REQUIRE_DATA(path, "models/stories260K.gguf");
    const auto model = Model::load(path);
    const auto prompt = model->tokenizer().encode("The cat sat on the mat.");
    Session plain(*model), watched(*model);
    Recorder rec;
    rec.inputs = true;
    watched.set_observer(&rec);
    plain.eval(prompt);
    watched.eval(prompt);
    for (size_t v = 0; v < plain.logits().size(); ++v) ASSERT_EQ(plain.logits()[v], watched.logits()[v]);

    const auto n = int64_t(prompt.size());
    const int64_t n_layer = model->config().n_layer;
    // Q, K, V, O, Gate, Up, Down per layer, all tokens; lm_head for the last token only.
    EXPECT_EQ(rec.input_rows, n * 7 * n_layer + 1);
    auto sumsq = [&](OpKind k, int64_t l) { return rec.input_sumsq[std::make_pair(int(k), int(l))]; };
    for (int64_t l = 0; l < n_layer; ++l) {
        EXPECT_GT(sumsq(OpKind::Q, l), 0);
        EXPECT_EQ(sumsq(OpKind::Q, l), sumsq(OpKind::K, l));  // the same normalised rows
        EXPECT_EQ(sumsq(OpKind::Gate, l), sumsq(OpKind::Up, l));
        EXPECT_GT(sumsq(OpKind::Down, l), 0);
    }
    // Detached: nothing more is reported.
    watched.set_observer(nullptr);
    const size_t before = rec.ops.size();
    watched.eval(std::vector<TokenId>{13});
    EXPECT_EQ(rec.ops.size(), before);
}

TEST(Observer, OpKindNamesAreDistinct) {
    std::set<std::string_view> names;
    for (int k = 0; k < kOpKindCount; ++k) names.insert(op_kind_name(static_cast<OpKind>(k)));
    EXPECT_EQ(names.size(), size_t(kOpKindCount));
    EXPECT_EQ(op_kind_name(OpKind::LmHead), "lm_head");
    EXPECT_EQ(phase_name(Phase::Decode), "decode");
}

}  // namespace
}  // namespace pareto
