#!/usr/bin/env bash
# CI's sanitizer stage (scripts/test.sh runs it after the normal suite): the parsers'
# GoogleTest suites under AddressSanitizer + UndefinedBehaviorSanitizer, then every
# fuzz target for a short run (PARETO_FUZZ_SECONDS, default 10). Uses the clang build
# scripts/fuzz.sh configures (build-fuzz; only the targets needed, no GUI), so the
# ccache entries are shared with local fuzzing. The full sanitized suite and
# ThreadSanitizer are longer: docs/reliability.md gives their commands.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${PARETO_JOBS:-$(nproc)}
seconds=${PARETO_FUZZ_SECONDS:-10}
parser_tests=(test_gguf test_safetensors test_tokenizer test_hf_tokenizer test_chat_template
              test_compress_units test_trace_store)
start=$(date +%s)

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
# RelWithDebInfo has -g, for which ccache hashes the build folder unless told not to:
# without this a checkout in another folder (CI) would miss the cache.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DPARETO_SANITIZE=address,undefined -DPARETO_BUILD_FUZZERS=ON \
    -DPARETO_BUILD_GUI=OFF -DPARETO_BUILD_BENCHMARKS=OFF
fi
cmake --build "$build" -j "$jobs" --target "${parser_tests[@]}"
echo "sanitizers: parser tests built after $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp}
for t in "${parser_tests[@]}"; do
  echo "== $t (ASan+UBSan)"
  "$build/bin/$t" --gtest_brief=1
done
echo "sanitizers: parser tests passed after $(( $(date +%s) - start )) s"

# fuzz_trace included: libhdf5's crashes on damaged files end a child process and are
# refused (docs/reliability.md, "Process isolation of the trace reader").
"$root/scripts/fuzz.sh" --time "$seconds" --jobs "$jobs"
echo "sanitizers: stage done in $(( $(date +%s) - start )) s"
