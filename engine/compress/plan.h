#pragma once
// A CompressionPlan says, for every weight matrix of a model, what it becomes: its
// target type, how it is quantized (round-to-nearest, optionally weighted by the
// calibration activations, or GPTQ), and whether and how it is pruned; plus the
// structured pruning of heads and FFN channels and the calibration settings. It is a
// JSON document (docs/compression-plan.md); presets are plans too.
//
// Rules match GGUF tensor names ("blk.3.ffn_up.weight", "token_embd.weight",
// "output.weight") with a PCRE2 pattern that must match the WHOLE name; the first
// matching rule wins, and the plan's default applies to matrices no rule matches.
// Only weight matrices are compressed: norms and biases (1-D) are always kept.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/config.h"
#include "tensor/dtype.h"

namespace pareto {

class TensorSet;

enum class QuantMethod { Rtn, Gptq };
enum class PruneMethod { Magnitude, Wanda, SparseGpt };
std::string_view quant_method_name(QuantMethod m);  // "rtn", "gptq"
std::string_view prune_method_name(PruneMethod m);  // "magnitude", "wanda", "sparsegpt"

// A target type: a GGUF type Pareto can write and compute with, or "keep" (the
// tensor's own type).
struct TypeChoice {
    bool keep = true;
    DType type = DType::F32;  // when !keep

