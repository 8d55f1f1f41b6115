"""Packaging rules that install real packages: the spec's walkthroughs, setup.py, virtualenvs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, run_exe

pytestmark = pytest.mark.network  # pip installs from the package index

# Spec 4.2, verbatim as printed (including its "stdlib-extensions-policy" spelling).
PYFLAKES_CONFIG = """
# Multiple [[python_distribution]] sections elided for brevity.

[[build]]
application_name = "pyflakes"

[[embedded_python_config]]
raw_allocator = "system"

[[packaging_rule]]
type = "stdlib-extensions-policy"
policy = "all"

[[packaging_rule]]
type = "stdlib"
include_source = false

[[packaging_rule]]
type = "pip-install-simple"
package = "pyflakes==2.1.1"

[[embedded_python_run]]
mode = "eval"
code = "from pyflakes.api import main; main() "
"""

# Spec 4.4 after its fix: app-relative:lib + sys_paths. black 19.3b0 needs click<8.1,
# so the packages come from a requirements file.
BLACK_CONFIG = """
[[build]]
application_name = "black"

[[embedded_python_config]]
raw_allocator = "system"
sys_paths = ["$ORIGIN/lib"]

[[packaging_rule]]
type = "stdlib-extensions-policy"
policy = "all"

[[packaging_rule]]
type = "stdlib"
include_source = false

[[packaging_rule]]
type = "pip-requirements-file"
requirements_path = "requirements.txt"
install_location = "app-relative:lib"

[[embedded_python_run]]
mode = "module"
module = "black"
"""


def _reference(
    tmp_path: Path, requirements: list[str], module: str, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module`` from a plain pip install, for comparison."""
    target = tmp_path / "reference"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *requirements],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_pyflakes_walkthrough_matches_python(project: Project, tmp_path: Path) -> None:
    project.write("pyoxidizer.toml", PYFLAKES_CONFIG)
    project.write("victim.py", "import os\nimport sys\nprint(sys.argv)\n")
    build = project.cli("build")
    assert (
        "pyflakes.checker" in build.stderr and "uses __file__" in build.stderr
    )  # the spec's warning
    ours = run_exe(project.exe(), "victim.py", cwd=project.root)
    theirs = _reference(tmp_path, ["pyflakes==2.1.1"], "pyflakes", "victim.py", cwd=project.root)
    assert ours.stdout == theirs.stdout == "victim.py:1: 'os' imported but unused\n"
    assert ours.returncode == theirs.returncode == 1
    # pip installs afresh each build, but the same files make the same app
    assert "application is up to date" in project.cli("build").stderr


def test_black_walkthrough_formats_like_black(project: Project, tmp_path: Path) -> None:
    project.write("pyoxidizer.toml", BLACK_CONFIG)
    project.write("requirements.txt", "black==19.3b0\nclick<8.1\n")
    ugly = 'x = {  "a":37,"b":42,\n"c":927}\ndef f(a,):\n  return a\n'
    exe = project.build()
    lib = exe.parent / "lib"
    assert (lib / "black.py").is_file() and (lib / "blib2to3").is_dir()
    assert list((lib / "__pycache__").glob("black.cpython-*.pyc"))
    no_paths = run_exe(exe)
    assert no_paths.returncode == 0 and "No paths given. Nothing to do" in no_paths.stderr
    ours_file, theirs_file = project.write("ours.py", ugly), project.write("theirs.py", ugly)
    ours = run_exe(exe, str(ours_file))
    theirs = _reference(
        tmp_path, ["black==19.3b0", "click<8.1"], "black", str(theirs_file), cwd=project.root
    )
    assert ours.returncode == theirs.returncode == 0
    assert ours_file.read_text() == theirs_file.read_text() != ugly


SETUP_PY = """
import os, sys
from setuptools import setup, Extension
# Observable effects of extra_env and extra_global_arguments:
version = os.environ.get("DEMO_VERSION", "1.2.3")
packages = ["demo"]
if "--with-extras" in sys.argv:
    sys.argv.remove("--with-extras")
    packages.append("demo.extras")
setup(
    name="demo-native",
    version=version,
    packages=packages,
    package_data={"demo": ["data.txt"]},
    ext_modules=[Extension("demo._speed", ["speed.c"])],
)
"""

