#!/usr/bin/env bash
# Makes the two standalone CPython distributions the tests build apps with:
#   DIR/cpython-3.11-x86_64-unknown-linux-gnu.tar.zst    (glibc 2.17 floor)
#   DIR/cpython-3.11-x86_64-unknown-linux-musl.tar.zst   (fully static)
# from Debian's source packages (scripts/fetch-sources.sh, into DIR/sources).
#
# Both targets build at the same time with one job each: the libraries' configure scripts
# run serially, so this keeps both cores busy. `python-distribution-build` caches each
# finished archive by a digest of the sources, the recipe and zig's version (in
# PYOXIDIZER_CACHE_DIR), so a rerun with nothing changed takes seconds; a first run takes
# about 20 minutes on 2 cores (see docs/standalone.md).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir="$1"
mkdir -p "$dir"
bash "$(dirname "$0")/fetch-sources.sh" "$dir/sources"

pids=()
for target in x86_64-unknown-linux-gnu x86_64-unknown-linux-musl; do
  out="$dir/cpython-3.11-$target.tar.zst"
  python3 -m pyoxidizer python-distribution-build --sources "$dir/sources" \
    --target "$target" --output "$out" --jobs 1 >"$dir/$target.log" 2>&1 &
  pids+=("$!:$target")
done
status=0
for entry in "${pids[@]}"; do
  pid="${entry%%:*}"
  target="${entry#*:}"
  if wait "$pid"; then
    tail -n 1 "$dir/$target.log"
  else
    echo "building the $target distribution failed; the end of its log:" >&2
    tail -n 40 "$dir/$target.log" >&2
    status=1
  fi
done
exit "$status"
