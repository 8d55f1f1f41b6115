"""lazy_module_loading and eager_modules, seen from inside a built executable: a module's
code runs when the app first uses the module, modules named eager run at import, and an
error in a deferred module is raised, with its traceback, where the app first uses it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Project, config_text, run_exe

MAIN = """
import json, plugin, side
print("imported")
print(sorted(json.loads('{"b": 1, "a": 2}')))
print(side.VALUE)
import broken
print("broken imported")
broken.anything
"""


def _build(project: Project, embedded: str) -> Path:
    project.write("src/lazymain.py", MAIN)
    project.write("src/side.py", "print('side runs')\nVALUE = 'side value'\n")
    project.write("src/plugin.py", "print('plugin registers itself')\n")
    project.write("src/broken.py", "X = 1\nraise LookupError('broken at line 2')\n")
    rules = (
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\n'
        'packages = ["lazymain", "side", "plugin", "broken"]\n'
    )
    run = 'mode = "module"\nmodule = "lazymain"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run, embedded=embedded))
    return project.build()


def test_deferred_modules_run_at_first_use(project: Project) -> None:
    exe = _build(project, 'lazy_module_loading = true\neager_modules = ["plugin"]')
    proc = run_exe(exe)
    assert proc.stdout.splitlines() == [
        "plugin registers itself",  # eager: at its import, as python does
        "imported",
        "['a', 'b']",
        "side runs",  # deferred to its first use
        "side value",
        "broken imported",
    ]
    assert proc.returncode == 1
    # The error appears where the app first uses the module, with the module's own line.
    assert "line 8, in <module>\n    broken.anything" in proc.stderr
    assert 'broken.py", line 2' in proc.stderr
    assert proc.stderr.rstrip().endswith("LookupError: broken at line 2")


def test_without_it_modules_run_at_import_like_python(project: Project) -> None:
    exe = _build(project, "")
    proc = run_exe(exe)
    assert proc.stdout.splitlines() == [
        "plugin registers itself",
        "side runs",
        "imported",
        "['a', 'b']",
        "side value",
    ]
    assert proc.returncode == 1 and "LookupError: broken at line 2" in proc.stderr
    assert "broken imported" not in proc.stdout
