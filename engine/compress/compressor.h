#pragma once
// Applies a CompressionPlan to a model and returns the compressed model, in memory
// (it runs in Pareto at once; compress/export.h writes it as GGUF).
//
// Order of work:
//   1. structured pruning (heads, FFN channels), scored on calibration activations of
//      the base model;
//   2. the plan resolved against the smaller model's tensors (compress/plan.h);
//   3. per weight matrix: unstructured / N:M pruning, then quantization (RTN,
//      importance-weighted RTN, or GPTQ; pruned weights stay zero).
// Calibration statistics are gathered only for the inputs some step needs. In
// sequential mode (the default) layer l is calibrated on the model whose layers
// before l are already compressed, so each layer compensates for the error of the
// ones before it; otherwise every layer is calibrated on the uncompressed model, in
// as few passes as the Hessians' memory budget allows.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compress/calibration.h"
#include "compress/plan.h"
#include "model/model.h"

namespace pareto {

struct CompressProgress {
    std::string_view stage;   // "structured", "calibrate", "compress"
    int64_t done = 0;         // steps of this stage done ...
    int64_t total = 0;        // ... of this many
    std::string_view detail;  // the tensor or layer being worked on
};
// Return false to cancel: compress_model then throws pareto::Cancelled.
using CompressProgressFn = std::function<bool(const CompressProgress&)>;

struct CompressOptions {
    int n_threads = 0;  // 0: one per hardware thread
    CompressProgressFn progress;
    // Hessians kept at once when not sequential (bytes); more layers need more passes.
    size_t hessian_budget = size_t{1} << 30;
    // Statistics of the base model's inputs gathered beforehand (by a caller that
    // compresses many variants of one model, like the sensitivity scan): used instead
    // of calibrating, as if the plan were not sequential. Only for plans without
    // structured pruning (whose inputs would differ); must hold every input needed.
    const CalibrationStats* precomputed = nullptr;
};

struct TensorReport {
    std::string name;
    DType from = DType::F32, to = DType::F32;
    std::string how;          // "copied", "rtn", "rtn+importance", "gptq", prefixed by pruning ("wanda 50% + gptq")
    double sparsity = 0;      // fraction of zero weights after pruning (0 when not pruned)
    size_t bytes_before = 0;  // in the base model (after structured pruning: of the cut matrix)
    size_t bytes_after = 0;
    double output_error = -1; // relative output error on the calibration inputs, when a Hessian was at hand
};

struct CompressResult {
    std::unique_ptr<Model> model;        // shares the base's tokenizer and GGUF metadata
    uint32_t file_type = 0;              // general.file_type for export
    std::vector<TensorReport> tensors;   // every weight matrix
    std::vector<std::string> warnings;   // fallbacks, rules that matched nothing, ...
    std::map<std::string, DType> original_types;  // structured: matrices cut to F32 and their base types
    int64_t calibration_passes = 0;
    int64_t calibration_tokens = 0;      // tokens per pass
    size_t bytes_before = 0, bytes_after = 0;  // all tensors
};

// Throws pareto::Error for a plan the model cannot take (naming the rule), a missing
// calibration text when one is needed, or pareto::Cancelled.
CompressResult compress_model(const Model& base, const CompressionPlan& plan, const CompressOptions& options = {});

}  // namespace pareto
