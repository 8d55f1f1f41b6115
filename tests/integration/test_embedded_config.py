"""Each [[embedded_python_config]] key, observed from inside a running executable.

One executable is built with the defaults and one with every key changed; the program
prints what it sees, so each key's effect shows up as a difference between the two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import Project, config_text, run_exe

PROBE = """
import gc, json, os, sys
class Cycle:
    pass
cycle = Cycle()
cycle.me = cycle
del cycle
print(json.dumps({
    'startup_objects_frozen': gc.get_freeze_count() > 0,
    'app_cycles_collected': gc.collect() > 0,
    'dont_write_bytecode': sys.dont_write_bytecode,
    'ignore_environment': sys.flags.ignore_environment,
    'site_imported': 'site' in sys.modules,
    'no_user_site': sys.flags.no_user_site,
    'optimize': sys.flags.optimize,
    'debug': eval('__debug__'),  # compiled now, at the interpreter's optimize level
    'stdout': [sys.stdout.encoding, sys.stdout.errors],
    'stdout_layer': type(sys.stdout.buffer).__name__,
    'path_finder': any(getattr(f, '__name__', '') == 'PathFinder' for f in sys.meta_path),
    'sys_path': sys.path,
    'user_site_enabled': getattr(sys.modules.get('site'), 'ENABLE_USER_SITE', None),
    'frozen': getattr(sys, 'frozen', None),
    'meipass': getattr(sys, '_MEIPASS', None),
    'terminfo': os.environ.get('TERMINFO_DIRS'),
}))
"""

CHANGED = """
dont_write_bytecode = false
ignore_environment = false
no_site = false
no_user_site_directory = false
optimize_level = 2
stdio_encoding = "ascii:replace"
unbuffered_stdio = true
filesystem_importer = true
sys_frozen = true
sys_meipass = true
sys_paths = ["$ORIGIN/lib", "/opt/elsewhere"]
terminfo_resolution = "static"
terminfo_dirs = "/my/terminfo"
write_modules_directory_env = "DUMP_MODULES_HERE"
freeze_startup_objects = false
"""


def _build(project: Project, embedded: str) -> Path:
    project.write("src/probe.py", PROBE)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["probe"]\n'
    run = 'mode = "module"\nmodule = "probe"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run, embedded=embedded))
    return project.build()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TERMINFO_DIRS"}
    env.update({"PYTHONUNBUFFERED": "", "PYTHONDONTWRITEBYTECODE": "", "PYTHONOPTIMIZE": ""})
    env.update(extra)
    return env


def _python_stdout() -> list[str]:
    """What ``python -I`` picks for stdout in the same environment (locale-dependent)."""
    code = "import sys, json; print(json.dumps([sys.stdout.encoding, sys.stdout.errors]))"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, env=_env()
    )
    return list(json.loads(proc.stdout))


def test_defaults(project: Project) -> None:
    exe = _build(project, "")
    proc = run_exe(exe, env=_env(PYTHONOPTIMIZE="2", PYTHONIOENCODING="latin-1"))
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen == {
        "startup_objects_frozen": True,
        "app_cycles_collected": True,  # only what existed before the app's code is frozen
        "dont_write_bytecode": True,
        "ignore_environment": 1,  # so PYTHONOPTIMIZE and PYTHONIOENCODING above had no effect
        "site_imported": False,
        "no_user_site": 1,
        "optimize": 0,
        "debug": True,
        "stdout": _python_stdout(),
        "stdout_layer": "BufferedWriter",
        "path_finder": False,
        "sys_path": [],
        "user_site_enabled": None,
        "frozen": None,
        "meipass": None,
        # dynamic resolution on Debian: ncurses' own search order there
        "terminfo": "/etc/terminfo:/lib/terminfo:/usr/share/terminfo",
    }


def test_every_key_changed(project: Project, tmp_path: Path) -> None:
    exe = _build(project, CHANGED)
    dump = tmp_path / "dump" / "nested"
    # No user site directory here, whatever the machine's home holds.
    env = _env(DUMP_MODULES_HERE=str(dump), PYTHONUSERBASE=str(tmp_path / "nobase"))
    proc = run_exe(exe, env=env)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    origin = str(exe.parent)
    assert seen == {
        "startup_objects_frozen": False,
        "app_cycles_collected": True,
        "dont_write_bytecode": False,
        "ignore_environment": 0,
        "site_imported": True,
        "no_user_site": 0,
        "optimize": 2,
        "debug": False,
        "stdout": ["ascii", "replace"],
        "stdout_layer": "FileIO",
        "path_finder": True,
        "sys_path": [f"{origin}/lib", "/opt/elsewhere"],
        "user_site_enabled": True,
        "frozen": True,
        "meipass": origin,
        "terminfo": "/my/terminfo",
    }
    (dumped,) = dump.glob("modules-*")
    names = dumped.read_text().splitlines()
    assert "__main__" in names and "json" in names and names == sorted(names)


ENVIRONMENT_AND_SITE = """
ignore_environment = false
no_site = false
no_user_site_directory = false
filesystem_importer = true
sys_paths = ["$ORIGIN/lib"]
"""


def test_sys_paths_are_added_to_pythons_own_entries(project: Project, tmp_path: Path) -> None:
    """Spec 7.3.3: sys_paths adds entries; PYTHONPATH, the user site directory and the
    prefix's site-packages stay, in python's order, after them (issue 11, 5)."""
    exe = _build(project, ENVIRONMENT_AND_SITE)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    pythonpath = tmp_path / "pythonpath"
    user_base = tmp_path / "userbase"
    user_site = user_base / "lib" / version / "site-packages"
    site_packages = exe.parent / "lib" / version / "site-packages"  # sys.prefix's
    for directory in (pythonpath, user_site, site_packages):
        directory.mkdir(parents=True)
    env = _env(PYTHONPATH=f"{pythonpath}:relative", PYTHONUSERBASE=str(user_base))
    proc = run_exe(exe, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    expected = [pythonpath, tmp_path / "relative", user_site, site_packages]
    assert seen["sys_path"] == [str(exe.parent / "lib"), *map(str, expected)]
    assert seen["user_site_enabled"] is True
    # python in the same environment has the same entries of its own, in the same order.
    code = "import json, site, sys; print(json.dumps([sys.path, site.ENABLE_USER_SITE]))"
    python = getattr(sys, "_base_executable", sys.executable)  # a venv turns the user site off
    reference = subprocess.run(
        [python, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    python_path, enabled = json.loads(reference.stdout)
    assert enabled is True
    assert [p for p in python_path if p in map(str, expected[:3])] == list(map(str, expected[:3]))


def test_existing_terminfo_dirs_is_kept_and_none_sets_nothing(project: Project) -> None:
    exe = _build(project, "")
    seen = json.loads(run_exe(exe, env=_env(TERMINFO_DIRS="/user/choice")).stdout)
    assert seen["terminfo"] == "/user/choice"
    exe = _build(project, 'terminfo_resolution = "none"')
    assert json.loads(run_exe(exe, env=_env()).stdout)["terminfo"] is None


def test_write_modules_directory_env_unset_writes_nothing(project: Project, tmp_path: Path) -> None:
    exe = _build(project, 'write_modules_directory_env = "DUMP_MODULES_HERE"')
    cwd = tmp_path / "empty"
    cwd.mkdir()
    proc = run_exe(exe, env=_env(), cwd=cwd)
    assert proc.returncode == 0
    assert list(cwd.iterdir()) == []
