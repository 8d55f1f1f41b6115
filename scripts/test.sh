#!/usr/bin/env bash
# The test command: installs system tools and test dependencies, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
python3 -m pip install -q -e '.[test]'
python3 -m pytest "$@"
