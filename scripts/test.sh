#!/usr/bin/env bash
# The test command: installs system tools and test dependencies, runs the linters, then
# every test (unit, runtime, and integration tests that build and run real executables).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check src tests
python3 -m ruff format --check src tests
python3 -m mypy
python3 -m pytest "$@"
