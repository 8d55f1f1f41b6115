"""Rules that install packages with Python's own tools, then package what was installed.

``pip-install-simple``, ``pip-requirements-file`` and ``setup-py-install`` run the target
distribution's interpreter (so wheels match its version and platform tags) into a fresh
directory with ``PYOXIDIZER=1`` set; ``virtualenv`` reads an existing environment.
Whatever lands there is scanned like a ``site-packages`` directory.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pyoxidizer._fs import copy_tree, regular_file_problem
from pyoxidizer._walk import Budget, TooMany, kernel_file_system
from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.scan import scan_root
from pyoxidizer.config.rules import (
    REQUIREMENTS_FILE_LIMIT,
    PipInstallSimple,
    PipRequirementsFile,
    ResourceOptions,
    SetupPyInstall,
    Virtualenv,
)
from pyoxidizer.errors import RuleError, quote
from pyoxidizer.pythondist.host import HOST_TARGET


def ext_suffixes(ctx: RuleContext) -> tuple[str, ...]:
    return (ctx.dist.ext_suffix, ".abi3.so", ".so")


def add_site_dir(
    site: Path, rule: ResourceOptions, ctx: RuleContext, label: str, skip: tuple[str, ...] = ()
) -> int:
    found = (
        f
        for f in scan_root(site, ext_suffixes(ctx))
        if f.path.relative_to(site).parts[0] not in skip
    )
    return add_found(found, FileRuleOptions.of(rule), ctx.collector, label)


def _env(ctx: RuleContext, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYOXIDIZER"] = "1"
    # pip, setuptools and compilers put their temporary files in the build's scratch space,
    # which the build removes even when the installer is killed.
    tmp = ctx.work_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp)
    env.update(extra or {})
    return env


def _run(cmd: list[str], label: str, ctx: RuleContext, env: dict[str, str], cwd: Path) -> None:
    """Run an installer; its output is shown with --verbose, or on failure."""
    try:
        proc = ctx.runner(cmd, env=env, cwd=cwd, capture=not ctx.verbose)
    except OSError as exc:
        raise RuleError(f"{label}: cannot run {cmd[0]}: {exc.strerror}") from None
    if not proc.ok:
        tail = proc.tail(15)
        raise RuleError(
            f"{label}: {' '.join(cmd[1:4])} ... failed (exit {proc.returncode})"
            + (f":\n{tail}" if tail else "")
            + _static_hint(ctx)
        )


def _static_hint(ctx: RuleContext) -> str:
    parts = ctx.dist.standalone
    if parts is None or not parts.info.static_crt:
        return ""
    return (
        f"\n(the {ctx.dist.target} target is fully static and cannot load compiled extension "
        "modules, so pip is offered no binary wheels for it; a package that installs only "
        f"by compiling one cannot be used there: build for {HOST_TARGET} instead)"
    )


def _scratch(ctx: RuleContext, prefix: str) -> Path:
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=ctx.work_dir, prefix=prefix))


# PEP 600: pip asks a ``_manylinux`` module it can import which manylinux tags the machine
# takes. pip runs here (a newer glibc), but a standalone gnu distribution's executables
# must run where its glibc floor does: wheels for a newer glibc are not for them.
_MANYLINUX_CAP = """\
def manylinux_compatible(tag_major, tag_minor, tag_arch):
    return (tag_major, tag_minor) <= {floor!r}
"""

# pip asks ctypes for glibc's version (ctypes.CDLL(None)), which raises in a fully static
# interpreter, having no dynamic loader; pip's own build-dependency installs do it too. The
# answer there is "no glibc": this sitecustomize makes pip's probe say so.
_STATIC_INTERPRETER_PIP = """\
import sys


