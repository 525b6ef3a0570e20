#!/usr/bin/env bash
# The one command for a fresh Debian 12 machine: install what is needed, build, and
# start the Pareto workbench. Arguments go to `pareto` (see `pareto --help`), e.g.
#   scripts/start.sh                                  first-run screen
#   scripts/start.sh --model ../shared/models/stories260K.gguf --prompt "Once upon a time"
#   scripts/start.sh --kiosk --model MODEL.gguf       full-screen demo loop
# The command-line tool is build/bin/pareto-cli (docs/cli.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
pareto=${PARETO_BUILD_DIR:-$root/build}/bin/pareto
# No display and no platform chosen: say how to run without one instead of failing
# inside Qt (screenshots choose the offscreen platform by themselves).
if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} && -z ${QT_QPA_PLATFORM:-} && " $* " != *" --screenshot "* ]]; then
  echo "start: no display. Run it under Xvfb (xvfb-run -a $pareto ...), on a board's framebuffer" >&2
  echo "       (QT_QPA_PLATFORM=linuxfb, docs/kiosk.md), or headless with --screenshot OUT.png." >&2
  exit 1
fi
exec "$pareto" "$@"
