#!/usr/bin/env bash
# Builds everything and runs every test: ctest (GoogleTest suites, Qt tests and the
# CLI end-to-end scripts), then the sanitizer stage (scripts/test-sanitizers.sh: the
# parser suites under ASan+UBSan and a short run of every fuzz target, in a clang
# build in build-fuzz). CI runs exactly this (.ci/run). PARETO_SANITIZERS=0 skips the
# sanitizer stage. Tests read ../shared, or PARETO_TEST_DATA when set.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${PARETO_JOBS:-$(nproc)}" --timeout 900
if [[ "${PARETO_SANITIZERS:-1}" != 0 ]]; then
  "$root/scripts/test-sanitizers.sh"
fi
