# Cross-compiling Pareto for 64-bit Arm Linux on a Debian amd64 host with Debian's
# cross compiler (g++-aarch64-linux-gnu) and the arm64 builds of the libraries
# installed through multiarch (libgtest-dev:arm64, libpcre2-dev:arm64, under
# /usr/lib/aarch64-linux-gnu). scripts/install-deps-aarch64.sh installs all of it;
# docs/aarch64.md explains the choices.
#
#   cmake -S . -B build-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake
#
# PARETO_AARCH64_TRIPLE overrides the tool prefix (e.g. for a cross toolchain of
# another vendor installed under a different name).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT PARETO_AARCH64_TRIPLE)
  set(PARETO_AARCH64_TRIPLE aarch64-linux-gnu)
endif()
set(CMAKE_C_COMPILER ${PARETO_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${PARETO_AARCH64_TRIPLE}-g++)
# The multiarch directory name: find_library/find_package look in
# /usr/lib/aarch64-linux-gnu (and its cmake/ folder) and not in the host's
# /usr/lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${PARETO_AARCH64_TRIPLE})

# Debian's cross compiler uses the real root as its sysroot and knows the multiarch
# paths, so no --sysroot: libraries and headers are searched in the target's
# directories below / (and in /usr/aarch64-linux-gnu, the cross libc), programs
# on the host.
set(CMAKE_FIND_ROOT_PATH /usr/${PARETO_AARCH64_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (PCRE2) must read the arm64 .pc files, never the host's; the
# architecture-independent ones in /usr/share/pkgconfig stay visible.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${PARETO_AARCH64_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# try_run, gtest_discover_tests (which lists each test program's tests by running it)
# and ctest run target programs through qemu-user when it is there. They use the
# multiarch arm64 runtime (/lib/ld-linux-aarch64.so.1, libc6:arm64, libstdc++6:arm64),
# so the prefix is / — not /usr/aarch64-linux-gnu, whose ld.so is another glibc build
# than the multiarch libc.so.6 it would load (docs/aarch64.md).
find_program(PARETO_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(PARETO_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PARETO_QEMU_AARCH64} -L /)
endif()
