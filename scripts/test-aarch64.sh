#!/usr/bin/env bash
# Cross-builds Pareto for aarch64 (build-aarch64/) and runs its GoogleTest programs
# and the pareto-cli end-to-end script under qemu-user, on every kernel path:
#   scalar      PARETO_SIMD=scalar
#   neon        PARETO_SIMD=neon, emulated CPU "max" (has SDOT: the dotprod kernels)
#   neon-v8.0   PARETO_SIMD=neon, emulated Cortex-A72 (ARMv8.0, no SDOT: the plain
#               NEON kernels, and any stray ARMv8.2 instruction would trap)
# See docs/aarch64.md. Usage:
#   scripts/test-aarch64.sh [--full] [--no-install] [--build-only] [--filter REGEX]
#     --full        every program on every path (default: the subset, see
#                   "what runs where" below and docs/aarch64.md)
#     --no-install  do not check the Debian packages
#     --build-only  cross-build and stop
#     --filter RE   run only the programs whose name matches RE (grep -E)
# Environment: PARETO_TEST_DATA (default ../shared), PARETO_AARCH64_BUILD_DIR
# (default build-aarch64), PARETO_JOBS (parallel builds and runs, default 2),
# PARETO_WERROR (default ON: the cross build must be free of warnings),
# PARETO_AARCH64_TIMEOUT (seconds per run; default 1800, with --full 14400).
# Exits non-zero when the build or any run fails; the last line reads
# "aarch64: N passed, N failed" (GoogleTest cases and CLI checks, all runs).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_AARCH64_BUILD_DIR:-$root/build-aarch64}
jobs=${PARETO_JOBS:-2}
full=0 install=1 build_only=0 filter=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --full) full=1 ;;
    --no-install) install=0 ;;
    --build-only) build_only=1 ;;
    --filter) filter=${2:?--filter needs a regex}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-aarch64: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
export PARETO_TEST_DATA=${PARETO_TEST_DATA:-$(cd "$root/.." && pwd)/shared}
run_timeout=${PARETO_AARCH64_TIMEOUT:-$([[ $full -eq 1 ]] && echo 14400 || echo 1800)}
start=$SECONDS

# --- install and build ---------------------------------------------------------------
[[ $install -eq 1 ]] && "$root/scripts/install-deps-aarch64.sh"
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
[[ -n $qemu ]] || { echo "test-aarch64: qemu-aarch64 not found (run scripts/install-deps-aarch64.sh)" >&2; exit 1; }
# The arm64 runtime is Debian's multiarch one (libc6:arm64, libstdc++6:arm64), found
# at its usual paths: prefix / (see docs/aarch64.md for why not /usr/aarch64-linux-gnu).
qemu_prefix=/

if [[ ! -f $build/build.ninja ]]; then
  # Only the engine and its tests: no profiler, pareto-cli or GUI (Debian's arm64 HDF5
  # development package cannot be installed beside the amd64 one), no benchmarks.
  cmake -S "$root" -B "$build" -G Ninja --no-warn-unused-cli \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-aarch64-linux-gnu.cmake" \
    -DPARETO_WERROR="${PARETO_WERROR:-ON}" \
    -DPARETO_BUILD_TESTS=ON -DPARETO_BUILD_BENCHMARKS=OFF -DPARETO_BUILD_GUI=OFF \
    -DPARETO_BUILD_PROFILER=OFF
fi
# Every test program (bin/test_*) and pareto-cli, and nothing else.
mapfile -t targets < <(ninja -C "$build" -t targets all | grep -oE '^bin/(test_[A-Za-z0-9_]+|pareto-cli)(:|$)' |
                       sed -E 's|^bin/||; s|:$||' | sort -u)
