#include "model/weight_check.h"

#include <vector>

#include "tensor/dtype.h"
#include "tensor/ops.h"

namespace pareto {

std::optional<NonFiniteWeight> find_non_finite_weight(const TensorSet& tensors) {
    std::vector<float> row;
    for (const GgufTensor& t : tensors.tensors()) {
        const uint64_t cols = t.dim(0);
        if (cols == 0 || t.n_elements == 0) continue;
        const uint64_t rows = t.n_elements / cols;
        const auto row_bytes = dtype_row_bytes(t.type, cols);
        if (!row_bytes) continue;  // a type the loader would refuse anyway
        row.resize(cols);
        for (uint64_t r = 0; r < rows; ++r) {
            dequantize_row(t.type, t.data + r * *row_bytes, row.data(), static_cast<int64_t>(cols));
            if (const size_t bad = first_non_finite(row.data(), cols); bad != kAllFinite)
                return NonFiniteWeight{t.name, r * cols + bad, row[bad]};
        }
    }
    return std::nullopt;
}

}  // namespace pareto
