// Being written: registers no kernels yet, so the scalar entries stay in force.
// Built twice (PARETO_DOTPROD=0 and 1, see neon_common.h).
#include "tensor/kernels.h"
#include "tensor/kernels/neon_common.h"

namespace pareto {
#if PARETO_DOTPROD
void kernel_registry::neon_dotprod_legacy(KernelTable&) {}
#else
void kernel_registry::neon_legacy(KernelTable& t) {
    if (neon::has_dotprod()) neon_dotprod_legacy(t);
}
#endif
}  // namespace pareto
