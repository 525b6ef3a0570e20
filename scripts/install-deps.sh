#!/usr/bin/env bash
# Installs every Debian 12 package Pareto needs to build, test and run.
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libpcre2-dev libssl-dev libeigen3-dev
  libhdf5-dev python3-h5py python3-numpy
  # Sanitizer builds and libFuzzer (scripts/fuzz.sh, scripts/test-sanitizers.sh).
  clang clang-14 libclang-rt-14-dev
  # The workbench (gui/, qml/): Qt 6.4 with Qt Quick, Controls, Dialogs and Charts;
  # the QML modules it imports at run time; the offscreen and X11 platform plugins;
  # Xvfb for running it on a machine without a display.
  qt6-base-dev qt6-declarative-dev qt6-charts-dev qt6-qpa-plugins libgl-dev
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtquick-dialogs
  qml6-module-qtquick-shapes qml6-module-qtqml-workerscript qml6-module-qt-labs-platform
  qml6-module-qtcharts qml6-module-qttest
  fonts-dejavu-core xvfb xauth
)

# With foreign architectures enabled (scripts/install-deps-aarch64.sh) dpkg-query
# prints one line per installed architecture: look for this machine's (or "all").
arch=$(dpkg --print-architecture)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null |
    grep -qE "^install ok installed ($arch|all)\$" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
