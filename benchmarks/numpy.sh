#!/usr/bin/env bash
# `import numpy`: a built executable (numpy and its bundled libraries loaded from memory)
# vs the same interpreter importing the same numpy from a directory. One hyperfine run.
# Usage: benchmarks/numpy.sh [PYTHON]   Results: benchmarks/results/numpy.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-$(python3 -c 'import sys, os; print(os.path.realpath(sys.executable))')}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"
mkdir -p "$here/results" "$work/app"
"$python" -m pip install -q --target "$work/site" numpy
cat > "$work/app/pyoxidizer.toml" <<TOML
[[build]]
application_name = "npapp"
[[python_distribution]]
python_executable = "$python"
[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"
[[packaging_rule]]
type = "stdlib"
[[packaging_rule]]
type = "pip-install-simple"
package = "numpy"
[[embedded_python_run]]
mode = "eval"
code = "import numpy"
TOML
python3 -m pyoxidizer build --release "$work/app" >/dev/null 2>&1
app="$work/app/build/apps/npapp/x86_64-unknown-linux-gnu/release/npapp"
# OpenBLAS thread start-up is part of both; pin it to keep the comparison about importing.
export OPENBLAS_NUM_THREADS=1
hyperfine -N --warmup 5 --runs 60 --export-markdown "$here/results/numpy.md" \
  -n oxidized-import-numpy "$app" \
  -n "python -S import numpy" "$python -S -c \"import sys; sys.path.insert(0, '$work/site'); import numpy\""
ls -l "$app"
