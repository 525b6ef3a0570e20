#!/usr/bin/env bash
# Builds everything and runs every test (ctest: GoogleTest suites and the CLI
# end-to-end script). Tests read ../shared, or PARETO_TEST_DATA when set.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${PARETO_JOBS:-$(nproc)}" --timeout 900
