"""raw_allocator from inside running executables: which allocator CPython's raw domain uses.

The launcher reports its choice as ``_pyoxidizer.raw_allocator``; the proof that jemalloc
really serves PyMem_RawMalloc is jemalloc's own per-thread allocation counter, read through
``mallctl`` with ctypes: a 50 MB bytearray (larger than pymalloc's limit, so it comes from
the raw domain) moves it by 50 MB under jemalloc and not at all under the system allocator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyoxidizer.launcher.allocators import available_allocators
from pyoxidizer.pythondist import probe_host_distribution
from tests.helpers import SUPPORTED, Project, config_text, find_python, run_exe

pytestmark = pytest.mark.skipif(
    not available_allocators(("cc",)), reason="libjemalloc-dev is not installed"
)

PROBE = """
import ctypes, json, sys
import _pyoxidizer

process = ctypes.CDLL(None)
mallctl = getattr(process, "pyox_je_mallctl", None)  # None: jemalloc is not linked in


def allocated():
    if mallctl is None:
        return 0
    value, size = ctypes.c_uint64(), ctypes.c_size_t(8)
    status = mallctl(b"thread.allocated", ctypes.byref(value), ctypes.byref(size), None, 0)
    assert status == 0, status
    return value.value


before = allocated()
block = bytearray(50_000_000)
after = allocated()
libc = ctypes.CDLL("libc.so.6")
print(json.dumps({
    "raw_allocator": _pyoxidizer.raw_allocator,
    "jemalloc_linked": mallctl is not None,
    "jemalloc_mb": round((after - before) / 1e6),
    # The process-wide malloc is still glibc's: jemalloc is reached only through PyMem.
    "malloc_is_glibc": ctypes.cast(process.malloc, ctypes.c_void_p).value
    == ctypes.cast(libc.malloc, ctypes.c_void_p).value,
    "version": list(sys.version_info[:2]),
}))
"""


def _build(project: Project, allocator: str, python: str | None = None) -> dict[str, Any]:
    project.write("src/probe.py", PROBE)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["probe"]\n'
    run = 'mode = "module"\nmodule = "probe"'
    embedded = f'raw_allocator = "{allocator}"'
    project.write(
        "pyoxidizer.toml", config_text(python=python, rules=rules, run=run, embedded=embedded)
    )
    proc = run_exe(project.build())
    assert proc.returncode == 0, proc.stderr
    seen: dict[str, Any] = json.loads(proc.stdout)
    return seen


def test_system_and_jemalloc_differ_at_run_time_and_each_links_only_its_own(
    project: Project,
) -> None:
    system = _build(project, "system")
    system_size = project.exe().stat().st_size
    assert system["raw_allocator"] == "system"
    assert system["jemalloc_linked"] is False
    rebuilt = project.cli("build")
    assert "reusing cached launcher" in rebuilt.stderr
    jemalloc = _build(project, "jemalloc")
    jemalloc_size = project.exe().stat().st_size
    assert jemalloc["raw_allocator"] == "jemalloc"
    assert jemalloc["jemalloc_linked"] is True
    assert jemalloc["jemalloc_mb"] >= 50
    assert system["malloc_is_glibc"] is True and jemalloc["malloc_is_glibc"] is True
    # jemalloc is linked only into the launcher of apps that select it (about 0.8 MB) ...
    assert jemalloc_size - system_size > 500_000
    # ... and each launcher stays cached: switching back relinks nothing.
    config = project.root / "pyoxidizer.toml"
    project.write("pyoxidizer.toml", config.read_text().replace("jemalloc", "system"))
    assert "reusing cached launcher" in project.cli("build").stderr


@pytest.mark.parametrize("version", SUPPORTED)
def test_jemalloc_on_every_supported_python(project: Project, version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"CPython {version} with a static libpython is not installed here")
    seen = _build(project, "jemalloc", python)
    assert seen["version"] == [int(p) for p in version.split(".")]
    assert seen["raw_allocator"] == "jemalloc" and seen["jemalloc_mb"] >= 50


def test_missing_static_jemalloc_stops_the_build_naming_the_package(project: Project) -> None:
    """The distribution's C compiler finds no library (as without libjemalloc-dev): a
    stand-in of that name comes first on PATH."""
    bin_dir = project.root / "fake-bin"
    bin_dir.mkdir()
    compiler = probe_host_distribution(sys.executable).cc[0]
    fake = bin_dir / Path(compiler).name
    fake.write_text('#!/bin/sh\necho "${1#-print-file-name=}"\n')
    fake.chmod(0o755)
    project.write("pyoxidizer.toml", config_text(embedded='raw_allocator = "jemalloc"'))
    env = dict(project.env(), PATH=f"{bin_dir}:{os.environ['PATH']}")
    proc = subprocess.run(
        [sys.executable, "-m", "pyoxidizer", "build"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        "error: [[embedded_python_config]]: raw_allocator = 'jemalloc' needs jemalloc's static "
        f"library (libjemalloc_pic.a or libjemalloc.a), which the C compiler {compiler!r} cannot find; "
        "install the Debian package libjemalloc-dev (scripts/install-system-deps.sh does)"
    )
    assert not (project.root / "build").exists()
