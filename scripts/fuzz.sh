#!/usr/bin/env bash
# Fuzzes Pareto's parsers with libFuzzer (docs/reliability.md).
#
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [TARGET...]
#
# Configures a clang ASan+UBSan build with the fuzz targets in build-fuzz (or
# PARETO_FUZZ_BUILD_DIR), builds only the fuzzers and the seed maker, makes the seed
# corpus from the shared fixtures (PARETO_TEST_DATA, default ../shared) and runs each
# target for SECONDS (default 60), one after another, with its corpus growing in
# build-fuzz/fuzz-corpus/<target>. Fails on the first crash, leak, timeout or
# out-of-memory; libFuzzer writes the input to build-fuzz/fuzz-findings/<target>/.
# Targets: gguf safetensors tokenizer_json vocab_merges plan trace chat_template
# (default: all). A finding, once fixed, goes into tests/fuzz/regressions/<target>/,
# which ctest replays in every build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_FUZZ_BUILD_DIR:-$root/build-fuzz}
all_targets=(gguf safetensors tokenizer_json vocab_merges plan trace chat_template)
seconds=60
jobs=${PARETO_JOBS:-$(nproc)}
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *)
      if [[ ! " ${all_targets[*]} " == *" $1 "* ]]; then
        echo "fuzz.sh: unknown target '$1' (targets: ${all_targets[*]})" >&2; exit 2
      fi
      targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
# RelWithDebInfo has -g, for which ccache hashes the build folder unless told not to:
# without this a checkout in another folder (CI) would miss the cache.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DPARETO_SANITIZE=address,undefined -DPARETO_BUILD_FUZZERS=ON \
    -DPARETO_BUILD_GUI=OFF -DPARETO_BUILD_BENCHMARKS=OFF
fi
cmake --build "$build" -j "$jobs" --target make_seeds "${targets[@]/#/fuzz_}"

seeds=$build/fuzz-seeds
rm -rf "$seeds"
"$build/bin/make_seeds" "$seeds"

# Leaks are findings too (detect_leaks); a report of any sanitizer ends the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Third-party reports only (libhdf5 on damaged files): see the files.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp}
# One input running longer than this is a hang. Generous: on a loaded 2-core machine
# a slow HDF5 input can take seconds. The trace target stops its isolated reader
# after 10 s, the product's verdict on a file that hangs libhdf5, and libFuzzer runs
# an input twice when it checks it for leaks: 20 s for such a file is the expected
# answer, so that target's limit is 60 s.
timeout=${PARETO_FUZZ_TIMEOUT:-25}
trace_timeout=${PARETO_FUZZ_TRACE_TIMEOUT:-60}
status=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t
  findings=$build/fuzz-findings/$t
  mkdir -p "$corpus" "$findings"
  regressions=()
  [[ -d "$root/tests/fuzz/regressions/$t" ]] && regressions=("$root/tests/fuzz/regressions/$t")
  echo "== fuzz_$t: ${seconds}s"
  # -rss_limit_mb: a parser must not let a small file make it allocate gigabytes.
  rc=0
  limit=$timeout
  [[ $t == trace ]] && limit=$trace_timeout
  "$build/bin/fuzz_$t" -max_total_time="$seconds" -timeout="$limit" -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$seeds/$t" "${regressions[@]}" > "$build/fuzz-$t.log" 2>&1 || rc=$?
  grep -E '^(INFO: seed corpus|Done |stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))|^==[0-9]+==ERROR|^SUMMARY' \
    "$build/fuzz-$t.log" || true
  if [[ $rc -ne 0 ]]; then
    echo "fuzz.sh: fuzz_$t FAILED with status $rc (log: $build/fuzz-$t.log; input in $findings/)" >&2
    status=1
    break
  fi
done
exit $status
