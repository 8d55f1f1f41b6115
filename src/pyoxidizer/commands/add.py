"""``pyoxidizer add DIR``: a working pyoxidizer.toml for an existing Python project.

The project's metadata is read, never executed: ``pyproject.toml``'s ``[project]``
table, then ``setup.py`` (its ``setup(...)`` call's literal ``name=`` and ``entry_points=``,
found with ``ast``), then ``setup.cfg``. The config installs the project with a
``pip-install-simple`` rule (``package = "."``) and runs its first console script
(``eval`` mode) or, without one, its package's ``__main__`` (``module`` mode).
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._fs import write_new
from pyoxidizer._toml import TOMLDecodeError
from pyoxidizer._toml import loads as toml_loads
from pyoxidizer.commands.init import toml_string
from pyoxidizer.config.loader import CONFIG_FILE_NAME
from pyoxidizer.config.validate import application_name_problem
from pyoxidizer.errors import ProjectError

_ENTRY_POINT = re.compile(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(?:\[[^\]]*\])?\s*$")


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    source: str  # the file the name came from
    scripts: tuple[tuple[str, str], ...]  # (command, "module:attr"), in file order


@dataclass(frozen=True)
class RunTarget:
    app_name: str
    mode: str  # "eval" | "module"
    value: str  # the code (eval) or module name (module)
    why: str  # what it runs, for the user


@dataclass(frozen=True)
class Added:
    path: Path
    project: ProjectInfo
    run: RunTarget


# --- reading the project (pure: text in, values out) ------------------------------------


def scripts_from_pyproject(text: str, where: str) -> tuple[str | None, list[tuple[str, str]]]:
    try:
        doc = toml_loads(text)
    except TOMLDecodeError as exc:
        raise ProjectError(f"{where} is not valid TOML: {exc}") from None
    project = doc.get("project")
    if not isinstance(project, dict):
        return None, []
    scripts = project.get("scripts")
    pairs = [(str(k), str(v)) for k, v in scripts.items()] if isinstance(scripts, dict) else []
    name = project.get("name")
    return (name if isinstance(name, str) else None), pairs


def scripts_from_setup_py(text: str, where: str) -> tuple[str | None, list[tuple[str, str]]]:
    try:
        tree = ast.parse(text, where)
    except SyntaxError as exc:
        raise ProjectError(f"{where} cannot be parsed: {exc.msg} (line {exc.lineno})") from None
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_setup(n.func)):
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        name = _literal(keywords.get("name"))
        entry_points = _literal(keywords.get("entry_points"))
        return (name if isinstance(name, str) else None), _console_scripts(entry_points)
    return None, []


def _is_setup(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "setup") or (
        isinstance(func, ast.Attribute) and func.attr == "setup"
    )


def _literal(node: ast.expr | None) -> object:
    """The value of a literal expression; None for anything that would need running code."""
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _console_scripts(entry_points: object) -> list[tuple[str, str]]:
    if isinstance(entry_points, str):
        return _ini_console_scripts(entry_points, "console_scripts")
    if not isinstance(entry_points, dict):
        return []
    value = entry_points.get("console_scripts")
    lines = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    return [_split_assignment(line) for line in lines if isinstance(line, str) and "=" in line]


def _split_assignment(line: str) -> tuple[str, str]:
    key, value = line.split("=", 1)
    return key.strip(), value.strip()


def _ini_console_scripts(text: str, section: str) -> list[tuple[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    if not parser.has_section(section):
        return []
    return [(k.strip(), v.strip()) for k, v in parser.items(section)]


def scripts_from_setup_cfg(text: str, where: str) -> tuple[str | None, list[tuple[str, str]]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, where)
    except configparser.Error as exc:
        raise ProjectError(f"{where} cannot be parsed: {exc}") from None
    name = parser.get("metadata", "name", fallback=None)
    raw = parser.get("options.entry_points", "console_scripts", fallback="")
    scripts = [_split_assignment(line) for line in raw.splitlines() if "=" in line]
    return name, scripts


def entry_point_code(reference: str) -> tuple[str, str] | None:
    """ "pkg.cli:main" -> ("pkg.cli", "...; sys.exit(main())"); None if invalid."""
    m = _ENTRY_POINT.match(reference)
    if m is None:
        return None
    module, attr = m.groups()
    # sys.exit() keeps the script's return value as the exit code, as pip's scripts do.
    return module, f"import sys; from {module} import {attr.split('.')[0]}; sys.exit({attr}())"


def choose_run(project: ProjectInfo, main_packages: list[str]) -> RunTarget:
    """The first usable console script; else a package's ``__main__``; else an error."""
    for command, reference in project.scripts:
        found = entry_point_code(reference)
        if found is not None:
            return RunTarget(command, "eval", found[1], f"console script {command!r} ({reference})")
    wanted = re.sub(r"[-_.]+", "_", project.name).lower()
    ordered = sorted(main_packages, key=lambda p: (p.lower() != wanted, p))
    if ordered:
        return RunTarget(project.name, "module", ordered[0], f"python -m {ordered[0]}")
    raise ProjectError(
        f"{project.source} declares no console script and no package has a __main__.py; "
        "add a [project.scripts] entry (or entry_points console_scripts), or use "
        "pyoxidizer init"
    )


