#!/usr/bin/env bash
# The whole benchmark table of docs/benchmarks.md (issue 12's rows), side by side in one run:
# hello (module and eval mode), import-heavy, pyflakes on a 2-line file and `import numpy`,
# each built with this pyoxidizer (default compression, and for hello and import-heavy also
# with the standard library stored uncompressed, and for import-heavy and pyflakes with
# lazy_module_loading), optionally with another pyoxidizer
# (BEFORE), and run against `python -I -S` of the same interpreter. Measures size, start-up
# (one hyperfine run per workload, every variant in it), peak RSS (median of 9 runs of
# /usr/bin/time -f %M) and, with INSTRUCTIONS=1, instruction counts (valgrind callgrind,
# exact and independent of the machine's load, summed over every process of a run).
# With PEERS=1, PyInstaller --onefile executables of hello, import-heavy and pyflakes (built
# in a venv of the same interpreter) are a variant of the same runs: a --onefile app is two
# processes (a bootloader that unpacks it into a temporary directory, and the python it
# starts); /usr/bin/time reports the larger of their two peaks.
#
# Usage: [BEFORE="cmd"] [INSTRUCTIONS=1] [PEERS=1] [SKIP_NUMPY=1] benchmarks/table.sh [PYTHON]
#   BEFORE: a command that runs another pyoxidizer, for example
#     BEFORE="env PYTHONPATH=/tmp/main/src python3 -m pyoxidizer"
# Needs hyperfine, valgrind (INSTRUCTIONS=1), /usr/bin/time, and PyPI for pyflakes and numpy.
# Results: benchmarks/results/table-*.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
out="$here/results"
mkdir -p "$out"
after_cache="${PYOXIDIZER_CACHE_DIR:-$work/cache-after}"
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"
uncompressed='compression = "none"'

"$python" -m pip install -q --target "$work/site" pyflakes
printf 'import os\nprint(os.sep)\n' > "$work/two_lines.py"  # no warning: exit status 0
[ -n "${SKIP_NUMPY:-}" ] || "$python" -m pip install -q --target "$work/numpy-site" numpy

# variant NAME PYOXIDIZER_COMMAND CACHE [STDLIB_KEYS] [EMBEDDED_KEYS]: builds every app of
# the variant and records "workload variant path" lines in $work/apps. The lazy variant
# (EMBEDDED_KEYS lazy_module_loading = true) builds only import-heavy and pyflakes.
variant() {
  local v="$1" cmd="$2" cache="$3" stdlib="${4:-}" embedded="${5:-}"
  export PYOXIDIZER="$cmd" PYOXIDIZER_CACHE_DIR="$cache"
  app() {  # workload, module source, [extra rules]
    mkdir -p "$work/$v/$1/src"
    printf '%s\n' "$2" > "$work/$v/$1/src/${1}_main.py"
    local exe
    exe="$(build_app "$work/$v/$1" "$1" "$python" "$work/$v/$1/src" "${1}_main" "$embedded" "${3:-}" "$stdlib")"
    echo "$1 $v $exe" >> "$work/apps"
  }
  if [ -n "$embedded" ]; then
    app heavy "import $heavy_imports; print('imported')"
    app pyflakes "from pyflakes.api import main; main()" \
      "$(printf '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes"')"
    unset PYOXIDIZER
    return
  fi
  app hello "print('hello')"
  echo "hello-eval $v $(build_eval_app "$work/$v/hello-eval" hello "$python" "print('hello')" "$stdlib")" >> "$work/apps"
  app heavy "import $heavy_imports; print('imported')"
  if [ -z "$stdlib" ]; then  # the packages' workloads: default variants only
    app pyflakes "from pyflakes.api import main; main()" \
      "$(printf '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes"')"
    [ -n "${SKIP_NUMPY:-}" ] || app numpy "import numpy" \
      "$(printf '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "numpy"')"
  fi
  unset PYOXIDIZER
}

