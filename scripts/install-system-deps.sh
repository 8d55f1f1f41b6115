#!/usr/bin/env bash
# Installs the system tools pyoxidizer and its tests use, when missing (Debian/Ubuntu).
# gcc links the launcher; strace and unshare (util-linux) are used by the tests;
# hyperfine runs the benchmarks.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v strace >/dev/null || need+=(strace)
command -v unshare >/dev/null || need+=(util-linux)
if [ "${1:-}" = "--bench" ]; then command -v hyperfine >/dev/null || need+=(hyperfine); fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
