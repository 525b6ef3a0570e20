#!/usr/bin/env bash
# Builds everything and runs every test (ctest: GoogleTest suites and the CLI
# end-to-end script). PARETO_SANITIZERS=1 adds the sanitizer stage
# (scripts/test-sanitizers.sh: parser tests under ASan+UBSan and a short run of every
# fuzz target); it is off by default because its cold clang build does not yet fit
# CI's time budget beside the normal build (docs/reliability.md). Tests read
# ../shared, or PARETO_TEST_DATA when set.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${PARETO_JOBS:-$(nproc)}" --timeout 900
if [[ "${PARETO_SANITIZERS:-0}" != 0 ]]; then
  "$root/scripts/test-sanitizers.sh"
fi
