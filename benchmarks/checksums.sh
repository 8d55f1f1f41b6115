#!/usr/bin/env bash
# Checksum throughput behind payload format 2's choice of CRC-32 with PCLMULQDQ folding:
# best of many runs over numpy's size (44 MB), import-heavy's bytecode (4.9 MB) and one
# module (16 kB). Usage: benchmarks/checksums.sh   (needs gcc and zlib1g-dev)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -o "$work/checksums" "$here/tools/checksums.c" -lz
echo "| Checksum | Bytes | Best time | Throughput |"
echo "|:---|---:|---:|---:|"
"$work/checksums" 44000000 15
"$work/checksums" 4890000 40
"$work/checksums" 16000 2000
