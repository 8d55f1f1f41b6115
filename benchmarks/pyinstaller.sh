#!/usr/bin/env bash
# Peer comparison: the hello and import-heavy apps as PyInstaller --onefile executables vs
# pyoxidizer release executables, side by side in one hyperfine run each; plus sizes and
# cold build times. Usage: benchmarks/pyinstaller.sh   Results: benchmarks/results/peer-*.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
python="$(python3 -c 'import sys, os; print(os.path.realpath(sys.executable))')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/results"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q pyinstaller
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"
export PYOXIDIZER_CACHE_DIR="$work/cache"
for app in hello heavy; do
  mkdir -p "$work/$app/src"
  if [ "$app" = hello ]; then code="print('hello')"; else code="import $heavy_imports"; fi
  printf '%s\n' "$code" > "$work/$app/src/${app}_main.py"
  start=$(date +%s%N)
  ox="$(build_app "$work/$app" "$app" "$python" "$work/$app/src" "${app}_main")"
  echo "pyoxidizer build $app: $(( ($(date +%s%N) - start) / 1000000 )) ms"
  (cd "$work/$app" && /usr/bin/time -f "pyinstaller build $app: %e s" "$work/venv/bin/pyinstaller" --onefile --log-level ERROR --name "pi-$app" "src/${app}_main.py" > /dev/null 2> "$work/$app.pitime") || { cat "$work/$app.pitime"; exit 1; }
  tail -1 "$work/$app.pitime"
  pi="$work/$app/dist/pi-$app"
  ls -l "$ox" "$pi" | awk '{print $5, $9}'
  hyperfine -N --warmup 5 --runs 40 --export-markdown "$here/results/peer-$app.md" \
    -n "pyoxidizer $app" "$ox" -n "pyinstaller --onefile $app" "$pi"
done
