"""App-relative modules run the bytecode the build wrote, wherever the app is copied.

The build compiles each module at its rule's ``optimize_level``. CPython must use that
bytecode as it is: from the build directory, from an extracted tarball or Debian package,
and from a copy that did not keep the files' times. Each test makes the rule's level
observable (asserts and docstrings stripped) and watches with strace that no source is
compiled: ``dont_write_bytecode = false`` makes CPython write a ``__pycache__`` file for
every module it compiles, so a compile would show up as a write attempt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, traced

OPT_PACKAGE = '''"""doc"""
from . import helper
try:
    assert False
    R = "kept"
except AssertionError:
    R = "raised"
'''
RUN = 'mode = "eval"\ncode = "import optpkg; print(optpkg.R, optpkg.__doc__, optpkg.helper.X)"'
RULE = """
[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["optpkg"]
install_location = "app-relative:lib"
optimize_level = 2
{extra}
"""


def _build(project: Project, rule_extra: str = "", embedded: str = "", dists: str = "") -> Path:
    project.write("src/optpkg/__init__.py", OPT_PACKAGE)
    project.write("src/optpkg/helper.py", "X = 'helper'\n")
    embedded = 'sys_paths = ["$ORIGIN/lib"]\ndont_write_bytecode = false\n' + embedded
    rules = RULE.format(extra=rule_extra)
    project.write("pyoxidizer.toml", config_text(run=RUN, rules=rules, embedded=embedded) + dists)
    return project.build()


def _files(lib: Path) -> list[str]:
    return sorted(p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file())


def _writes(calls: list[str]) -> list[str]:
    """System calls that create or write a file or a directory."""
    return [
        c
        for c in calls
        if "O_WRONLY" in c or "O_RDWR" in c or "O_CREAT" in c or "mkdir" in c or "rename" in c
    ]


def _run_without_compiling(exe: Path, tmp_path: Path) -> list[str]:
    """Run the app; check the rule's bytecode ran and nothing was compiled; strace's lines."""
    proc, calls = traced([str(exe)], tmp_path / "strace.log")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "kept None helper\n"  # optimize_level = 2: the build's bytecode
    assert any("optpkg" in c for c in calls)  # strace saw the imports
    assert _writes([c for c in calls if "optpkg" in c]) == []
    return calls


def test_without_source_only_sourceless_pycs_are_written_and_run(
    project: Project, tmp_path: Path
) -> None:
    exe = _build(project, "include_source = false")
    lib = exe.parent / "lib"
    assert _files(lib) == ["optpkg/__init__.pyc", "optpkg/helper.pyc"]
    calls = _run_without_compiling(exe, tmp_path)
    # FileFinder stats the names a module could have; it never opens a source.
    assert [c for c in calls if '.py"' in c and "open" in c] == []


@pytest.mark.parametrize("interpreter_level", [0, 1])
def test_with_source_the_pyc_is_named_for_the_interpreters_level(
    project: Project, tmp_path: Path, interpreter_level: int
) -> None:
    exe = _build(project, embedded=f"optimize_level = {interpreter_level}")
    lib = exe.parent / "lib"
    tag = f".opt-{interpreter_level}" if interpreter_level else ""
    cache_tag = next((lib / "optpkg/__pycache__").iterdir()).name.split(".")[1]
    assert _files(lib) == [
        "optpkg/__init__.py",
        f"optpkg/__pycache__/__init__.{cache_tag}{tag}.pyc",
        f"optpkg/__pycache__/helper.{cache_tag}{tag}.pyc",
        "optpkg/helper.py",
    ]
    _run_without_compiling(exe, tmp_path)


def test_an_edited_source_is_compiled_again(project: Project, tmp_path: Path) -> None:
    exe = _build(project)
    (exe.parent / "lib/optpkg/helper.py").write_text("X = 'edited'\n")
    proc, _ = traced([str(exe)], tmp_path / "strace.log")
    assert proc.stdout == "kept None edited\n", proc.stderr


def _untar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        safe: dict[str, str] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest, **safe)  # type: ignore[arg-type]


@pytest.mark.parametrize("epoch", ["0", "1700000000"])
def test_extracted_tarball_and_a_copy_of_it_do_not_compile(
    project: Project, tmp_path: Path, epoch: str
) -> None:
    exe = _build(project, dists='\n[[distribution]]\ntype = "tarball"\npath_prefix = "app"\n')
    env = {**project.env(), "SOURCE_DATE_EPOCH": epoch}
    proc = subprocess.run(
        [*project.cli_argv(), "distribution"], cwd=project.root, env=env, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    _untar(project.root / "build/distributions/app-x86_64-unknown-linux-gnu-debug.tar.gz", tmp_path)
    extracted = tmp_path / "app"
    _run_without_compiling(extracted / exe.name, tmp_path)
    # A copy that keeps no times (cp without -p, many CI caches, some container layers).
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(extracted), str(copy)], check=True)
    os.utime(copy / "lib/optpkg/helper.py", (2_000_000_000, 2_000_000_000))
    _run_without_compiling(copy / exe.name, tmp_path)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_extracted_deb_does_not_compile(project: Project, tmp_path: Path) -> None:
    exe = _build(project, dists='\n[[distribution]]\ntype = "deb"\nversion = "1.0"\n')
    project.cli("distribution", "--type", "deb")
    (deb,) = (project.root / "build/distributions").glob("*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "root")], check=True)
    _run_without_compiling(tmp_path / "root/opt/app" / exe.name, tmp_path)


def test_an_app_relative_standard_library_starts_and_imports_from_lib(project: Project) -> None:
    """Issue 11, 2: ``stdlib`` with ``install_location = "app-relative:lib"`` and
    ``sys_paths = ["$ORIGIN/lib"]`` built an app that died with ``init_fs_encoding ... No
    module named 'encodings'``: sys_paths applies only after Python has started."""
    code = (
        "import json, sqlite3, encodings, sys; "
        "print(json.__file__.split('/')[-3:], sqlite3.__name__, hasattr(encodings, '__file__'))"
    )
    project.write(
        "pyoxidizer.toml",
        config_text(
            run=f'mode = "eval"\ncode = "{code}"', embedded='sys_paths = ["$ORIGIN/lib"]'
        ).replace('type = "stdlib"\n', 'type = "stdlib"\ninstall_location = "app-relative:lib"\n'),
    )
    exe = project.build()
    assert (exe.parent / "lib/json/__init__.py").is_file()
    assert not (exe.parent / "lib/encodings").exists()  # Python imports it before sys.path
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "['lib', 'json', '__init__.py'] sqlite3 False\n"


# A package whose __init__ is a compiled extension module, as mypyc builds them (black's
# wheel has black/__init__.cpython-311-x86_64-linux-gnu.so beside black/__init__.py).
COMPILED_INIT_C = """
#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "oxcompiled", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_oxcompiled(void) {
    PyObject *m = PyModule_Create(&def);
    if (m && PyModule_AddStringConstant(m, "WHO", "compiled") < 0) Py_CLEAR(m);
    return m;
}
"""


@pytest.mark.parametrize("where", ["embedded", "app-relative"])
def test_a_package_whose_init_is_an_extension_module(project: Project, where: str) -> None:
    import sysconfig

    package = project.root / "src" / "oxcompiled"
    project.write("src/oxcompiled/__init__.py", "WHO = 'source'\n")
    project.write("src/oxcompiled/sub.py", "X = 42\n")
    project.write("init.c", COMPILED_INIT_C)
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-I",
            include,
            "-o",
            str(package / f"__init__{suffix}"),
            str(project.root / "init.c"),
        ],
        check=True,
    )
    location = 'install_location = "app-relative:lib"\n' if where == "app-relative" else ""
    rules = (
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\n'
        f'packages = ["oxcompiled"]\n{location}'
    )
    run = (
        'mode = "eval"\ncode = "import oxcompiled.sub as s, oxcompiled; print(oxcompiled.WHO, s.X)"'
    )
    embedded = 'sys_paths = ["$ORIGIN/lib"]' if where == "app-relative" else ""
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run, embedded=embedded))
    exe = project.build()
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert proc.stdout == "compiled 42\n", proc.stderr  # python, too, prefers the extension
    if where == "app-relative":
        assert (exe.parent / "lib" / "oxcompiled" / f"__init__{suffix}").is_file()
        assert not (exe.parent / "lib" / f"oxcompiled{suffix}").exists()
