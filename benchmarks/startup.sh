#!/usr/bin/env bash
# Start-up benchmarks: built executables vs `python -I -S` of the same interpreter, side by
# side in one hyperfine run each; plus the warm rebuild time after editing app source.
# Usage: benchmarks/startup.sh [PYTHON]   (default: the real binary behind python3)
# Results go to benchmarks/results/*.md (hyperfine's markdown export).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
out="$here/results"
mkdir -p "$out"
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"
heavy_imports="$(cat "$here/heavy_imports.txt" | grep -v '^#' | paste -sd, -)"

make_app() {  # name, python code
  mkdir -p "$work/$1/src"
  printf '%s\n' "$2" > "$work/$1/src/${1}_main.py"
  build_app "$work/$1" "$1" "$python" "$work/$1/src" "${1}_main"
}

hello="$(make_app hello "print('hello')")"
heavy="$(make_app heavy "import $heavy_imports; print('imported')")"
printf 'python: %s\n' "$("$python" -c 'import sys; print(sys.version.split()[0])')"
printf 'modules imported by heavy: %s\n' "$("$heavy" >/dev/null; "$python" -I -S -c "import sys; n=len(sys.modules); import $heavy_imports; print(len(sys.modules)-n)")"

hyperfine -N --warmup 10 --runs 200 --export-markdown "$out/hello.md" \
  -n oxidized-hello "$hello" \
  -n "python -I -S hello" "$python -I -S -c \"print('hello')\""
hyperfine -N --warmup 5 --runs 100 --export-markdown "$out/heavy.md" \
  -n oxidized-import-heavy "$heavy" \
  -n "python -I -S import-heavy" "$python -I -S -c \"import $heavy_imports\""
# Warm rebuild: a debug build after editing the app's source (launcher and stdlib cached).
python3 -m pyoxidizer build "$work/hello" >/dev/null 2>&1
hyperfine --warmup 1 --runs 10 --export-markdown "$out/rebuild.md" \
  --prepare "echo \"print('hello', \$RANDOM)\" > $work/hello/src/hello_main.py" \
  -n warm-rebuild-after-edit "python3 -m pyoxidizer build $work/hello"
ls -l "$hello" "$heavy"
