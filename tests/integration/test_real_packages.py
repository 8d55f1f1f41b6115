"""Real PyPI packages packaged with the default configuration, embedded, single file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, run_exe

pytestmark = pytest.mark.network  # pip installs from the package index

KITCHEN_SINK = """
import importlib.metadata as md, json, ssl, sys
import numpy as np
a = np.arange(6, dtype=np.float64).reshape(2, 3)
print("numpy", (a @ a.T).tolist())
import yaml
print("yaml", yaml.load("a: [1, 2]", Loader=yaml.CLoader), yaml.__with_libyaml__)
import pydantic
class Model(pydantic.BaseModel):
    x: int
    tags: list[str] = []
print("pydantic", Model(x="3", tags=["a"]).model_dump())
try:
    Model(x="nope")
except pydantic.ValidationError as exc:
    print("pydantic-error", exc.errors()[0]["type"])
from rich.console import Console
from rich.table import Table
table = Table("name", "value")
table.add_row("pi", "3.14")
Console(width=30, color_system=None).print(table)
import certifi
context = ssl.create_default_context(cafile=certifi.where())
print("certifi", len(context.get_ca_certs()) > 50)
print("versions", json.dumps({n: md.version(n) for n in sys.argv[1:]}))
print("extension files", [type(m.__spec__.loader).__name__ for m in (np.core._multiarray_umath if hasattr(np, "core") else np._core._multiarray_umath, yaml._yaml)])
"""

PACKAGES = ["numpy", "PyYAML", "pydantic", "pydantic_core", "rich", "certifi"]


def _pip_rule(*packages: str) -> str:
    extra = ", ".join(f'"{p}"' for p in packages[1:])
    return f'[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "{packages[0]}"\nextra_args = [{extra}]\n'


def _app_rule(name: str) -> str:
    return f'[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["{name}"]\n'


def _reference_versions(tmp_path: Path, packages: list[str]) -> dict[str, str]:
    target = tmp_path / "ref"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *packages],
        check=True,
        capture_output=True,
    )
    code = "import importlib.metadata as md, json, sys; print(json.dumps({n: md.version(n) for n in sys.argv[1:]}))"
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code, *packages], capture_output=True, text=True, env=env, check=True
    )
    return dict(json.loads(out.stdout))


def test_binary_wheels_and_metadata_from_memory(project: Project, tmp_path: Path) -> None:
    project.write("src/sink/__main__.py", KITCHEN_SINK)
    project.write("src/sink/__init__.py", "")
    rules = _pip_rule("numpy", "pyyaml", "pydantic>=2", "rich", "certifi") + _app_rule("sink")
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run='mode = "module"\nmodule = "sink"')
    )
    exe = project.build()
    proc = run_exe(exe, *PACKAGES)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "numpy [[5.0, 14.0], [14.0, 50.0]]"
    assert lines[1] == "yaml {'a': [1, 2]} True"
    assert lines[2] == "pydantic {'x': 3, 'tags': ['a']}"
    assert lines[3] == "pydantic-error int_parsing"
    assert "┃ name ┃ value ┃" in proc.stdout and "│ pi   │ 3.14  │" in proc.stdout
    assert "certifi True" in lines
    versions = json.loads(
        next(line for line in lines if line.startswith("versions ")).split(" ", 1)[1]
    )
    assert versions == _reference_versions(tmp_path, PACKAGES)
    assert lines[-1] == "extension files ['OxidizedFinder', 'OxidizedFinder']"
    assert not (exe.parent / "lib").exists() and sorted(p.name for p in exe.parent.iterdir()) == [
        exe.name
    ]


def test_extension_modules_load_without_writing_files(project: Project, tmp_path: Path) -> None:
    rules = _pip_rule("numpy", "pyyaml")
    code = "import numpy, yaml._yaml; print(numpy.ones(3).sum())"
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run=f'mode = "eval"\ncode = "{code}"')
    )
    exe = project.build()
    log = tmp_path / "trace"
    proc = subprocess.run(
        [
            "strace",
            "-f",
            "-e",
            "trace=openat,open,creat,memfd_create,mkdir",
            "-o",
            str(log),
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.stdout == "3.0\n", proc.stderr
    calls = log.read_text().splitlines()
    assert sum("memfd_create(" in c for c in calls) > 5  # numpy's extensions and its bundled libs
    created = [c for c in calls if "O_CREAT" in c or "creat(" in c or "mkdir(" in c]
    assert created == []


PLUGIN_SETUP = """
from setuptools import setup
setup(
    name="ox-lexer-plugin",
    version="0.1",
    py_modules=["oxlexer"],
    entry_points={"pygments.lexers": ["oxlang = oxlexer:OxLexer"]},
)
"""
PLUGIN_MODULE = """
from pygments.lexer import RegexLexer
from pygments.token import Keyword, Text
class OxLexer(RegexLexer):
    name = "Ox"
    aliases = ["oxlang"]
    tokens = {"root": [(r"oxidize", Keyword), (r"[^o]+|o", Text)]}