class _NoGlibcProbe:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "pip._internal.utils.glibc":
            return None
        sys.meta_path.remove(cls)
        import importlib.util

        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.glibc_version_string_ctypes = lambda: None

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _NoGlibcProbe)
"""


def _pip_env(ctx: RuleContext) -> dict[str, str]:
    """The environment pip runs in, with the shims a standalone distribution needs."""
    parts = ctx.dist.standalone
    if parts is None:
        return _env(ctx)
    shims = _scratch(ctx, "pip-shims-")
    if parts.info.static_crt:
        (shims / "sitecustomize.py").write_text(_STATIC_INTERPRETER_PIP)
    floor = parts.info.glibc_floor
    if floor is not None:
        (shims / "_manylinux.py").write_text(_MANYLINUX_CAP.format(floor=floor))
    return _env(ctx, {"PYTHONPATH": str(shims)})


def _pip(args: list[str], rule: ResourceOptions, ctx: RuleContext, label: str) -> int:
    target = _scratch(ctx, "pip-")
    cmd = [*ctx.dist.pip_command, "install", "--target", str(target)]
    cmd += ["--no-compile", "--no-warn-script-location", "--disable-pip-version-check"]
    cmd += ["-v"] if ctx.verbose else ["-q"]
    _run([*cmd, *args], label, ctx, env=_pip_env(ctx), cwd=ctx.config_dir)
    # pip --target puts console scripts in bin/: they are not importable code.
    return add_site_dir(target, rule, ctx, label, skip=("bin",))


def apply_pip_install_simple(rule: PipInstallSimple, ctx: RuleContext, label: str) -> int:
    package = _copy_of_local_project(rule.package, ctx, label) or rule.package
    return _pip([package, *rule.extra_args], rule, ctx, label)


# Project files that make a directory something pip can build.
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# Never part of what a project builds, and possibly large (pip's own list when it still
# built from a copy, plus virtual environments and bytecode caches).
_NOT_COPIED = frozenset({".tox", ".nox", ".venv", "__pycache__"})


# What a copied project may hold (a large project, with its tests and docs, has a few
# thousand files; a directory such as ``/`` or a home directory has millions).
PROJECT_MAX_FILES = 100_000
PROJECT_MAX_DIRECTORIES = 20_000


def _copy_of_local_project(package: str, ctx: RuleContext, label: str = "") -> str | None:
    """For ``package = "."`` (a project directory): the same requirement on a copy of it.

    pip builds a local project in place, so setuptools would write ``*.egg-info`` and
    ``build/`` into the user's project; building from a copy in scratch space writes
    nothing there, as ``setup-py-install`` does. None when ``package`` is not a local
    project (a name, a URL, an archive).
    """
    found = re.fullmatch(r"\s*(.+?)\s*(\[[^\]]*\])?\s*", package)
    if found is None or "://" in package or package.startswith("file:"):
        return None
    path, extras = found.group(1), found.group(2) or ""
    looks_like_path = path.startswith(".") or "/" in path
    project = (ctx.config_dir / path).resolve()
    if not looks_like_path or not any((project / f).is_file() for f in _PROJECT_FILES):
        return None
    where = f"{label}: key 'package': project {quote(str(project))}"
    kernel = kernel_file_system(project)
    if kernel is not None:
        raise RuleError(f"{where} is in {kernel}, which holds no project to build")
    build_dir = ctx.build_dir.resolve() if ctx.build_dir else None
    copy = _scratch(ctx, "project-") / project.name
    budget = Budget(max_files=PROJECT_MAX_FILES, max_directories=PROJECT_MAX_DIRECTORIES)

    def leave_out(entry: Path) -> bool:
        return entry.name in _NOT_COPIED or entry.resolve() == build_dir

    try:
        copy_tree(project, copy, leave_out, budget.spend_listing)
    except TooMany as exc:
        raise RuleError(
            f"{where} holds {exc}, too many to be one project; point the rule at the "
            "project's own directory"
        ) from None
    return f"{copy}{extras}"


# A requirements file lists packages, one a line: even a huge one is well under this.


def apply_pip_requirements_file(rule: PipRequirementsFile, ctx: RuleContext, label: str) -> int:
    path = rule.requirements_path
    problem = regular_file_problem(path, REQUIREMENTS_FILE_LIMIT)
    if problem:  # pip would block on a pipe, or read /dev/zero until memory runs out
        raise RuleError(
            f"{label}: key 'requirements_path': requirements file {quote(str(path))} {problem}"
        )
    return _pip(["-r", str(path), *rule.extra_args], rule, ctx, label)


# Like pip's shim: setuptools first, so a plain distutils setup.py gets its commands too.
_SETUP_SHIM = (
    "import sys, setuptools; sys.argv[0] = 'setup.py'; __file__ = 'setup.py'; "
    "exec(compile(open('setup.py', 'rb').read(), 'setup.py', 'exec'))"
)


def apply_setup_py_install(rule: SetupPyInstall, ctx: RuleContext, label: str) -> int:
    project = rule.package_path
    if not (project / "setup.py").is_file():
        raise RuleError(f"{label}: {project} has no setup.py")
    scratch = _scratch(ctx, "setup-py-")
    env = _env(ctx, dict(rule.extra_env))
    cmd = [str(ctx.dist.python_exe), "-c", _SETUP_SHIM, *rule.extra_global_arguments]
    cmd += ["--verbose"] if ctx.verbose else ["--quiet"]
    # Build and install into scratch space: nothing is written to the project or the system.
    (scratch / "egg").mkdir()
    cmd += [
        "egg_info",
        "--egg-base",
        str(scratch / "egg"),
        "build",
        "--build-base",
        str(scratch / "build"),
    ]
    cmd += ["install", "--prefix", str(scratch / "prefix"), "--no-compile"]
    cmd += ["--single-version-externally-managed", "--record", str(scratch / "record.txt")]
    _check_setuptools(label, ctx)
    _run(cmd, label, ctx, env=env, cwd=project)
    return add_site_dir(_site_packages(scratch / "prefix", label, ctx), rule, ctx, label)


def _check_setuptools(label: str, ctx: RuleContext) -> None:
    try:
        probe = ctx.runner([str(ctx.dist.python_exe), "-c", "import setuptools"])
    except OSError as exc:
        raise RuleError(f"{label}: cannot run {ctx.dist.python_exe}: {exc.strerror}") from None
    if not probe.ok:
        raise RuleError(
            f"{label}: setup.py needs setuptools, which {ctx.dist.python_exe} does not have "
            f"(install it with: {ctx.dist.python_exe} -m pip install setuptools)"
        )


def _site_packages(root: Path, label: str, ctx: RuleContext) -> Path:
    version = ctx.dist.short_version
    for lib in ("lib", "lib64"):
        for name in ("site-packages", "dist-packages"):
            candidate = root / lib / f"python{version}" / name
            if candidate.is_dir():
                return candidate
    raise RuleError(f"{label}: no lib/python{version}/site-packages directory in {root}")


def apply_virtualenv(rule: Virtualenv, ctx: RuleContext, label: str) -> int:
    venv = rule.path
    if not venv.is_dir():
        raise RuleError(f"{label}: virtualenv path {venv} is not a directory")
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    wanted = venv / "lib" / f"python{ctx.dist.short_version}" / "site-packages"
    if wanted not in found:
        have = ", ".join(p.parent.name for p in found) or "none"
        raise RuleError(
            f"{label}: {venv} has no lib/python{ctx.dist.short_version}/site-packages "
            f"(the distribution is CPython {ctx.dist.short_version}; found: {have})"
        )
    return add_site_dir(wanted, rule, ctx, label)
