#!/usr/bin/env bash
# The one command for a fresh Debian 12 machine: install what is needed, build,
# and run Pareto. Arguments go to `pareto-cli run` (e.g. -m MODEL.gguf -p "text").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec "${PARETO_BUILD_DIR:-$root/build}/bin/pareto-cli" run "$@"
