#!/usr/bin/env bash
# The test command: installs system tools and test dependencies, runs the linters, makes the
# standalone CPython distributions the tests build apps on (from Debian's source packages;
# about 20 minutes the first time, seconds once cached), then runs every test (unit,
# runtime, and integration tests that build and run real executables).
#
# PYOXIDIZER_TEST_NO_STANDALONE=1 skips the distributions and the tests that need them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check src tests
python3 -m ruff format --check src tests
python3 -m mypy
if [ "${PYOXIDIZER_TEST_NO_STANDALONE:-}" != 1 ]; then
  cache="${PYOXIDIZER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyoxidizer}"
  dists="${PYOXIDIZER_TEST_DISTRIBUTIONS:-$cache/test-distributions}"
  started=$SECONDS
  bash scripts/standalone-distributions.sh "$dists"
  echo "standalone distributions ready in $((SECONDS - started)) s"
  export PYOXIDIZER_TEST_DISTRIBUTIONS="$dists"
  export PYOXIDIZER_STANDALONE_SOURCES="$dists/sources"
else
  export PYOXIDIZER_STANDALONE_SKIP=1
fi
python3 -m pytest "$@"
