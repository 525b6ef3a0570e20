#pragma once
// Finding NaN and infinite weights: a model holding them computes NaN logits (the
// Session stops with an error when it does); this names the tensor and element.
#include <cstdint>
#include <optional>
#include <string>

#include "model/tensor_set.h"

namespace pareto {

struct NonFiniteWeight {
    std::string tensor;
    uint64_t index = 0;  // element, in the tensor's row-major order
    float value = 0;     // NaN or +-Inf (after dequantization)
};

// Dequantizes every tensor row by row (any type: block scales included) and returns
// the first non-finite value, or nothing. Reads every weight byte once: on a 1 GB
// model it costs what reading 1 GB does (docs/reliability-hostile.md has numbers).
std::optional<NonFiniteWeight> find_non_finite_weight(const TensorSet& tensors);

}  // namespace pareto
