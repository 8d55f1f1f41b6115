"""raw_allocator: build-time checks, the payload field, and how the launcher links allocators."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyoxidizer.config.schema import EmbeddedPythonConfig
from pyoxidizer.errors import LauncherError, NotImplementedFeatureError
from pyoxidizer.launcher import allocators as launcher_allocators
from pyoxidizer.launcher import toolchain as launcher_build
from pyoxidizer.launcher.allocators import check_allocator
from pyoxidizer.payload import format as fmt
from pyoxidizer.payload.settings import config_flags
from pyoxidizer.pythondist import probe_host_distribution
from pyoxidizer.runtime.contract import RuntimeSettings

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_C = (ROOT / "src/pyoxidizer/launcher/launcher.c").read_text()  # the allocators


def _define(name: str) -> str:
    match = re.search(rf"#define {name} (\S+)", fmt.c_header())
    assert match, name
    return match.group(1)


def _fake_compiler(tmp_path: Path) -> tuple[str, ...]:
    """A 'compiler' that finds no library: gcc prints the bare file name back then."""
    cc = tmp_path / "fake-cc"
    cc.write_text('#!/bin/sh\necho "${1#-print-file-name=}"\n')
    cc.chmod(0o755)
    return (str(cc),)


def test_launcher_allocator_constants_match_the_format() -> None:
    assert int(_define("PYOX_CFG_ALLOCATOR_SHIFT")) == fmt.ALLOCATOR_SHIFT
    assert int(_define("PYOX_CFG_ALLOCATOR_MASK").rstrip("u"), 16) == fmt.ALLOCATOR_MASK
    for code in fmt.RawAllocator:
        assert int(_define(f"PYOX_ALLOCATOR_{code.name}")) == code.value
    # The allocator bits do not overlap the boolean flags.
    assert all(flag < 1 << fmt.ALLOCATOR_SHIFT for flag in fmt.ConfigFlag)


def test_launcher_calls_the_renamed_jemalloc_symbols() -> None:
    jemalloc = launcher_allocators.ALLOCATORS["jemalloc"]
    assert f"#ifdef {jemalloc.define}" in LAUNCHER_C
    for function in ("malloc", "calloc", "realloc", "free"):
        assert f"{jemalloc.rename_prefix}{function}(" in LAUNCHER_C


@pytest.mark.parametrize(
    ("name", "code"),
    [("system", fmt.RawAllocator.SYSTEM), ("jemalloc", fmt.RawAllocator.JEMALLOC)],
)
def test_allocator_is_encoded_above_the_flags(name: str, code: fmt.RawAllocator) -> None:
    settings = RuntimeSettings()
    flags = config_flags(EmbeddedPythonConfig(raw_allocator=name), settings)
    assert (flags >> fmt.ALLOCATOR_SHIFT) & fmt.ALLOCATOR_MASK == code
    assert flags & 0xFF == config_flags(EmbeddedPythonConfig(), settings) & 0xFF


def test_rust_and_mimalloc_are_clear_errors() -> None:
    with pytest.raises(NotImplementedFeatureError, match="'rust' does not apply"):
        check_allocator("rust", ("cc",))
    with pytest.raises(NotImplementedFeatureError, match="no libmimalloc.a"):
        check_allocator("mimalloc", ("cc",))


def test_missing_jemalloc_names_the_debian_package(tmp_path: Path) -> None:
    cc = _fake_compiler(tmp_path)
    check_allocator("system", cc)  # needs nothing
    with pytest.raises(LauncherError, match="install the Debian package libjemalloc-dev"):
        check_allocator("jemalloc", cc)
    assert launcher_allocators.available_allocators(cc) == ()


def test_asking_the_launcher_for_a_missing_allocator_fails_before_compiling(
    tmp_path: Path,
) -> None:
    dist = dataclasses.replace(probe_host_distribution(sys.executable), cc=_fake_compiler(tmp_path))
    with pytest.raises(LauncherError, match="libjemalloc_pic.a or libjemalloc.a"):
        launcher_build.ensure_launcher(dist, False, tmp_path, allocators=("jemalloc",))
    assert not (tmp_path / "launchers").exists()


NM_OUTPUT = """
jemalloc.pic.o:
0000000000000000 T malloc
0000000000000010 T je_malloc_default
0000000000000020 V malloc_conf
0000000000000030 V DW.ref.__gxx_personality_v0
                 U mmap

ctl.pic.o:
0000000000000040 T mallctl
0000000000000010 T malloc
"""


def test_rename_map_moves_exported_names_into_the_pyox_namespace() -> None:
    mapping = launcher_allocators.rename_map(NM_OUTPUT, launcher_allocators.ALLOCATORS["jemalloc"])
    assert mapping.splitlines() == [
        "mallctl pyox_je_mallctl",
        "malloc pyox_je_malloc",
        "malloc_conf pyox_je_malloc_conf",
    ]


def test_cache_key_changes_with_the_linked_allocators(tmp_path: Path) -> None:
    dist = probe_host_distribution(sys.executable)
    archive = tmp_path / "libjemalloc_pic.a"
    archive.write_bytes(b"!<arch>\n")
    without = launcher_build.cache_key(dist, False)
    with_jemalloc = launcher_build.cache_key(dist, False, {"jemalloc": archive})
    assert without != with_jemalloc
    archive.write_bytes(b"!<arch>\nchanged")
    assert launcher_build.cache_key(dist, False, {"jemalloc": archive}) != with_jemalloc


@pytest.mark.skipif(
    not launcher_allocators.available_allocators(("cc",)), reason="libjemalloc-dev is not installed"
)
def test_linked_launcher_does_not_replace_the_process_malloc(tmp_path: Path) -> None:
    dist = probe_host_distribution(sys.executable)
    launcher, _ = launcher_build.ensure_launcher(dist, True, tmp_path, allocators=("jemalloc",))
    assert "-jemalloc-" in launcher.name
    dynamic = subprocess.run(["nm", "-D", str(launcher)], capture_output=True, text=True).stdout
    defined = {line.split()[-1] for line in dynamic.splitlines() if " T " in line}
    assert "pyox_je_mallctl" in defined
    assert not defined & {"malloc", "free", "calloc", "realloc", "mallctl", "posix_memalign"}
    # jemalloc's constructor is gone: it initialises on first use only.
    sections = subprocess.run(["readelf", "-SW", str(launcher)], capture_output=True, text=True)
    (init_array,) = [line for line in sections.stdout.splitlines() if " .init_array " in line]
    size = int(init_array.split("]", 1)[1].split()[4], 16)
    assert size == 8  # a single entry: the C runtime's frame_dummy
