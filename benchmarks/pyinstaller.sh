#!/usr/bin/env bash
# Peer comparison: hello, import-heavy and pyflakes on a 2-line file as PyInstaller
# --onefile executables vs pyoxidizer release executables (default compression) vs
# `python -I -S` of the same interpreter, side by side: one hyperfine run per app with all
# three in it, sizes, peak RSS (median and minimum of 9 runs of /usr/bin/time -f %M) and
# build times (pyoxidizer's with an empty cache for hello, then cached).
#
# A --onefile executable is two processes: a bootloader that unpacks the app into a
# temporary directory, and the python it starts there. /usr/bin/time reports the larger
# of the two peaks (the rusage of wait4 covers the waited-for child), not their sum.
#
# With INSTRUCTIONS=1, also the instructions each runs in user space (valgrind callgrind,
# exact and independent of the machine's load), summed over all processes (--trace-children:
# PyInstaller's bootloader and the python it starts).
#
# Usage: [PYOXIDIZER="cmd"] [INSTRUCTIONS=1] benchmarks/pyinstaller.sh [PYTHON]
# Needs hyperfine, /usr/bin/time, valgrind (INSTRUCTIONS=1) and PyPI (pyinstaller, pyflakes).
# Results: benchmarks/results/peer-*.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
out="$here/results"
mkdir -p "$out"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q pyinstaller pyflakes
"$python" -m pip install -q --target "$work/site" pyflakes
"$work/venv/bin/pip" list 2>/dev/null | grep -iE '^(pyinstaller|pyflakes) ' | sed 's/^/using /'
printf 'import os\nprint(os.sep)\n' > "$work/two_lines.py"  # no warning: exit status 0
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"
export PYOXIDIZER_CACHE_DIR="$work/cache"
export PYOXIDIZER="${PYOXIDIZER:-python3 -m pyoxidizer}"

counts="$out/peer-instructions.md"
printf '| App | Variant | Instructions [M] |\n|:---|:---|---:|\n' > "$counts"
count() {  # app variant command...: one row of $counts
  local app="$1" variant="$2"
  shift 2
  [ -n "${INSTRUCTIONS:-}" ] || return 0
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null "$@" 2>&1 \
    >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' \
    | awk -v a="$app" -v v="$variant" '{ s += $1 } END { printf "| %s | %s | %.2f |\n", a, v, s / 1e6 }' \
    >> "$counts"
}
sizes="$out/peer-sizes.md"
printf '| App | Variant | Size [MB] | Peak RSS [MB], median of 9 | min | Build [s] |\n' > "$sizes"
printf '|:---|:---|---:|---:|---:|---:|\n' >> "$sizes"
mb() { echo "$1 / 1000000" | bc -l; }
row() {  # app variant size_bytes build_seconds command...
  local app="$1" variant="$2" size="$3" built="$4"
  shift 4
  read -r rss low <<< "$(rss_median 9 "$@")"
  printf '| %s | %s | %s | %.1f | %.1f | %s |\n' "$app" "$variant" \
    "$([ -n "$size" ] && printf '%.1f' "$(mb "$size")")" \
    "$(echo "$rss / 1000" | bc -l)" "$(echo "$low / 1000" | bc -l)" "$built" >> "$sizes"
}
seconds() { echo "($(date +%s%N) - $1) / 1000000000" | bc -l | xargs printf '%.2f'; }

for app in hello heavy pyflakes; do
  mkdir -p "$work/$app/src"
  args=()
  rules=""
  case "$app" in
    hello) code="print('hello')" ;;
    heavy) code="import $heavy_imports; print('imported')" ;;
    pyflakes)
      code="from pyflakes.api import main; main()"
      args=("$work/two_lines.py")
      rules="$(printf '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes"')"
      ;;
  esac
  printf '%s\n' "$code" > "$work/$app/src/${app}_main.py"
  start=$(date +%s%N)
  ox="$(build_app "$work/$app" "$app" "$python" "$work/$app/src" "${app}_main" "" "$rules")"
  ox_build="$(seconds "$start")"
  start=$(date +%s%N)
  (cd "$work/$app" && "$work/venv/bin/pyinstaller" --onefile --log-level ERROR \
    --name "pi-$app" "src/${app}_main.py" > /dev/null 2> "$work/$app.pilog") \
    || { cat "$work/$app.pilog"; exit 1; }
  pi_build="$(seconds "$start")"
  pi="$work/$app/dist/pi-$app"
  case "$app" in
    pyflakes) py=("$python" -I -S -c "import sys; sys.path.insert(0, '$work/site'); $code") ;;
    *) py=("$python" -I -S -c "$code") ;;
  esac
  # Each must run and exit 0 before anything is timed.
  for cmd in "$ox" "$pi"; do "$cmd" "${args[@]}" > /dev/null; done
  "${py[@]}" "${args[@]}" > /dev/null
  row "$app" pyoxidizer "$(stat -c %s "$ox")" "$ox_build" "$ox" "${args[@]}"
  row "$app" "pyinstaller --onefile" "$(stat -c %s "$pi")" "$pi_build" "$pi" "${args[@]}"
  row "$app" "python -I -S" "" "" "${py[@]}" "${args[@]}"
  count "$app" pyoxidizer "$ox" "${args[@]}"
  count "$app" "pyinstaller --onefile" "$pi" "${args[@]}"
  count "$app" "python -I -S" "${py[@]}" "${args[@]}"
  q() { printf '%q ' "$@"; }
  runs=40
  [ "$app" = hello ] && runs=100
  hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$out/peer-$app.md" \
    -n "pyoxidizer $app" "$(q "$ox" "${args[@]}")" \
    -n "pyinstaller --onefile $app" "$(q "$pi" "${args[@]}")" \
    -n "python -I -S $app" "$(q "${py[@]}" "${args[@]}")"
done
cat "$sizes"
[ -z "${INSTRUCTIONS:-}" ] || cat "$counts"
