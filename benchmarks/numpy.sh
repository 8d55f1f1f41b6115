#!/usr/bin/env bash
# `import numpy`: a built executable (numpy and its bundled libraries loaded from memory)
# vs the same interpreter importing the same numpy from a directory. One hyperfine run.
# Usage: benchmarks/numpy.sh [PYTHON]   Results: benchmarks/results/numpy.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"
mkdir -p "$here/results" "$work/app"
"$python" -m pip install -q --target "$work/site" numpy
mkdir -p "$work/src"
echo "import numpy" > "$work/src/npmain.py"
app="$(build_app "$work/app" npapp "$python" "$work/src" npmain "" \
  "$(printf '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "numpy"')")"
# OpenBLAS thread start-up is part of both; pin it to keep the comparison about importing.
export OPENBLAS_NUM_THREADS=1
hyperfine -N --warmup 5 --runs 60 --export-markdown "$here/results/numpy.md" \
  -n oxidized-import-numpy "$app" \
  -n "python -S import numpy" "$python -S -c \"import sys; sys.path.insert(0, '$work/site'); import numpy\""
ls -l "$app"
