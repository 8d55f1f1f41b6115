#!/usr/bin/env bash
# raw_allocator benchmark: one allocation-heavy app built with 'system' and with 'jemalloc',
# plus `python -I -S` running the same module, side by side in one hyperfine run; then the
# start-up cost of each allocator (hello world).
# Usage: benchmarks/allocators.sh [PYTHON]   (default: the real binary behind python3)
# Needs hyperfine and libjemalloc-dev (scripts/install-system-deps.sh --bench).
# Results go to benchmarks/results/allocators*.md (hyperfine's markdown export).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
out="$here/results"
mkdir -p "$out"
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"

# The workload stresses PYMEM_DOMAIN_RAW: every buffer above pymalloc's 512-byte limit
# (bytes, bytearray, big lists, dict tables, joined strings) comes from the raw allocator.
mkdir -p "$work/src"
echo "print('hello')" > "$work/src/hellobench.py"
cat > "$work/src/allocbench.py" <<'PY'
import random

rng = random.Random(20261124)
live = [None] * 1024
total = 0
# Buffers of mixed sizes with a bounded live set: malloc/free churn, like a parser or server.
for i in range(150_000):
    block = bytearray(rng.randrange(600, 32_000))
    live[rng.randrange(len(live))] = block
    total += len(block)
# Growth by realloc: lists, dict tables and strings built piece by piece.
for round_ in range(3):
    table = {i: str(i) for i in range(50_000)}
    rows = [list(range(rng.randrange(100, 1_000))) for _ in range(1_000)]
    text = "".join(str(x) for x in range(50_000))
    total += len(table) + sum(map(len, rows)) + len(text)
print(total)
PY

make_app() {  # allocator, module
  build_app "$work/$2-$1" "$2-$1" "$python" "$work/src" "$2" "raw_allocator = \"$1\""
}

system="$(make_app system allocbench)"
jemalloc="$(make_app jemalloc allocbench)"
hello_system="$(make_app system hellobench)"
hello_jemalloc="$(make_app jemalloc hellobench)"
printf 'python: %s\n' "$("$python" -c 'import sys; print(sys.version.split()[0])')"
# Same work, same answer, before timing anything.
test "$("$system")" = "$("$jemalloc")"
test "$("$system")" = "$("$python" -I -S "$work/src/allocbench.py")"

hyperfine -N --warmup 3 --runs 30 --export-markdown "$out/allocators.md" \
  -n "raw_allocator = system" "$system" \
  -n "raw_allocator = jemalloc" "$jemalloc" \
  -n "python -I -S" "$python -I -S $work/src/allocbench.py"
for exe in "$system" "$jemalloc" "$hello_system" "$hello_jemalloc"; do
  printf '%s: peak RSS %s kB\n' "$(basename "$exe")" \
    "$( { /usr/bin/time -f %M "$exe" >/dev/null; } 2>&1 )"
done
hyperfine -N --warmup 20 --runs 300 --export-markdown "$out/allocators-startup.md" \
  -n "hello, raw_allocator = system" "$hello_system" \
  -n "hello, raw_allocator = jemalloc" "$hello_jemalloc"
