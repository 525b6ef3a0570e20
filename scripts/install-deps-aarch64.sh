#!/usr/bin/env bash
# Installs what cross-building Pareto for aarch64 and running its tests under
# qemu-user needs, on a Debian 12 amd64 host (see docs/aarch64.md):
#   - the host build tools and the header-only libraries (architecture-independent:
#     nlohmann-json, CLI11, Eigen), as scripts/install-deps.sh has them;
#   - Debian's cross compiler (g++-aarch64-linux-gnu, GCC 12 like the native one)
#     and qemu-user (qemu-aarch64, no binfmt registration needed);
#   - the arm64 builds of the compiled dependencies through Debian multiarch
#     (dpkg --add-architecture arm64): libgtest-dev:arm64, libpcre2-dev:arm64, and
#     the arm64 C++ runtime (libstdc++6:arm64; libc6:arm64 comes with PCRE2), which
#     the tests run on under qemu. Not the cross toolchain's own runtime in
#     /usr/aarch64-linux-gnu: mixing its ld.so with the multiarch libc.so.6 (another
#     glibc build) hangs the first pthread_create.
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

# Names without an architecture are host (amd64) or architecture-independent packages.
packages=(
  cmake ninja-build ccache pkg-config nlohmann-json3-dev libcli11-dev libeigen3-dev
  g++-aarch64-linux-gnu qemu-user
  libgtest-dev:arm64 libpcre2-dev:arm64 libstdc++6:arm64
)
host_arch=$(dpkg --print-architecture)

# True when package $1 (optionally name:arch) is installed for that architecture, for
# the host's, or as an "all" package. A plain `dpkg-query -W -f='${Status}' NAME`
# prints one status per installed architecture once arm64 is enabled.
installed() {
  local name=${1%%:*} arch=$host_arch
  [[ $1 == *:* ]] && arch=${1##*:}
  dpkg-query -W -f='${Status} ${Architecture}\n' "$name" 2>/dev/null |
    grep -Eq "^install ok installed ($arch|all)\$"
}

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps-aarch64: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

need_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arch=1

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [[ $need_arch -eq 0 && ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $need_arch -eq 1 ]]; then
  echo "install-deps-aarch64: enabling the arm64 architecture (dpkg multiarch)" >&2
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
fi
echo "install-deps-aarch64: installing ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
# Multi-Arch: same packages must have the same version for every architecture, so
# apt may upgrade the amd64 twin of an arm64 library (e.g. libpcre2-8-0) as well.
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