SPEED_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *triple(PyObject *self, PyObject *arg) {
    (void)self;
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(3 * v);
}
static PyMethodDef methods[] = {{"triple", triple, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&def); }
"""

DEMO_RUN = 'mode = "eval"\ncode = "import demo, demo._speed as s; print(demo.NAME, s.triple(14))"'


def _write_native_project(project: Project) -> Path:
    root = project.root / "native"
    project.write("native/setup.py", SETUP_PY)
    project.write("native/speed.c", SPEED_C)
    project.write("native/demo/__init__.py", "NAME = 'demo'\n")
    project.write("native/demo/data.txt", "payload data\n")
    project.write("native/demo/extras/__init__.py", "")
    project.write("native/demo/unused.py", "")
    return root


def test_setup_py_install_with_c_extension(project: Project) -> None:
    native = _write_native_project(project)
    rules = (
        '[[packaging_rule]]\ntype = "setup-py-install"\npackage_path = "native"\n'
        'extra_env = { DEMO_VERSION = "7.7" }\nextra_global_arguments = ["--with-extras"]\n'
    )
    run = DEMO_RUN.replace(
        "print(", "import demo.extras, importlib.metadata as md; print(md.version('demo-native'), "
    )
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    exe = project.build()
    assert run_exe(exe).stdout == "7.7 demo 42\n"
    from pyoxidizer.payload.format import Kind
    from pyoxidizer.payload.reader import locate_payload, read_payload

    contents = read_payload(locate_payload(exe.read_bytes())[0])
    assert "demo._speed" in contents.by_kind(Kind.EXTENSION)
    assert any(n.startswith("demo_native-7.7") for n in contents.by_kind(Kind.DIST_INFO))
    assert sorted(p.name for p in native.iterdir()) == ["demo", "setup.py", "speed.c"]  # untouched


def test_virtualenv_rule_packages_an_installed_project(project: Project) -> None:
    native = _write_native_project(project)
    venv = project.root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # Install with the interpreter itself, pointed at the venv's site-packages.
    site = next(venv.glob("lib/python3.*/site-packages"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(site), str(native)],
        check=True,
        capture_output=True,
    )
    rules = '[[packaging_rule]]\ntype = "virtualenv"\npath = "venv"\nexcludes = ["demo.unused"]\n'
    run = DEMO_RUN.replace(
        "print(", "import importlib.util as u; print(u.find_spec('demo.unused'), "
    )
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    assert run_exe(project.build()).stdout == "None demo 42\n"  # excluded, the rest packaged


def _payload_size(exe: Path) -> int:
    from pyoxidizer.payload.reader import locate_payload

    return len(locate_payload(exe.read_bytes())[0])


def test_two_phase_slimming(project: Project, tmp_path: Path) -> None:
    dump = tmp_path / "dumps"
    embedded = 'write_modules_directory_env = "MODULES_DUMP"'
    run = 'mode = "eval"\ncode = "import json; print(json.dumps([1, 2]))"'
    project.write("pyoxidizer.toml", config_text(run=run, embedded=embedded))
    fat = project.build()
    fat_payload = _payload_size(fat)
    assert run_exe(fat, env={**os.environ, "MODULES_DUMP": str(dump)}).stdout == "[1, 2]\n"
    dumped = list(dump.glob("modules-*"))
    assert len(dumped) == 1
    slim_rules = f'[[packaging_rule]]\ntype = "filter-include"\nglob_files = ["{dump}/modules-*"]\nfiles = ["extra-allow"]\n'
    project.write("extra-allow", "# comment lines and blank lines are ignored\n\nunittest\n")
    project.write("pyoxidizer.toml", config_text(run=run, embedded=embedded, rules=slim_rules))
    slim = project.build()
    # The payloads compare: the launcher is the same, and bigger than a slim payload.
    assert _payload_size(slim) < fat_payload / 2
    assert run_exe(slim).stdout == "[1, 2]\n"
    # Ask the embedded finder directly: importing importlib.util would need modules the
    # filter (rightly) removed.
    probe = "mode = \"eval\"\ncode = \"import sys; f = sys.meta_path[-1]; print(f.find_spec('unittest') is not None, f.find_spec('csv'))\""
    project.write("pyoxidizer.toml", config_text(run=probe, embedded=embedded, rules=slim_rules))
    assert run_exe(project.build()).stdout == "True None\n"


def test_write_license_files(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyflakes==2.1.1"\n\n[[packaging_rule]]\ntype = "write-license-files"\npath = "licenses"\n'
    project.write("pyoxidizer.toml", config_text(rules=rules))
    exe = project.build()
    licenses = exe.parent / "licenses"
    assert "Python Software Foundation" in (licenses / "python" / "LICENSE.txt").read_text()
    assert "Copyright" in (licenses / "pyflakes-2.1.1" / "LICENSE").read_text()


def _assert_rule_error(project: Project, rules: str, *needles: str) -> None:
    project.write("pyoxidizer.toml", config_text(rules=rules))
    proc = project.cli("build", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert not (project.root / "build" / "apps").exists()
    assert not (project.root / "build" / "work").exists()


def test_bad_inputs_name_the_rule_and_the_cause(project: Project) -> None:
    _assert_rule_error(
        project,
        '[[packaging_rule]]\ntype = "pip-requirements-file"\nrequirements_path = "missing.txt"\n',
        "#3",
        "pip-requirements-file",
        "missing.txt",
        "cannot be read: No such file or directory",
    )
    _assert_rule_error(
        project,
        '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "pyoxidizer-no-such-package-xyz==9.9"\n',
        "#3",
        "pip-install-simple",
        "failed",
    )
    (project.root / "notutf8").write_bytes(b"json\n\xff\xfe\n")
    _assert_rule_error(
        project,
        '[[packaging_rule]]\ntype = "filter-include"\nfiles = ["notutf8"]\n',
        "#3",
        "filter-include",
        "notutf8",
        "not valid UTF-8",
    )
    _assert_rule_error(
        project,
        '[[packaging_rule]]\ntype = "virtualenv"\npath = "novenv"\n',
        "#3",
        "virtualenv",
        "novenv",
    )


def test_pip_sees_pyoxidizer_env_and_target_interpreter(project: Project) -> None:
    pkg = project.root / "probe_pkg"
    project.write(
        "probe_pkg/setup.py",
        "import os, sys\nfrom setuptools import setup\nassert os.environ.get('PYOXIDIZER') == '1', 'PYOXIDIZER not set'\nsetup(name='probe-pkg', version='1.0', py_modules=['probe_mod'])\n",
    )
    project.write("probe_pkg/probe_mod.py", "VALUE = 'installed'\n")
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required")
    rules = f'[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "{pkg}"\nextra_args = ["--no-deps"]\n'
    project.write(
        "pyoxidizer.toml",
        config_text(
            rules=rules, run='mode = "eval"\ncode = "import probe_mod; print(probe_mod.VALUE)"'
        ),
    )
    assert run_exe(project.build()).stdout == "installed\n"


def test_namespace_package_spread_over_two_rules(project: Project) -> None:
    project.write("one/nsx/alpha.py", "NAME = 'alpha'\n")
    project.write("two/nsx/beta.py", "NAME = 'beta'\n")
    rules = "".join(
        f'[[packaging_rule]]\ntype = "package-root"\npath = "{d}"\npackages = ["nsx"]\n'
        for d in ("one", "two")
    )
    code = "import pkgutil, nsx.alpha, nsx.beta; print(nsx.alpha.NAME, nsx.beta.NAME, sorted(m.name for m in pkgutil.iter_modules(nsx.__path__)))"
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run=f'mode = "eval"\ncode = "{code}"')
    )
    assert run_exe(project.build()).stdout == "alpha beta ['alpha', 'beta']\n"


def test_verbose_explains_each_rule_and_last_write_wins(project: Project) -> None:
    project.write("src/calendar.py", "WHO = 'mine'\n")
    project.write("src/skipme.py", "")
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["calendar", "skipme"]\nexcludes = ["skipme"]\n'
    project.write(
        "pyoxidizer.toml",
        config_text(
            rules=rules, run='mode = "eval"\ncode = "import calendar; print(calendar.WHO)"'
        ),
    )
    err = project.cli("build", "--verbose").stderr
    assert "[[packaging_rule]] #2 (type = 'stdlib'):" in err and "added from:" in err
    assert "#3 (type = 'package-root'): 1 replaced, 1 skipped" in err
    assert "replaced (last write wins): module calendar" in err
    assert "skipped (matches excludes): module skipme" in err
    assert run_exe(project.exe()).stdout == "mine\n"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if "build" not in p.parts}


def test_pip_install_simple_of_the_project_writes_nothing_into_it(project: Project) -> None:
    project.write(
        "pyproject.toml",
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "inplace"\nversion = "1.0"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n',
    )
    project.write("src/inplace/__init__.py", "VALUE = 'from a copy'\n")
    rules = '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "."\n'
    code = 'mode = "eval"\ncode = "import inplace; print(inplace.VALUE)"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=code))
    before = _tree(project.root)
    assert run_exe(project.build()).stdout == "from a copy\n"
    assert _tree(project.root) == before  # no src/inplace.egg-info
    assert sorted(p.name for p in (project.root / "build").iterdir()) == [".lock", "apps"]
