"""Test helpers: the Pythons present on this machine, projects built with the real CLI,
config texts and running built executables. Fixtures live in ``conftest.py``."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` with a static libpython, or None."""
    roots = [os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))]
    candidates = sorted(glob.glob(f"{roots[0]}/versions/{version}.*/bin/python{version}"))
    which = shutil.which(f"python{version}")
    if which:
        candidates.append(which)
    for exe in candidates:
        probe = subprocess.run(
            [
                exe,
                "-c",
                "import sysconfig,os;p=os.path.join(sysconfig.get_config_var('LIBPL') or '',"
                "sysconfig.get_config_var('LIBRARY') or '');print(p.endswith('.a') and os.path.isfile(p))",
            ],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == "True":
            return exe
    return None


@dataclass
class Project:
    """A project directory with a pyoxidizer.toml, built with the real CLI."""

    root: Path
    cache_dir: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYOXIDIZER_CACHE_DIR"] = str(self.cache_dir)
        env.pop("PYOXIDIZER_CONFIG", None)
        return env

    def cli_argv(self) -> list[str]:
        return [sys.executable, "-m", "pyoxidizer"]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*self.cli_argv(), *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pyoxidizer {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def build(self, *args: str) -> Path:
        self.cli("build", *args)
        kept = [a for a in args if a == "--release" or not a.startswith("-")]
        if "--target" in args:  # its value is not a path
            target = args[args.index("--target") + 1]
            kept = [a for a in kept if a != target] + ["--target", target]
        return self.exe(*kept)

    def exe(self, *args: str) -> Path:
        out = self.cli("app-path", *args).stdout.strip()
        name = out.split("/apps/")[1].split("/")[0]
        return Path(out) / name


def config_text(
    name: str = "app",
    python: str | None = None,
    run: str = 'mode = "eval"\ncode = "print(42)"',
    rules: str = "",
    embedded: str = "",
    extensions: str = 'policy = "all"',
) -> str:
    dist = f'[[python_distribution]]\npython_executable = "{python}"\n' if python else ""
    return (
        f'[[build]]\napplication_name = "{name}"\n\n{dist}\n'
        f"[[embedded_python_config]]\n{embedded}\n\n"
        f'[[packaging_rule]]\ntype = "stdlib-extension-policy"\n{extensions}\n\n'
        f'[[packaging_rule]]\ntype = "stdlib"\n\n{rules}\n'
        f"[[embedded_python_run]]\n{run}\n"
    )


def run_exe(exe: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [str(exe), *args], capture_output=True, text=True, timeout=120, **kwargs
    )


def traced(
    argv: list[str], log: Path, **kwargs: object
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``argv`` under strace, tracing every system call that names a file; return the
    process and strace's lines. strace is required (scripts/install-system-deps.sh)."""
    if shutil.which("strace") is None:
        raise AssertionError("strace is required (scripts/install-system-deps.sh)")
    proc = subprocess.run(  # type: ignore[call-overload]
        ["strace", "-f", "-e", "trace=%file", "-o", str(log), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )
    return proc, log.read_text().splitlines()