    static TypeChoice keep_type() { return {}; }
    static TypeChoice of(DType t) { return {false, t}; }
    std::string name() const;  // "keep" or the type's name
    DType resolve(DType source) const { return keep ? source : type; }
};
// Parses "Q4_0", "q8_0", "keep"; nullopt for anything else (or a type Pareto cannot
// quantize into).
std::optional<TypeChoice> parse_type_choice(std::string_view name);
std::string writable_type_names();  // "F32, F16, ..., keep", for errors and help

// Per-weight quantization rule.
struct QuantRule {
    std::string match;                  // PCRE2, whole tensor name
    std::optional<TypeChoice> type;     // unset: the plan's default type
    std::optional<QuantMethod> method;  // unset: the plan's method
    std::optional<bool> importance;     // unset: the plan's
};

// A sparsity target: a fraction of each matrix (unstructured), or N:M: at most n
// nonzero weights in every m consecutive weights of a row, as sparse hardware states
// it ("2:4" keeps 2 of every 4: 50 %).
struct SparsitySpec {
    double sparsity = 0;  // unstructured: the fraction pruned, in [0, 1)
    int n = 0, m = 0;     // N:M when m > 0: n kept of every m
    bool is_n_m() const { return m > 0; }
    double fraction() const { return is_n_m() ? 1.0 - static_cast<double>(n) / m : sparsity; }
    std::string describe() const;  // "50%" or "2:4"
};

struct PruneRule {
    std::string match;  // PCRE2, whole tensor name
    PruneMethod method = PruneMethod::Magnitude;
    SparsitySpec target;
};

// Removes whole attention heads and FFN channels, so matrices really shrink.
struct StructuredSettings {
    double ffn_fraction = 0;   // of the FFN channels (n_ff) removed from every layer
    double head_fraction = 0;  // of the KV groups (a KV head and its query heads) removed from every layer
    int64_t ffn_multiple = 1;  // the kept channel count is rounded down to a multiple of this
    // How channels and heads are ranked: "wanda" (|W| times the calibration input
    // norms) or "magnitude" (|W| alone, no calibration needed).
    PruneMethod score = PruneMethod::Wanda;
    bool any() const { return ffn_fraction > 0 || head_fraction > 0; }
};

struct CalibrationSettings {
    std::string text;          // path of a UTF-8 text file; "" = none given
    int64_t samples = 64;      // windows of `ctx` tokens
    int64_t ctx = 256;
    uint64_t seed = 0;
    // Compress layer by layer, calibrating each layer on the outputs of the layers
    // already compressed before it (GPTQ's and SparseGPT's sequential mode).
    bool sequential = true;
};

struct GptqSettings {
    double damp = 0.01;        // fraction of the mean Hessian diagonal added to it
    int64_t block_size = 128;  // columns per lazy-update block (GPTQ and SparseGPT)
    bool act_order = false;    // columns in order of decreasing Hessian diagonal
};

struct CompressionPlan {
    std::string name;
    std::string description;
    TypeChoice default_type;              // for matrices no rule matches
    QuantMethod method = QuantMethod::Rtn;
    bool importance = false;              // RTN: weight the rounding error by calibration activations
    GptqSettings gptq;
    std::vector<QuantRule> rules;         // first match wins
    std::vector<PruneRule> prune;         // first match wins
    StructuredSettings structured;
    CalibrationSettings calibration;
    std::optional<uint32_t> file_type;    // general.file_type to write; unset: derived from the types
};

// Parses and validates a plan; `label` (a path) starts every error message, which
// then names the offending field: "plan.json: rules[2].type: ...".
CompressionPlan parse_plan(std::string_view json_text, const std::string& label = "plan");
CompressionPlan load_plan(const std::string& path);
// The plan as JSON (parse_plan reads it back to an equal plan).
std::string plan_to_json(const CompressionPlan& plan);

// Presets: "q8_0", "q4_0", "q4_k_m", "attn-f16-ffn-int4", "int8-embeddings", "f16",
// "f32". Some depend on the model's layer count and tied output (q4_k_m, like
// llama.cpp's Q4_K_M mix, gives some attn_v / ffn_down layers Q6_K), so a preset is
// built for a config. Throws naming the known presets.
CompressionPlan preset_plan(std::string_view name, const ModelConfig& config);
std::vector<std::string_view> preset_names();

// The command-line form of a pruning rule: "METHOD:SPARSITY" ("wanda:0.5") or
// "METHOD:N:M" ("sparsegpt:2:4"), applied to every matrix of the decoder blocks
// (pattern blk\.\d+\..*; the embedding and output matrices are left alone, as
// Wanda and SparseGPT do). Throws explaining the form.
PruneRule parse_prune_option(std::string_view spec);
// The pattern parse_prune_option uses.
inline constexpr std::string_view kBlockMatrices = "blk\\.\\d+\\..*";

// ---- the plan applied to a model's tensors ---------------------------------------------

// What happens to one tensor.
struct TensorDecision {
    std::string name;
    bool matrix = false;          // a weight matrix the plan applies to (else copied as is)
    DType source_type = DType::F32;  // the base model's type
    DType wanted_type = DType::F32;  // from the rules
    DType target_type = DType::F32;  // after the row-length fallback (llama.cpp's)
    QuantMethod method = QuantMethod::Rtn;
    bool importance = false;
    int quant_rule = -1;          // index into rules, -1 = the default
    std::optional<PruneRule> prune;
    int prune_rule = -1;
};

struct PlanResolution {
    std::vector<TensorDecision> tensors;  // in the tensor set's order
    std::vector<std::string> warnings;    // rules that match nothing, fallbacks
    bool needs_calibration = false;       // some decision needs activations (or Hessians)
    bool needs_hessians = false;          // GPTQ or SparseGPT somewhere
};

// Resolves `plan` against the tensors of a model (after any structured pruning:
// `original_types` then gives the base types of matrices the cut turned into F32, so
// "keep" keeps what the base had). Throws naming the rule and tensor when a decision
// cannot be carried out (an N:M pattern that does not divide the rows, Wanda on the
// token embedding, GPTQ into a type it cannot write, ...).
PlanResolution resolve_plan(const CompressionPlan& plan, const TensorSet& tensors, const ModelConfig& config,
                            const std::map<std::string, DType>* original_types = nullptr);

// Whether a tensor is a weight matrix a plan applies to (2-D, "*.weight", not a norm).
bool is_plan_matrix(std::string_view name, size_t n_dims);

// llama.cpp's general.file_type for a model whose matrices have these types: the
// type most of the matrices' weights have (F32 when nothing is quantized).
uint32_t derive_file_type(const std::vector<TensorDecision>& decisions, const TensorSet& tensors);

}  // namespace pareto