[[ ${#targets[@]} -gt 0 ]] || { echo "test-aarch64: no test targets in $build" >&2; exit 1; }
build_start=$SECONDS
# -k 0: one program that does not compile does not keep the others from running.
build_rc=0
cmake --build "$build" -j "$jobs" --target "${targets[@]}" -- -k 0 2>&1 | tee "$build/last-build.log" ||
  build_rc=$?  # pipefail: cmake's status
unbuilt=()
if [[ $build_rc -ne 0 ]]; then
  # Ninja's "FAILED: <output>" lines name the targets: CMakeFiles/<target>.dir/... or
  # bin/<program>. A failed library (or anything else) takes every program with it.
  mapfile -t failed_targets < <(sed -nE 's/^FAILED: //p' "$build/last-build.log" | tr ' ' '\n' |
    sed -nE 's|.*CMakeFiles/([^/]+)\.dir/.*|\1|p; s|^bin/([^/]+)$|\1|p' | sort -u)
  for t in "${targets[@]}"; do
    for f in "${failed_targets[@]}"; do
      if [[ $f == "$t" || ! $f =~ ^(test_.*|pareto-cli)$ ]]; then unbuilt+=("$t"); break; fi
    done
  done
  [[ ${#failed_targets[@]} -eq 0 ]] && unbuilt=("${targets[@]}")
  echo "test-aarch64: BUILD FAILED for: ${unbuilt[*]}" >&2
fi
echo "test-aarch64: cross-build done in $((SECONDS - build_start)) s"
if [[ $build_only -eq 1 ]]; then exit "$build_rc"; fi
[[ $build_rc -ne 0 && ${#unbuilt[@]} -eq 0 ]] && exit "$build_rc"
is_unbuilt() { local u; for u in "${unbuilt[@]}"; do [[ $u == "$1" ]] && return 0; done; return 1; }

# --- what runs where ---------------------------------------------------------------------
# --full: every program and the CLI script on every path. The default (the subset,
# docs/aarch64.md):
#   neon       every program except test_perplexity, and the CLI script;
#   neon-v8.0  the kernel suites and test_model (the SDOT-less integer kernels);
#   scalar     test_model (the kernel suites compare every level with scalar whatever
#              PARETO_SIMD says, so they would only repeat themselves).
# test_perplexity evaluates whole texts (about two million tokens in all) and takes
# one and a half to two hours under qemu; the CLI script's short perplexity run and
# test_model's golden text and logits cover the same code on the emulator.
subset_other_paths='^test_(kernels_.*|model)$'
subset_scalar='^test_model$'
subset_skip='^test_perplexity$'

runs=()  # "program|variant"
for t in "${targets[@]}"; do
  [[ $t == pareto-cli ]] && continue
  [[ -n $filter && ! $t =~ $filter ]] && continue
  is_unbuilt "$t" && continue
  if [[ $full -eq 1 ]]; then
    runs+=("$t|neon" "$t|neon-v8.0" "$t|scalar")
  elif [[ ! $t =~ $subset_skip ]]; then
    runs+=("$t|neon")
    [[ $t =~ $subset_other_paths ]] && runs+=("$t|neon-v8.0")
    [[ $t =~ $subset_scalar ]] && runs+=("$t|scalar")
  fi
done
if [[ " ${targets[*]} " == *" pareto-cli "* ]] && [[ -z $filter || pareto-cli =~ $filter ]] && ! is_unbuilt pareto-cli; then
  runs+=("cli_end_to_end|neon")
  [[ $full -eq 1 ]] && runs+=("cli_end_to_end|neon-v8.0" "cli_end_to_end|scalar")
fi
# The guard that SIMD objects share no inline code with baseline callers (nm on
# the NEON kernel objects, both builds), when the tree has it.
isa_check=$root/tests/build/check_isa_objects.sh
if [[ -f $isa_check && -z $filter ]]; then
  mapfile -t isa_objs < <(find "$build/engine/CMakeFiles" -path '*pareto_kernels_neon*' -name '*.o' | sort)
  [[ ${#isa_objs[@]} -gt 0 ]] && runs+=("isa_objects|host")
fi
# Longest first, so two parallel runs finish close together.
order='^(test_perplexity|test_kernels_legacy|test_synth|test_kernels_kquants)\|'
mapfile -t runs < <(printf '%s\n' "${runs[@]}" | grep -E "$order" || true
                    printf '%s\n' "${runs[@]}" | grep -vE "$order|^$" || true)
[[ ${#runs[@]} -gt 0 ]] || { echo "test-aarch64: nothing to run" >&2; exit 1; }

logs=$build/test-logs
rm -rf "$logs" && mkdir -p "$logs"

variant_env() {  # variant -> "LEVEL CPU"
  case $1 in
    scalar) echo "scalar max" ;;
    neon) echo "neon max" ;;
    neon-v8.0) echo "neon cortex-a72" ;;
    *) echo "- -" ;;
  esac
}

run_one() {  # program variant: writes $logs/program.variant.{log,rc,time}
  local prog=$1 variant=$2 level cpu t0 rc=0
  read -r level cpu < <(variant_env "$variant")
  local base=$logs/$prog.$variant
  t0=$(date +%s.%N)
  if [[ $prog == isa_objects ]]; then
    bash "$isa_check" "${isa_objs[@]}" >"$base.log" 2>&1 || rc=$?
  elif [[ $prog == cli_end_to_end ]]; then
    local wrapper=$logs/pareto-cli.$variant
    printf '#!/bin/sh\nexec "%s" -cpu %s -L %s "%s" "$@"\n' "$qemu" "$cpu" "$qemu_prefix" "$build/bin/pareto-cli" >"$wrapper"
    chmod +x "$wrapper"
    PARETO_SIMD=$level PARETO_CLI=$wrapper timeout --foreground -k 10 "$run_timeout" bash "$root/tests/cli/test_cli.sh" \
      >"$base.log" 2>&1 || rc=$?
  else
    PARETO_SIMD=$level timeout --foreground -k 10 "$run_timeout" "$qemu" -cpu "$cpu" -L "$qemu_prefix" "$build/bin/$prog" \
      --gtest_color=no >"$base.log" 2>&1 || rc=$?
  fi
  echo "$rc" >"$base.rc"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }' >"$base.time"
}

# Interrupted: stop the runs (each is a subshell running timeout, running qemu).
cleanup() {
  local p
  for p in $(jobs -p); do
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
}
trap 'cleanup; exit 130' INT TERM

echo "test-aarch64: ${#runs[@]} runs under $qemu, $jobs at a time (PARETO_TEST_DATA=$PARETO_TEST_DATA)"
run_start=$SECONDS
active=0
for r in "${runs[@]}"; do
  if [[ $active -ge $jobs ]]; then
    wait -n || true
    active=$((active - 1))
  fi
  run_one "${r%%|*}" "${r##*|}" &
  active=$((active + 1))
done
wait || true

# --- summary ----------------------------------------------------------------------------
passed=0 failed=0 skipped=0 bad_runs=()
printf '\n%-24s %-10s %8s %7s %7s %7s  %s\n' program variant seconds passed failed skipped result
for r in "${runs[@]}"; do
  prog=${r%%|*} variant=${r##*|} base=$logs/${r%%|*}.${r##*|}
  rc=$(cat "$base.rc" 2>/dev/null || echo 99)
  if [[ $prog == cli_end_to_end || $prog == isa_objects ]]; then
    p=$(grep -c '^ok ' "$base.log" || true)
    f=$(grep -c '^FAIL' "$base.log" || true)
    s=$(grep -c '^SKIP' "$base.log" || true)
  else
    p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?.*/\1/p' "$base.log" | tail -n1)
    f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) tests?, listed below.*/\1/p' "$base.log" | tail -n1)
    s=$(sed -nE 's/^\[  SKIPPED \] ([0-9]+) tests?, listed below.*/\1/p' "$base.log" | tail -n1)
  fi
  p=${p:-0} f=${f:-0} s=${s:-0}
  # A crash or timeout leaves no count: the run counts as one failure.
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  result=ok
  if [[ $rc -ne 0 ]]; then
    result="FAIL (exit $rc)"
    [[ $rc -eq 124 ]] && result="FAIL (timeout)"
    bad_runs+=("$base.log")
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  printf '%-24s %-10s %8s %7s %7s %7s  %s\n' "$prog" "$variant" "$(cat "$base.time" 2>/dev/null)" "$p" "$f" "$s" "$result"
done

for t in "${unbuilt[@]}"; do
  printf '%-24s %-10s %8s %7s %7s %7s  %s\n' "$t" - - 0 1 0 "BUILD FAILED"
  failed=$((failed + 1))
done

for log in "${bad_runs[@]}"; do
  echo
  echo "=== $log (failures)"
  grep -E '^\[  FAILED  \]|Failure|^FAIL|error|terminate|Segmentation|Illegal' "$log" | head -40 || tail -n 30 "$log"
done
echo
echo "test-aarch64: runs took $((SECONDS - run_start)) s, everything $((SECONDS - start)) s; logs in $logs"
echo "aarch64: $passed passed, $failed failed, $skipped skipped"
[[ ${#bad_runs[@]} -eq 0 && $build_rc -eq 0 ]]
