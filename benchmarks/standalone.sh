#!/usr/bin/env bash
# Host vs standalone distributions: the same apps built on the host interpreter, on a
# python-build-standalone gnu archive (glibc 2.17) and on a musl archive (fully static, with
# raw_allocator system and jemalloc), side by side in one hyperfine run per app; instruction
# counts (callgrind), executable sizes and peak RSS.
# Usage: benchmarks/standalone.sh GNU_ARCHIVE MUSL_ARCHIVE MUSL_JEMALLOC_ARCHIVE [PYTHON]
#   MUSL_JEMALLOC_ARCHIVE: the musl archive with a jemalloc (benchmarks/build-jemalloc.sh).
#   PYTHON: a host CPython of the archives' minor version (default: python3.11 on PATH).
# Needs hyperfine, valgrind, /usr/bin/time (scripts/install-system-deps.sh --bench) and the
# package index (pyflakes). Results go to benchmarks/results/standalone-*.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gnu_archive="$(realpath "$1")"
musl_archive="$(realpath "$2")"
musl_je_archive="$(realpath "$3")"
python="$(realpath "$(command -v "${4:-python3.11}")")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$here/results"
mkdir -p "$out"
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"

dist_section() {  # kind -> the [[python_distribution]] section
  case "$1" in
    host) printf 'python_executable = "%s"\n' "$python" ;;
    gnu) printf 'local_path = "%s"\nsha256 = "%s"\n' "$gnu_archive" "$(sha256sum < "$gnu_archive" | cut -d' ' -f1)" ;;
    musl*je) printf 'local_path = "%s"\nsha256 = "%s"\n' "$musl_je_archive" "$(sha256sum < "$musl_je_archive" | cut -d' ' -f1)" ;;
    musl*) printf 'local_path = "%s"\nsha256 = "%s"\n' "$musl_archive" "$(sha256sum < "$musl_archive" | cut -d' ' -f1)" ;;
  esac
}

build() {  # kind app allocator rules run-section -> prints the executable
  local kind="$1" app="$2" allocator="$3" rules="$4" run="$5" target=x86_64-unknown-linux-gnu
  case "$kind" in musl*) target=x86_64-unknown-linux-musl ;; esac
  local dir="$work/$app-$kind"
  mkdir -p "$dir"
  cat > "$dir/pyoxidizer.toml" <<TOML
[[build]]
application_name = "$app"
[[python_distribution]]
$(dist_section "$kind")
[[embedded_python_config]]
raw_allocator = "$allocator"
[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"
[[packaging_rule]]
type = "stdlib"
$rules
[[embedded_python_run]]
$run
TOML
  python3 -m pyoxidizer build --release --target "$target" "$dir" >/dev/null 2>"$dir.log" \
    || { cat "$dir.log" >&2; return 1; }
  echo "$dir/build/apps/$app/$target/release/$app"
}

eval_run() { printf 'mode = "eval"\ncode = "%s"\n' "$1"; }
pyflakes_rule=$'[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes==2.1.1"'
printf 'import os\nimport sys\nprint(sys.argv)\n' > "$work/victim.py"
# The allocation workload of benchmarks/allocators.sh: buffers above pymalloc's 512 bytes.
mkdir -p "$work/src"
sed -n "/^cat > \"\$work\/src\/allocbench.py\" <<'PY'$/,/^PY$/p" "$here/allocators.sh" \
  | sed '1d;$d' > "$work/src/allocbench.py"
alloc_rule=$'[[packaging_rule]]\ntype = "package-root"\npath = "'"$work/src"$'"\npackages = ["allocbench"]'
kinds=(host gnu musl musl-je)
declare -A exe
for kind in "${kinds[@]}"; do
  allocator=system
  [ "$kind" = musl-je ] && allocator=jemalloc
  exe[hello-$kind]="$(build "$kind" hello "$allocator" "" "$(eval_run "print('hello')")")"
  exe[heavy-$kind]="$(build "$kind" heavy "$allocator" "" "$(eval_run "import $heavy_imports")")"
  exe[pyflakes-$kind]="$(build "$kind" pyflakes "$allocator" "$pyflakes_rule" \
    "$(eval_run "from pyflakes.api import main; main()")")"
  exe[alloc-$kind]="$(build "$kind" alloc "$allocator" "$alloc_rule" \
    $'mode = "module"\nmodule = "allocbench"')"
done
test "$("${exe[alloc-musl]}")" = "$("$python" -I -S "$work/src/allocbench.py")"

for app in hello heavy pyflakes alloc; do
  args=()
  for kind in "${kinds[@]}"; do
    cmd="${exe[$app-$kind]}"
    [ "$app" = pyflakes ] && cmd="$cmd $work/victim.py"
    args+=(-n "$app $kind" "$cmd")
  done
  runs=100
  [ "$app" = alloc ] && runs=20
  hyperfine -N -i --warmup 3 --runs "$runs" --export-markdown "$out/standalone-$app.md" "${args[@]}"
done

{
  echo "| app | distribution | size (bytes) | peak RSS (kB) | instructions |"
  echo "|---|---|---:|---:|---:|"
  for app in hello heavy pyflakes alloc; do
    for kind in "${kinds[@]}"; do
      cmd=("${exe[$app-$kind]}")
      [ "$app" = pyflakes ] && cmd+=("$work/victim.py")
      size="$(stat -c %s "${exe[$app-$kind]}")"
      # pyflakes exits 1 (it found a problem): that is the answer, not a failure.
      rss="$( { /usr/bin/time -f %M "${cmd[@]}" >/dev/null || true; } 2>&1 | tail -1)"
      instr=-  # the allocation workload runs for seconds: hyperfine's times are steady enough
      [ "$app" = alloc ] || instr="$( { valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "${cmd[@]}" >/dev/null || true; } 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')"
      echo "| $app | $kind | $size | $rss | $instr |"
    done
  done
} | tee "$out/standalone-sizes.md"