"""


def test_pygmentize_finds_lexers_and_entry_point_plugins(project: Project, tmp_path: Path) -> None:
    project.write("plugin/setup.py", PLUGIN_SETUP)
    project.write("plugin/oxlexer.py", PLUGIN_MODULE)
    rules = _pip_rule("pygments", str(project.root / "plugin"))
    run = 'mode = "eval"\ncode = "import sys; from pygments.cmdline import main; sys.exit(main([\'pygmentize\', *sys.argv[1:]]))"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    exe = project.build()
    source = project.write("sample.py", "def f(x):\n    return x + 1\n")
    ours = run_exe(exe, "-l", "python", "-f", "html", str(source))
    target = tmp_path / "ref"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "pygments"],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    theirs = subprocess.run(
        [sys.executable, "-m", "pygments", "-l", "python", "-f", "html", str(source)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout == theirs.stdout and '<span class="k">def</span>' in ours.stdout
    plugin = run_exe(exe, "-l", "oxlang", "-f", "raw", input="we oxidize\n")
    assert plugin.returncode == 0, plugin.stderr
    assert "Token.Keyword\t'oxidize'" in plugin.stdout


TEMPLATE_APP = """
import jinja2
env = jinja2.Environment(loader=jinja2.PackageLoader("tplapp", "templates"))
print(env.get_template("hello.txt").render(name="oxidizer"))
import tplapp, sys
print(tplapp.__file__.startswith(sys.executable.rsplit("/", 1)[0] + "/lib/"))
"""


def test_jinja2_package_loader_with_file_based_packages(project: Project) -> None:
    project.write("src/tplapp/__init__.py", "")
    project.write("src/tplapp/__main__.py", TEMPLATE_APP)
    project.write("src/tplapp/templates/hello.txt", "Hello {{ name }}!")
    rules = _pip_rule("jinja2") + _app_rule("tplapp")
    rules += '[[packaging_rule]]\ntype = "file-based-packages"\npackages = ["tplapp"]\ndetect_dunder_file = false\n'
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run='mode = "module"\nmodule = "tplapp"')
    )
    err = project.cli("build", "--verbose").stderr
    assert "moved to app-relative:lib" in err
    exe = project.exe()
    proc = run_exe(exe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello oxidizer!\nTrue\n"
    assert (exe.parent / "lib/tplapp/templates/hello.txt").is_file()
    # only what was asked for leaves the executable
    assert not (exe.parent / "lib/jinja2").exists()


def test_file_based_packages_detects_dunder_file_users(project: Project) -> None:
    project.write(
        "src/needsfile/__init__.py",
        "import os\nHERE = os.path.dirname(__file__)\nDATA = open(os.path.join(HERE, 'd.txt')).read()\n",
    )
    project.write("src/needsfile/d.txt", "from disk")
    project.write("src/plain/__init__.py", "X = 1\n")
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["needsfile", "plain"]\n'
    run = 'mode = "eval"\ncode = "import needsfile, plain; print(needsfile.DATA, hasattr(plain, \'__file__\'))"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    build = project.cli("build")
    assert "module needsfile" in build.stderr and "uses __file__" in build.stderr
    assert run_exe(project.exe()).returncode == 1  # NameError: __file__ is not defined
    rules += '[[packaging_rule]]\ntype = "file-based-packages"\n'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    proc = run_exe(project.build())
    assert proc.stdout == "from disk False\n", proc.stderr


def test_virtual_module_files_opt_in(project: Project) -> None:
    project.write("src/vf/__init__.py", "class Thing:\n    pass\n")
    project.write("src/vf/data.txt", "virtual data")
    code = "import inspect, pkgutil, sys, vf; print(vf.__file__ == sys.executable + '/vf/__init__.py', pkgutil.get_data('vf', 'data.txt').decode(), inspect.getsource(vf.Thing).split()[1])"
    project.write(
        "pyoxidizer.toml",
        config_text(
            rules=_app_rule("vf"),
            run=f'mode = "eval"\ncode = "{code}"',
            embedded="virtual_module_files = true",
        ),
    )
    proc = run_exe(project.build())
    assert proc.stdout == "True virtual data Thing:\n", proc.stderr


def _peak_rss_kb(exe: Path) -> int:
    code = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return int(run_exe(exe, code).stdout)


def test_big_resource_is_not_copied_into_memory(project: Project) -> None:
    project.write("src/small.py", "X = 1\n")
    big = project.root / "src" / "bigpkg"
    big.mkdir(parents=True)
    (big / "__init__.py").write_text("")
    (big / "blob.bin").write_bytes(os.urandom(1 << 20) * 100)  # 100 MiB
    run = 'mode = "eval"\ncode = "import sys, small; exec(sys.argv[1])"'
    project.write("pyoxidizer.toml", config_text(rules=_app_rule("small"), run=run))
    hello = project.build()
    hello_copy = hello.parent.parent / "hello-copy"
    hello_copy.write_bytes(hello.read_bytes())
    hello_copy.chmod(0o755)
    # Stored as it is (compression = "none"), the resource is read only when asked for.
    rules = (
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["small", "bigpkg"]\n'
        'compression = "none"\n'
    )
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    fat = project.build()
    assert fat.stat().st_size > hello_copy.stat().st_size + 100_000_000
    assert _peak_rss_kb(fat) < _peak_rss_kb(hello_copy) + 10_000  # well under the 100 MiB
    read = "import importlib.resources as r, resource; d = (r.files('bigpkg') / 'blob.bin').read_bytes(); print(len(d))"
    assert run_exe(fat, read).stdout == f"{100 << 20}\n"


def test_mypyc_compiled_package_from_memory(project: Project) -> None:
    # black's wheels are compiled with mypyc: every module is an extension, plus one shared
    # "<hash>__mypyc" extension they all import. blib2to3 reads grammar files next to
    # __file__, so it goes to disk; black's compiled modules stay in memory.
    code = (
        "import sys, black, black.linegen;"
        "print(black.format_str('x=( 1,2 )', mode=black.Mode()), end='');"
        "shared = [m for n, m in sys.modules.items() if n.endswith('__mypyc')];"
        "print(type(black.linegen.__spec__.loader).__name__, [type(m.__spec__.loader).__name__ for m in shared])"
    )
    rules = _pip_rule("black==24.10.0", "--only-binary", ":all:")
    rules += '[[packaging_rule]]\ntype = "file-based-packages"\npackages = ["blib2to3"]\ndetect_dunder_file = false\n'
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run=f'mode = "eval"\ncode = "{code}"')
    )
    proc = run_exe(project.build())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "x = (1, 2)\nOxidizedFinder ['OxidizedFinder']\n"


def test_black_walkthrough_without_manual_rules(project: Project) -> None:
    project.write("requirements.txt", "black==19.3b0\nclick<8.1\n")
    rules = '[[packaging_rule]]\ntype = "pip-requirements-file"\nrequirements_path = "requirements.txt"\n'
    rules += '[[packaging_rule]]\ntype = "file-based-packages"\n'
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run='mode = "module"\nmodule = "black"')
    )
    exe = project.build()
    target = project.write("ugly.py", "x = [ 1,2 ]\n")
    proc = run_exe(exe, str(target))
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "x = [1, 2]\n"
    assert (exe.parent / "lib" / "blib2to3").is_dir()  # it uses __file__: moved out
    assert not (exe.parent / "lib" / "click").exists()  # click does not: stays embedded


GHOST_C = "int ghost_value(void) { return 42; }\n"
USES_GHOST_C = """
#include <Python.h>
int ghost_value(void);
static PyObject *value(PyObject *self, PyObject *args) { (void)self; (void)args; return PyLong_FromLong(ghost_value()); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_haunted", NULL, -1, methods};
PyMODINIT_FUNC PyInit__haunted(void) { return PyModule_Create(&def); }
"""


def _build_native_package(project: Project, with_library: bool) -> None:
    import sysconfig

    pkg = project.root / "src" / "haunted"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from ._haunted import value\n")
    libdir = pkg if with_library else project.root / "elsewhere"
    libdir.mkdir(exist_ok=True)
    (project.root / "ghost.c").write_text(GHOST_C)
    (project.root / "uses.c").write_text(USES_GHOST_C)
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-Wl,-soname,libghost.so",
            "-o",
            str(libdir / "libghost.so"),
            str(project.root / "ghost.c"),
        ],
        check=True,
    )
    ext = pkg / ("_haunted" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-I",
            sysconfig.get_path("include"),
            "-o",
            str(ext),
            str(project.root / "uses.c"),
            "-L",
            str(libdir),
            "-lghost",
            "-Wl,-rpath,$ORIGIN",
        ],
        check=True,
    )
    project.write(
        "pyoxidizer.toml",
        config_text(
            rules=_app_rule("haunted"),
            run='mode = "eval"\ncode = "import haunted; print(haunted.value())"',
        ),
    )


def test_library_next_to_an_extension_module_loads_from_memory(project: Project) -> None:
    _build_native_package(project, with_library=True)
    build = project.cli("build")
    assert "cannot load from memory" not in build.stderr
    exe = project.exe()
    assert run_exe(exe).stdout == "42\n"
    assert sorted(p.name for p in exe.parent.iterdir()) == [exe.name]


def test_build_says_when_an_extension_module_cannot_load_from_memory(project: Project) -> None:
    _build_native_package(project, with_library=False)
    build = project.cli("build")
    assert "extension module haunted._haunted needs libghost.so" in build.stderr
    assert "cannot load from memory" in build.stderr and "file-based-packages" in build.stderr
    assert run_exe(project.exe()).returncode == 1  # as the warning said
