// Being written: registers no kernels yet. Built twice: plain AVX-512 and with VNNI.
#include "tensor/kernels.h"

namespace pareto {
#if PARETO_VNNI
void kernel_registry::avx512vnni_kquants(KernelTable&) {}
#else
void kernel_registry::avx512_kquants(KernelTable&) {}
#endif
}  // namespace pareto
