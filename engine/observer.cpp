#include "observer.h"

#include <iterator>

namespace pareto {

std::string_view op_kind_name(OpKind kind) {
    static constexpr std::string_view kNames[kOpKindCount] = {
        "embed", "attn_norm", "qkv", "q", "k", "v", "rope", "attention", "o", "ffn_norm",
        "gate_up", "gate", "up", "activation", "down", "output_norm", "lm_head", "sampling"};
    const auto i = static_cast<size_t>(kind);
    return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string_view phase_name(Phase phase) { return phase == Phase::Prefill ? "prefill" : "decode"; }

}  // namespace pareto
