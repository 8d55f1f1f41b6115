#!/usr/bin/env bash
# The numbers behind the compression parameters of frames read at start-up (payload/
# compress.py, HOT_MIN_MATCH): for each set of zstd parameters, what the standard library's
# bytecode and extension modules store, and the instructions (valgrind callgrind, exact)
# that decompressing import-heavy's share of them costs, the way the launcher does it.
#
# Usage: benchmarks/zstd-params.sh [PYTHON]
# Needs gcc, libzstd-dev, valgrind and this pyoxidizer importable as python3 -m pyoxidizer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"
"$python" -I -S -c "import sys; import $heavy_imports; print('\n'.join(sys.modules))" \
  > "$work/modules.txt"
mkdir -p "$work/app/src"
echo "print('hello')" > "$work/app/src/hello_main.py"
exe="$(build_app "$work/app" hello "$python" "$work/app/src" hello_main)"
gcc -O2 -Wall -o "$work/frames" "$here/tools/zstd_frames.c" -l:libzstd.a
mkdir -p "$work/frames-out"
echo "| Kind | Parameters | Standard library stored [MB] | Decompressing import-heavy's [M instructions] |"
echo "|:---|:---|---:|---:|"
python3 "$here/tools/zstd_params.py" "$exe" "$work/modules.txt" "$work/frames-out" |
  while IFS=$'\t' read -r kind variant stored path; do
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/frames" "$path" 2>&1 \
      >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    printf '| %s | %s | %.2f | %.1f |\n' "$kind" "$variant" "$(echo "$stored / 1000000" | bc -l)" \
      "$(echo "$n / 1000000" | bc -l)"
  done