def render_config(project: ProjectInfo, run: RunTarget) -> str:
    run_keys = (
        f"code = {toml_string(run.value)}"
        if run.mode == "eval"
        else (f"module = {toml_string(run.value)}")
    )
    return (
        f"# Packages the Python project {project.name} (read from {project.source}) as one\n"
        "# executable. Generated by `pyoxidizer add`; build it with `pyoxidizer build`.\n"
        "# Every section and key is described in docs/config-reference.md.\n\n"
        f"[[build]]\napplication_name = {toml_string(run.app_name)}\n\n"
        "[[embedded_python_config]]\n\n"
        "# The standard library with all its extension modules.\n"
        '[[packaging_rule]]\ntype = "stdlib-extension-policy"\npolicy = "all"\n\n'
        '[[packaging_rule]]\ntype = "stdlib"\n\n'
        "# The project itself, installed from this directory by pip (setup.py or PEP 517).\n"
        '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "."\n\n'
        f"# Runs {run.why}.\n"
        f'[[embedded_python_run]]\nmode = "{run.mode}"\n{run_keys}\n'
    )


# --- the edge: files ----------------------------------------------------------------------

_READERS = (
    ("pyproject.toml", scripts_from_pyproject),
    ("setup.py", scripts_from_setup_py),
    ("setup.cfg", scripts_from_setup_cfg),
)


def read_project(directory: Path) -> ProjectInfo:
    if not any((directory / f).is_file() for f in ("pyproject.toml", "setup.py")):
        raise ProjectError(f"{directory} has no pyproject.toml or setup.py: not a Python project")
    name: str | None = None
    source = ""
    scripts: list[tuple[str, str]] = []
    for filename, reader in _READERS:
        path = directory / filename
        if path.is_file():
            file_name, file_scripts = reader(_read(path), str(path))
            if name is None and file_name:
                name, source = file_name, str(path)
            scripts = scripts or file_scripts
    if name is None:
        raise ProjectError(
            f"cannot find the project's name in {directory} (pyproject.toml [project] name, "
            "a literal setup(name=...) in setup.py, or setup.cfg [metadata] name)"
        )
    return ProjectInfo(name, source, tuple(scripts))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from None


def main_packages(directory: Path) -> list[str]:
    """Top-level packages (in DIR or DIR/src) that have a ``__main__.py``."""
    found = []
    for root in (directory, directory / "src"):
        if root.is_dir():
            for child in sorted(root.iterdir()):
                if (child / "__init__.py").is_file() and (child / "__main__.py").is_file():
                    found.append(child.name)
    return found


def add_config(directory: Path) -> Added:
    """Write DIR/pyoxidizer.toml for the project in DIR; never overwrite one."""
    directory = Path(os.path.abspath(directory))
    path = directory / CONFIG_FILE_NAME
    if path.exists():
        raise ProjectError(f"{path} already exists; refusing to overwrite it")
    project = read_project(directory)
    run = choose_run(project, main_packages(directory))
    problem = application_name_problem(run.app_name)
    if problem:
        raise ProjectError(f"cannot name the application after {run.why}: the name {problem}")
    try:
        write_new(path, render_config(project, run).encode("utf-8"))
    except FileExistsError:
        raise ProjectError(f"{path} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc.strerror}") from None
    return Added(path, project, run)