: > "$work/apps"
variant after "python3 -m pyoxidizer" "$after_cache"
variant after-uncompressed "python3 -m pyoxidizer" "$after_cache" "$uncompressed"
variant after-lazy "python3 -m pyoxidizer" "$after_cache" "" "lazy_module_loading = true"
[ -z "${BEFORE:-}" ] || variant before "$BEFORE" "$work/cache-before"
if [ -n "${PEERS:-}" ]; then
  "$python" -m venv "$work/pi-venv"
  "$work/pi-venv/bin/pip" install -q pyinstaller pyflakes
  "$work/pi-venv/bin/pip" list 2>/dev/null | grep -iE '^(pyinstaller|pyflakes) ' | sed 's/^/using /'
  for w in hello heavy pyflakes; do
    (cd "$work/after/$w" && "$work/pi-venv/bin/pyinstaller" --onefile --log-level ERROR \
      --name "pi-$w" "src/${w}_main.py" > /dev/null 2> "$work/pi-$w.log") \
      || { cat "$work/pi-$w.log"; exit 1; }
    echo "$w pyinstaller $work/after/$w/dist/pi-$w" >> "$work/apps"
  done
fi

python_command() {
  case "$1" in
    hello | hello-eval) echo "$python -I -S -c \"print('hello')\"" ;;
    heavy) echo "$python -I -S -c \"import $heavy_imports\"" ;;
    pyflakes) echo "$python -I -S -c \"import sys; sys.path.insert(0, '$work/site'); from pyflakes.api import main; main()\" $work/two_lines.py" ;;
    numpy) echo "$python -S -c \"import sys; sys.path.insert(0, '$work/numpy-site'); import numpy\"" ;;
  esac
}
app_args() { [ "$1" = pyflakes ] && echo " $work/two_lines.py" || true; }

export OPENBLAS_NUM_THREADS=1  # OpenBLAS thread start-up is part of both; pin it
sizes="$out/table-sizes.md"
printf '| Workload | Variant | Size [MB] | Peak RSS [MB], median of 9 | min |\n|:---|:---|---:|---:|---:|\n' > "$sizes"
for workload in hello hello-eval heavy pyflakes numpy; do
  grep -q "^$workload " "$work/apps" || continue
  commands=()
  while read -r w v exe; do
    [ "$w" = "$workload" ] || continue
    commands+=(-n "$v" "$exe$(app_args "$w")")
    size=$(stat -c %s "$exe")
    # shellcheck disable=SC2046
    read -r rss low <<< "$(rss_median 9 $exe $(app_args "$w"))"
    printf '| %s | %s | %.1f | %.1f | %.1f |\n' "$w" "$v" "$(echo "$size / 1000000" | bc -l)" \
      "$(echo "$rss / 1000" | bc -l)" "$(echo "$low / 1000" | bc -l)" >> "$sizes"
  done < "$work/apps"
  py="$(python_command "$workload")"
  read -r rss low <<< "$(eval "rss_median 9 $py")"
  printf '| %s | python | | %.1f | %.1f |\n' "$workload" "$(echo "$rss / 1000" | bc -l)" \
    "$(echo "$low / 1000" | bc -l)" >> "$sizes"
  runs=200
  case "$workload" in heavy | numpy | pyflakes) runs=60 ;; esac
  hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$out/table-$workload.md" \
    "${commands[@]}" -n python "$py"
done
cat "$sizes"

if [ -n "${INSTRUCTIONS:-}" ]; then
  counts="$out/table-instructions.md"
  printf '| Workload | Variant | Instructions [M] |\n|:---|:---|---:|\n' > "$counts"
  count() { valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null "$@" \
    2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }'; }
  for workload in hello hello-eval heavy pyflakes numpy; do
    grep -q "^$workload " "$work/apps" || continue
    while read -r w v exe; do
      [ "$w" = "$workload" ] || continue
      # shellcheck disable=SC2046
      n=$(count "$exe" $(app_args "$w"))
      printf '| %s | %s | %.2f |\n' "$w" "$v" "$(echo "$n / 1000000" | bc -l)" >> "$counts"
    done < "$work/apps"
    n=$(eval "count $(python_command "$workload")")
    printf '| %s | python | %.2f |\n' "$workload" "$(echo "$n / 1000000" | bc -l)" >> "$counts"
  done
  cat "$counts"
fi
