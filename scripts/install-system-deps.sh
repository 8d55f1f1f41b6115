#!/usr/bin/env bash
# Installs the system tools pyoxidizer and its tests use, when missing (Debian/Ubuntu).
# gcc links the launcher (binutils' nm and objcopy prepare allocator libraries);
# libjemalloc-dev provides the static jemalloc for raw_allocator = "jemalloc"; libzstd-dev
# the static zstd the launcher decompresses the payload with (libzstd.a, zstd.h); strace,
# unshare (util-linux) and tmux (the REPL test) are used by the tests; hyperfine and
# /usr/bin/time run the benchmarks.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v strace >/dev/null || need+=(strace)
command -v unshare >/dev/null || need+=(util-linux)
command -v objcopy >/dev/null || need+=(binutils)
command -v tmux >/dev/null || need+=(tmux)
dpkg -s libjemalloc-dev >/dev/null 2>&1 || need+=(libjemalloc-dev)
# python-distribution-build: make and perl drive the library builds (OpenSSL's Configure needs
# full perl), tclsh generates sqlite's amalgamation, file checks the musl build is static.
command -v make >/dev/null || need+=(make)
dpkg -s perl >/dev/null 2>&1 || need+=(perl)
command -v tclsh >/dev/null || need+=(tcl)
command -v file >/dev/null || need+=(file)
dpkg -s libzstd-dev >/dev/null 2>&1 || need+=(libzstd-dev)
if [ "${1:-}" = "--bench" ]; then
  command -v hyperfine >/dev/null || need+=(hyperfine)
  [ -x /usr/bin/time ] || need+=(time)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
