#pragma once
// Structured pruning: whole FFN channels and whole attention heads removed, so the
// matrices really shrink and the model runs faster (unlike unstructured zeros).
//
//   FFN channel j of a layer is row j of ffn_gate and ffn_up and column j of
//   ffn_down. Its score is how much it adds to the layer's output on the
//   calibration text: ||h_j|| * ||W_down[:, j]||, with h_j the channel's activation
//   (the down-projection's input). Without calibration ("magnitude"): the product of
//   the norms of its gate row, up row and down column.
//
//   An attention head is removed with its whole KV group (a KV head and the query
//   heads that share it), so grouped-query attention stays consistent; every layer
//   loses the same number of groups, since GGUF states one head count for all layers.
//   A group's score: sqrt(sum over its output-projection input columns c of
//   ||a_c||^2 * ||W_o[:, c]||^2), a_c the attention output; without calibration the
//   norms of its W_o columns and W_v rows.
//
// The lowest-scoring channels and groups of each layer go; the rest keep their order.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compress/calibration.h"
#include "compress/plan.h"
#include "model/model.h"

namespace pareto {

struct StructuredResult {
    std::unique_ptr<Model> model;                 // the smaller model (shares the base's tokenizer and metadata)
    std::vector<std::vector<int64_t>> kept_channels;  // [n_layer][n_ff']: original FFN channel indices kept
    std::vector<std::vector<int64_t>> kept_groups;    // [n_layer][n_head_kv']: original KV groups kept
    // Shrunk matrices whose type could not be kept (a quantized matrix cut along its
    // rows' blocks becomes F32): their original types, so a plan's "keep" still means
    // the type the base model had.
    std::map<std::string, DType> original_types;
};

// Which inputs the scores need (column sums of squares): the down-projection inputs
// for FFN channels, the attention outputs for heads.
bool structured_needs_input(const StructuredSettings& s, const InputKey& key);

// Removes s.ffn_fraction of each layer's FFN channels (the kept count rounded down to
// a multiple of s.ffn_multiple) and s.head_fraction of its KV groups. `stats` holds
// the calibration sums (required when s.score is Wanda). Throws when a fraction would
// remove nothing or everything.
StructuredResult prune_structured(const Model& base, const StructuredSettings& s, const CalibrationStats* stats);

}  // namespace pareto
