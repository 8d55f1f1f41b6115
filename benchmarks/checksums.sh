#!/usr/bin/env bash
# Checksum throughput behind payload format 2's choice of CRC-32 with PCLMULQDQ folding:
# best of many runs over numpy's size (44 MB), import-heavy's bytecode (4.9 MB) and one
# module (16 kB). Usage: benchmarks/checksums.sh   (needs gcc, zlib1g-dev and pyoxidizer installed)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
launcher="$here/../src/pyoxidizer/launcher"
# checksum.c includes launcher.h: Python's headers and the generated format header.
python3 -c 'from pyoxidizer.payload.format import c_header; print(c_header())' \
  > "$work/pyoxidizer_format.h"
include="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
gcc -O2 -Wall -DPYOX_NO_ZSTD -isystem "$include" -I "$work" -I "$launcher" \
  -o "$work/checksums" "$here/tools/checksums.c" "$launcher/checksum.c" -lz
echo "| Checksum | Bytes | Best time | Throughput |"
echo "|:---|---:|---:|---:|"
"$work/checksums" 44000000 15
"$work/checksums" 4890000 40
"$work/checksums" 16000 2000
