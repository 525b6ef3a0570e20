#pragma once
// Calibration: what the weight matrices of a model see when it reads a text. Samples
// of CTX tokens are drawn from a text the user names (deterministically for a seed),
// run through the model with an observer attached, and reduced on the fly to, per
// layer and input:
//   - the sum of squares of every input column (llama.cpp's imatrix; Wanda's norms);
//   - optionally the Hessian of the layer-wise reconstruction error, H = sum x x^T
//     (GPTQ, SparseGPT).
// Only these sums are kept, never the activations, so memory is bounded by the
// statistics asked for: cols doubles per input, plus cols^2 per Hessian.
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"
#include "observer.h"

namespace pareto {

// The distinct inputs of a decoder layer's matrices (and the output matrix's).
enum class InputGroup : uint8_t {
    AttnIn,   // normalised residual -> attn_q, attn_k, attn_v   [n_embd]
    AttnOut,  // attention output    -> attn_output              [q_dim]
    FfnIn,    // normalised residual -> ffn_gate, ffn_up          [n_embd]
    FfnDown,  // silu(gate) * up     -> ffn_down                  [n_ff]
    LmHead,   // final norm output   -> output (token_embd when tied) [n_embd]
};
std::string_view input_group_name(InputGroup g);  // "attn_in", "attn_out", "ffn_in", "ffn_down", "lm_head"

struct InputKey {
    int32_t layer = -1;  // -1 for the output matrix
    InputGroup group = InputGroup::AttnIn;
    auto operator<=>(const InputKey&) const = default;
};
std::string input_key_name(const InputKey& k);  // "blk.3.ffn_down", "lm_head"

// The input a tensor multiplies (by GGUF name); nullopt for tensors that multiply
// nothing (norms, biases, an untied token embedding, which is a lookup table).
std::optional<InputKey> input_of_tensor(std::string_view name, bool tied_output);

struct InputStats {
    int64_t cols = 0;
    int64_t n_rows = 0;            // input rows (tokens) accumulated
    std::vector<double> sum_sq;    // [cols]: sum over rows of x_c^2
    std::vector<double> hessian;   // [cols, cols], row-major, symmetric: sum x x^T; empty when not collected

    bool has_hessian() const { return !hessian.empty(); }
    std::vector<float> mean_sq() const;  // [cols]: sum_sq / n_rows (importance of each column)
    std::vector<float> norms() const;    // [cols]: sqrt(sum_sq), Wanda's ||X_j||
};
using CalibrationStats = std::map<InputKey, InputStats>;

// `samples` windows of `ctx` tokens from `text`: BOS (when the vocabulary adds one)
// then ctx - 1 consecutive text tokens from an offset drawn with splitmix64(seed).
// Windows may overlap when the text is short. Throws when the text has fewer tokens
// than one window.
std::vector<std::vector<TokenId>> calibration_samples(const Tokenizer& tokenizer, const std::string& text,
                                                      int64_t samples, int64_t ctx, uint64_t seed,
                                                      const std::string& label = "calibration text");

// An observer that accumulates InputStats for the inputs it is asked for.
class CalibrationCollector final : public Observer {
public:
    using KeyFilter = std::function<bool(const InputKey&)>;
    // `want`: collect the column sums of squares of this input; `want_hessian`: its
    // Hessian as well (only asked for inputs `want` accepts).
    CalibrationCollector(KeyFilter want, KeyFilter want_hessian);

    bool wants_matmul_inputs() const override { return true; }
    void matmul_input(const OpEvent& op, const float* x, int64_t n_tok, int64_t cols) override;

    bool wants_lm_head() const;  // whether the output matrix's input is wanted
    // The statistics so far (Hessians made symmetric); the collector is left empty.
    CalibrationStats take();

private:
    KeyFilter want_, want_hessian_;
    CalibrationStats stats_;
    std::vector<double> block_;  // scratch: one batch of rows widened to double
};

// Runs every sample through `model` with the collector attached (all positions'
// logits when the output matrix's input is wanted). `progress(done, total)` after
// each sample; false cancels (throws pareto::Cancelled).
void run_calibration(const Model& model, const std::vector<std::vector<TokenId>>& samples,
                     CalibrationCollector& collector, int n_threads,
                     const std::function<bool(int64_t, int64_t)>& progress = {});

}  // namespace pareto
