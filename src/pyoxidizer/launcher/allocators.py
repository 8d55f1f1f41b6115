"""Raw allocators the launcher can link, and the build-time check of ``raw_allocator``.

Allocators other than the C library's are linked statically, from the static libraries
of the build machine (Debian's ``libjemalloc-dev``). Their exported ``malloc``/``free``
would replace glibc's for the whole process (the dynamic loader included), so the launcher
links a copy whose public symbols are renamed with ``objcopy``: the allocator is then only
reached through the functions the launcher installs for CPython's ``PYMEM_DOMAIN_RAW``.
See ``docs/runtime.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._proc import Runner, run
from pyoxidizer.errors import LauncherError, NotImplementedFeatureError


@dataclass(frozen=True)
class StaticAllocator:
    """An allocator library the launcher can link; ``name`` is the raw_allocator value."""

    name: str
    archives: tuple[str, ...]  # static library file names, preferred first
    debian_package: str
    own_prefixes: tuple[str, ...]  # symbols already in the library's namespace stay as they are
    rename_prefix: str  # every other exported symbol gets this prefix (launcher.c uses it)
    define: str  # C macro that compiles the launcher's support for it


ALLOCATORS = {
    "jemalloc": StaticAllocator(
        name="jemalloc",
        # The _pic variant is built for position-independent executables (gcc's default).
        archives=("libjemalloc_pic.a", "libjemalloc.a"),
        debian_package="libjemalloc-dev",
        own_prefixes=("je_", "DW.ref."),
        rename_prefix="pyox_je_",
        define="PYOX_WITH_JEMALLOC",
    ),
}


@functools.cache
def find_static_library(cc: tuple[str, ...], filename: str, runner: Runner = run) -> Path | None:
    """Where the C compiler would find ``filename`` on its library path, or None."""
    try:
        proc = runner([*cc, f"-print-file-name={filename}"])
    except OSError:
        return None
    found = Path(proc.text().strip())
    # gcc prints the bare name back when it finds nothing.
    return found if proc.ok and found.is_absolute() and found.is_file() else None


def allocator_archive(cc: Sequence[str], allocator: StaticAllocator) -> Path | None:
    for filename in allocator.archives:
        found = find_static_library(tuple(cc), filename)
        if found is not None:
            return found
    return None


def require_allocator(cc: Sequence[str], name: str) -> Path:
    """The static library of allocator ``name``, or a LauncherError saying how to get it."""
    allocator = ALLOCATORS[name]
    archive = allocator_archive(cc, allocator)
    if archive is None:
        raise LauncherError(
            f"[[embedded_python_config]]: raw_allocator = {name!r} needs {name}'s static "
            f"library ({' or '.join(allocator.archives)}), which the C compiler "
            f"{cc[0]!r} cannot find; install the Debian package {allocator.debian_package} "
            "(scripts/install-system-deps.sh does)"
        )
    return archive


def available_allocators(cc: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name, a in ALLOCATORS.items() if allocator_archive(cc, a) is not None)


def check_allocator(name: str, cc: Sequence[str]) -> None:
    """Fail early, with what to do, if the build cannot honour ``raw_allocator = name``."""
    if name == "rust":
        raise NotImplementedFeatureError(
            "[[embedded_python_config]]: raw_allocator = 'rust' does not apply to this "
            "implementation (there is no Rust allocator); use 'system' or 'jemalloc'"
        )
    if name == "mimalloc":
        raise NotImplementedFeatureError(
            "[[embedded_python_config]]: raw_allocator = 'mimalloc' is not available: "
            "allocators are linked statically and Debian 12 ships mimalloc only as a shared "
            "library (libmimalloc-dev has no libmimalloc.a); use 'system' or 'jemalloc'"
        )
    if name in ALLOCATORS:
        require_allocator(cc, name)


def rename_map(nm_output: str, allocator: StaticAllocator) -> str:
    """``objcopy --redefine-syms`` lines for every exported symbol outside the namespace."""
    names = set()
    for line in nm_output.splitlines():
        parts = line.split()
        # "ADDRESS TYPE NAME" for defined symbols; member headers and blanks are skipped.
        if len(parts) == 3 and not parts[2].startswith(allocator.own_prefixes):
            names.add(parts[2])
    return "".join(f"{n} {allocator.rename_prefix}{n}\n" for n in sorted(names))
