#!/usr/bin/env bash
# Where the resident memory goes, app against python (issue 12, item 3): hello (module
# mode), hello (eval mode, as `pyoxidizer init --python-code` makes) and import-heavy, as
# release builds with the defaults, and `python -I -S` running the same code. At exit each
# reads /proc/self/status (peak, and RSS split into anonymous, file-backed and shmem) and
# /proc/self/smaps (resident kB per kind of mapping), with no import beyond what the
# workload does. Of N runs (default 9) the one with the median peak is reported.
# "executable + libpython" is the app's executable (launcher and static libpython), or
# python's executable and its libpython3.X.so where python is built with --enable-shared.
#
# Usage: [PYOXIDIZER="cmd"] [RUNS=9] benchmarks/rss.sh [PYTHON]   Results: benchmarks/results/rss.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"
bench_start "${1:-}"
runs="${RUNS:-9}"
mkdir -p "$here/results"
heavy_imports="$(grep -v '^#' "$here/heavy_imports.txt" | paste -sd, -)"
export PYOXIDIZER_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$work/cache}"

# Appended to each workload; string methods and open() only (no import).
read -r -d '' report <<'PY' || true
def _report():
    exe = open("/proc/self/cmdline", "rb").read().split(b"\0")[0].decode()
    status = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
            status[key] = int(value.split()[0])
    kinds = {}
    kind = None
    for line in open("/proc/self/smaps"):
        fields = line.split()
        if not fields[0].endswith(":"):
            path = fields[5] if len(fields) > 5 else ""
            if path.startswith("/memfd:"):
                kind = "memfd"
            elif path.startswith("["):
                kind = "anon" if path in ("[heap]", "[stack]") else "kernel"
            elif not path:
                kind = "anon"
            elif path.rpartition("/")[2] == exe.rpartition("/")[2] or "/libpython" in path:
                kind = "executable"
            elif ".so" in path:
                kind = "shared objects"
            else:
                kind = "other files"
        elif fields[0] == "Rss:":
            kinds[kind] = kinds.get(kind, 0) + int(fields[1])
    cells = [status[k] for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem")]
    cells += [kinds.get(k, 0) for k in ("executable", "shared objects", "memfd", "other files")]
    print("RSS " + " ".join(str(c) for c in cells))
_report()
PY

printf 'print("hello")\n%s\n' "$report" > "$work/hello.py"
printf 'import %s\n%s\n' "$heavy_imports" "$report" > "$work/heavy.py"
mkdir -p "$work/src"
cp "$work/hello.py" "$work/src/hello_main.py"
cp "$work/heavy.py" "$work/src/heavy_main.py"
hello="$(build_app "$work/hello" hello "$python" "$work/src" hello_main)"
heavy="$(build_app "$work/heavy" heavy "$python" "$work/src" heavy_main)"
# eval mode: the same code as one string (newlines as \n in the TOML string)
code="$(sed 's/\\/\\\\/g; s/"/\\"/g' "$work/hello.py" | awk '{ printf "%s\\n", $0 }')"
hello_eval="$(build_eval_app "$work/hello-eval" hello "$python" "$code")"

median_run() {  # the RSS line of the run with the median peak
  for _ in $(seq "$runs"); do "$@" | grep '^RSS '; done | sort -k2,2n \
    | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}
result="$here/results/rss.md"
{
  printf '| Workload | Peak | RSS at exit | anonymous | file-backed | shmem | executable + libpython | other shared objects | memfd | other files |\n'
  printf '|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for row in "hello, app (module)|$hello" "hello, app (eval)|$hello_eval" \
    "hello, python -I -S|$python -I -S $work/hello.py" \
    "import-heavy, app (module)|$heavy" "import-heavy, python -I -S|$python -I -S $work/heavy.py"; do
    # shellcheck disable=SC2086
    median_run ${row#*|} | awk -v name="${row%%|*}" \
      '{ printf "| %s", name; for (i = 2; i <= NF; i++) printf " | %.1f", $i / 1000; print " |" }'
  done
} > "$result"
cat "$result"
echo "(MB; $runs runs each; the run with the median peak)"
