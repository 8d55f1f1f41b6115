"""``pyoxidizer trim``: real apps trimmed to what their runs load, and what happens after."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Project, config_text, run_exe

APP = """
import json, sqlite3, sys
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.execute("insert into t values (?)", (sys.argv[1],))
print(json.dumps(db.execute("select x from t").fetchall()))
if "--csv" in sys.argv:
    import csv
    csv.writer(sys.stdout).writerow(["a", "b"])
"""
RULES = """
# the app's own code (this comment must survive trim)
[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["jsapp"]
"""


def _sizes(out: str) -> tuple[float, float]:
    line = next(line for line in out.splitlines() if line.startswith("trimmed "))
    before, after = line.split(": ", 1)[1].split(",")[0].split(" -> ")
    return float(before.split()[0]), float(after.split()[0])


def _module_counts(out: str) -> tuple[int, int]:
    line = next(line for line in out.splitlines() if line.startswith("trimmed "))
    before, after = line.split(", ")[1].split(" modules")[0].split(" -> ")
    return int(before), int(after)


def test_json_sqlite3_app_is_trimmed_and_a_trimmed_module_fails_loudly(
    project: Project,
) -> None:
    project.write("src/jsapp/__init__.py", "")
    project.write("src/jsapp/__main__.py", APP)
    config = config_text(name="jsapp", rules=RULES, run='mode = "module"\nmodule = "jsapp"')
    project.write("pyoxidizer.toml", config)
    project.write("runs.txt", "# one run per line\n'two words'\n")
    out = project.cli("trim", "--invocations", "runs.txt", "--", "hello").stdout
    before, after = _sizes(out)
    assert after < before - 10, out  # MB: the launcher itself is most of what is left
    modules_before, modules_after = _module_counts(out)
    assert modules_after < modules_before / 10, out
    exe = project.exe()
    assert run_exe(exe, "hello").stdout == '[["hello"]]\n'
    # A run that needs a module no recorded run loaded fails, naming it.
    failed = run_exe(exe, "x", "--csv")
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'csv'"
    # The config keeps its text and gains one rule; the filter file says how it was made.
    text = (project.root / "pyoxidizer.toml").read_text()
    assert text.startswith(config) and text.count('type = "filter-include"') == 1
    names = (project.root / "pyoxidizer-trim.txt").read_text()
    assert "#   app 'two words'  (exit status 0)" in names
    assert "\n_sqlite3\n" in names and "\njsapp.__main__\n" in names
    # Trimming again with a run that needs csv: the file changes, the config does not.
    out = project.cli("trim", "--", "x", "--csv").stdout
    assert "the config already has the filter-include rule" in out
    assert (project.root / "pyoxidizer.toml").read_text() == text
    assert run_exe(exe, "x", "--csv").stdout == '[["x"]]\na,b\n'


VICTIM = "import os\n\ndef f():\n    return undefined_name\n"


@pytest.mark.network
def test_trimmed_pyflakes_still_reports_the_same(project: Project, tmp_path: Path) -> None:
    rules = '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes==2.1.1"\n'
    run = 'mode = "eval"\ncode = "from pyflakes.api import main; main()"'
    project.write("pyoxidizer.toml", config_text(name="pyflakes", rules=rules, run=run))
    victim = project.write("victim.py", VICTIM)
    untrimmed = run_exe(project.build(), str(victim))
    assert untrimmed.returncode == 1 and "imported but unused" in untrimmed.stdout
    out = project.cli("trim", "--", str(victim)).stdout
    before, after = _sizes(out)
    assert after < before - 10, out  # MB: the launcher itself is most of what is left
    modules_before, modules_after = _module_counts(out)
    assert modules_after < modules_before / 5, out
    trimmed = run_exe(project.exe(), str(victim))
    assert (trimmed.returncode, trimmed.stdout) == (untrimmed.returncode, untrimmed.stdout)


# The app's own test command: it finds the app through {app}, PYOXIDIZER_APP and PATH.
TESTS_SCRIPT = """
set -e
test "$("$1" one)" = '[["one"]]'
"$PYOXIDIZER_APP" two --csv | grep -q '^a,b'
jsapp three > /dev/null
"""


def _write_jsapp(project: Project) -> None:
    project.write("src/jsapp/__init__.py", "")
    project.write("src/jsapp/__main__.py", APP)
    project.write(
        "pyoxidizer.toml",
        config_text(name="jsapp", rules=RULES, run='mode = "module"\nmodule = "jsapp"'),
    )


def test_the_apps_own_test_command_is_recorded_and_checked(project: Project) -> None:
    _write_jsapp(project)
    project.write("tests.sh", TESTS_SCRIPT)
    out = project.cli("trim", "--command", "sh tests.sh {app}").stdout
    assert "1 run(s)" in out
    names = (project.root / "pyoxidizer-trim.txt").read_text()
    assert "#   sh tests.sh '{app}'  (exit status 0)" in names
    assert "\ncsv\n" in names and "\n_sqlite3\n" in names  # what the test script's runs used
    assert run_exe(project.exe(), "x", "--csv").stdout == '[["x"]]\na,b\n'


def test_a_command_that_cannot_start_is_one_error_naming_it(project: Project) -> None:
    _write_jsapp(project)
    failed = project.cli("trim", "--command", "./no-such-tests {app}", check=False)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert (
        "run 1 (./no-such-tests '{app}') cannot start: No such file or directory" in failed.stderr
    )
    unsplittable = project.cli("trim", "--command", "sh 'unclosed", check=False)
    assert unsplittable.returncode != 0 and "cannot split the command" in unsplittable.stderr
    assert not (project.root / "pyoxidizer-trim.txt").exists()
