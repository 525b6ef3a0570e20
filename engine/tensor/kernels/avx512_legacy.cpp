// Being written: registers no kernels yet. Built twice: plain AVX-512 and with VNNI.
#include "tensor/kernels.h"

namespace pareto {
#if PARETO_VNNI
void kernel_registry::avx512vnni_legacy(KernelTable&) {}
#else
void kernel_registry::avx512_legacy(KernelTable&) {}
#endif
}  // namespace pareto
