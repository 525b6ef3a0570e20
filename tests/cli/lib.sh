# Sourced by the pareto-cli end-to-end scripts: the binary, the fixtures, a scratch
# folder, and the check counting every script reports the same way.
set -uo pipefail
cli=${PARETO_CLI:?set PARETO_CLI to the pareto-cli binary}
data=${PARETO_TEST_DATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# require_data FILE...: the fixtures a script needs. Missing ones skip the script on a
# developer's machine and fail it under CI=true, where they are always present.
require_data() {
  local f
  for f in "$@"; do
    if [[ ! -f $f ]]; then
      if [[ ${CI:-} == true ]]; then echo "FAIL: test data missing: $f (CI=true requires it)"; exit 1; fi
      echo "SKIP: test data missing: $f (set PARETO_TEST_DATA)"; exit 0
    fi
  done
}

passed=0 failed=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }
matches() { grep -qE -- "$2" "$1"; }

# The closing line; the script's exit status says whether every check passed.
finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
