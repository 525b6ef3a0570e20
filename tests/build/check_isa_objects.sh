#!/usr/bin/env bash
# The SIMD kernel objects are compiled with instruction sets the CPU may lack and are
# only entered after a CPUID check. An inline function or template they emit as a
# weak (COMDAT) symbol could be picked by the linker for every caller, so baseline
# code would run AVX-512 instructions on a CPU without them. They must therefore
# define no weak or unique-global symbols: keep their code in anonymous namespaces
# and avoid out-of-line library templates.
set -uo pipefail
status=0
for obj in "$@"; do
  # Type information objects are data, the same whatever the instruction set: clang's
  # -fsanitize=function (part of UBSan) emits them weak for every function type.
  shared=$(nm -C --defined-only "$obj" | grep -E ' [WVu] ' | grep -Ev ' V typeinfo (name )?for ' || true)
  if [[ -n $shared ]]; then
    echo "FAIL $obj defines shared (weak) symbols:"
    echo "$shared" | sed 's/^/    /'
    status=1
  else
    echo "ok   $(basename "$obj")"
  fi
done
exit $status
