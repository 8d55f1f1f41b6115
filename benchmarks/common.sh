# Shared by the benchmark scripts (source it): build a release app around one module.
#
# build_app DIR NAME PYTHON SRC MODULE [EMBEDDED_CONFIG_LINES] [EXTRA_RULES]
#   writes DIR/pyoxidizer.toml (the whole stdlib and its extension modules, the package
#   root SRC holding MODULE, run as __main__), builds it with --release and prints the
#   executable's path. The build's output goes to DIR.log, shown if it fails.
build_app() {
  local dir="$1" name="$2" python="$3" src="$4" module="$5" embedded="${6:-}" rules="${7:-}"
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
[[packaging_rule]]
type = "stdlib"
[[packaging_rule]]
type = "package-root"
path = "$src"
packages = ["$module"]
$rules
[[embedded_python_run]]
mode = "module"
module = "$module"
TOML
  python3 -m pyoxidizer build --release "$dir" >/dev/null 2>"$dir.log" \
    || { cat "$dir.log" >&2; return 1; }
  echo "$dir/build/apps/$name/x86_64-unknown-linux-gnu/release/$name"
}
