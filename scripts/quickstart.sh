#!/usr/bin/env bash
# One command on a fresh machine: install pyoxidizer, create an example app, build and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
python3 -m pip install -q .
app_dir="${1:-$PWD/build/quickstart/hello}"
if [ ! -f "$app_dir/pyoxidizer.toml" ]; then
  python3 -m pyoxidizer init "$app_dir" \
    --python-code 'import sys, json, sqlite3; print("hello from", sys.executable); print(json.dumps({"oxidized": sys.oxidized, "sqlite": sqlite3.sqlite_version}))'
fi
python3 -m pyoxidizer run "$app_dir"
