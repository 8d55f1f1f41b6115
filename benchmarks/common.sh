# Shared by the benchmark scripts (source it): build a release app around one module.
#
# build_app DIR NAME PYTHON SRC MODULE [EMBEDDED_CONFIG_LINES] [EXTRA_RULES] [STDLIB_KEYS]
#   writes DIR/pyoxidizer.toml (the whole stdlib and its extension modules, the package
#   root SRC holding MODULE, run as __main__), builds it with --release and prints the
#   executable's path. STDLIB_KEYS are extra lines for both standard library rules (for
#   example 'compression = "none"'). The build's output goes to DIR.log, shown if it fails.
# build_eval_app DIR NAME PYTHON CODE [STDLIB_KEYS]
#   the same for an eval-mode app, as `pyoxidizer init --python-code CODE` makes.
# $PYOXIDIZER is the command that builds (default: python3 -m pyoxidizer).
# bench_start [PYTHON]
#   sets $python to PYTHON, or to the real binary behind python3 (not a pyenv shim), and
#   $work to a temporary directory removed when the script exits.
build_app() {
  local dir="$1" name="$2" python="$3" src="$4" module="$5" embedded="${6:-}" rules="${7:-}"
  local stdlib="${8:-}"
  mkdir -p "$dir"
  cat > "$dir/pyoxidizer.toml" <<TOML
[[build]]
application_name = "$name"
[[python_distribution]]
python_executable = "$python"
[[embedded_python_config]]
$embedded
[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"
$stdlib
[[packaging_rule]]
type = "stdlib"
$stdlib
[[packaging_rule]]
type = "package-root"
path = "$src"
packages = ["$module"]
$rules
[[embedded_python_run]]
mode = "module"
module = "$module"
TOML
  _build "$dir" "$name"
}

build_eval_app() {
  local dir="$1" name="$2" python="$3" code="$4" stdlib="${5:-}"
  mkdir -p "$dir"
  cat > "$dir/pyoxidizer.toml" <<TOML
[[build]]
application_name = "$name"
[[python_distribution]]
python_executable = "$python"
[[embedded_python_config]]
[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"
$stdlib
[[packaging_rule]]
type = "stdlib"
$stdlib
[[embedded_python_run]]
mode = "eval"
code = "$code"
TOML
  _build "$dir" "$name"
}

_build() {
  ${PYOXIDIZER:-python3 -m pyoxidizer} build --release "$1" >/dev/null 2>"$1.log" \
    || { cat "$1.log" >&2; return 1; }
  echo "$1/build/apps/$2/x86_64-unknown-linux-gnu/release/$2"
}

# "median min" of N runs of /usr/bin/time -f %M (peak RSS, kB): rss_median N COMMAND...
rss_median() {
  local n="$1"
  shift
  for _ in $(seq "$n"); do { /usr/bin/time -f %M "$@" 2>&1 >/dev/null || true; } | tail -1; done \
    | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1] }'
}

bench_start() {
  python="${1:-$(python3 -c 'import sys, os; print(os.path.realpath(sys.executable))')}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
}
