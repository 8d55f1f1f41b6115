"""Compile and link the launcher against a distribution's static libpython, with a cache.

One launcher serves every app built from the same distribution, build type and set of
linked allocators: the app's settings (including which allocator it uses) live in the
payload. The cache key covers the C source, the distribution, the allocator libraries and
the flags, so a rebuild that only changes Python code never runs the compiler.

Allocators other than the C library's are linked statically, from the static libraries
of the build machine (Debian's ``libjemalloc-dev``). Their exported ``malloc``/``free``
would replace glibc's for the whole process (the dynamic loader included), so the launcher
links a copy whose public symbols are renamed with ``objcopy``: the allocator is then only
reached through the functions the launcher installs for CPython's ``PYMEM_DOMAIN_RAW``.
See ``docs/runtime.md``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pyoxidizer.errors import LauncherError
from pyoxidizer.pythondist import Distribution

WARNINGS = ("-Wall", "-Wextra", "-Werror")


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


def launcher_source() -> bytes:
    return (resources.files("pyoxidizer.launcher") / "launcher.c").read_bytes()


@functools.cache
def find_static_library(cc: tuple[str, ...], filename: str) -> Path | None:
    """Where the C compiler would find ``filename`` on its library path, or None."""
    try:
        proc = subprocess.run(
            [*cc, f"-print-file-name={filename}"], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    found = Path(proc.stdout.strip())
    # gcc prints the bare name back when it finds nothing.
    return found if proc.returncode == 0 and found.is_absolute() and found.is_file() else None


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


def compile_command(
    dist: Distribution, source: Path, obj: Path, release: bool, allocators: Iterable[str] = ()
) -> list[str]:
    opt = ["-O2"] if release else ["-O1", "-g"]
    # The work directory is random: map it away so debug info (and the build id) is stable.
    reproducible = [f"-ffile-prefix-map={source.parent}=/pyoxidizer-launcher"]
    # -isystem: CPython's own headers are not ours to hold to -Werror.
    include = ["-isystem", str(dist.include_dir)]
    defines = [f"-D{ALLOCATORS[name].define}" for name in allocators]
    return [
        *dist.cc,
        *opt,
        *WARNINGS,
        *reproducible,
        *include,
        *defines,
        "-c",
        str(source),
        "-o",
        str(obj),
    ]


def link_command(
    dist: Distribution, obj: Path, out: Path, release: bool, archives: Sequence[Path] = ()
) -> list[str]:
    strip = ["-s"] if release else []
    return [
        *dist.cc,
        *strip,
        "-o",
        str(out),
        str(obj),
        *(str(a) for a in archives),
        str(dist.static_lib),
        "-Wl,--as-needed",
        *dist.link_libs,
        # Extension modules loaded later resolve CPython's symbols from the executable.
        "-Xlinker",
        "-export-dynamic",
    ]


def _archive_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}"


def cache_key(dist: Distribution, release: bool, archives: dict[str, Path] | None = None) -> str:
    h = hashlib.sha256(launcher_source())
    h.update(dist.identity().encode())
    h.update(repr((release, WARNINGS, dist.cc, dist.link_libs, "prefix-map-cwd")).encode())
    for name, path in sorted((archives or {}).items()):
        h.update(f"|{name}={_archive_identity(path)}".encode())
    return h.hexdigest()[:20]


def _run(cmd: Sequence[str], what: str, cwd: Path, tool: str = "the C compiler") -> str:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd)
    except OSError as exc:
        package = "gcc" if tool == "the C compiler" else "binutils"
        raise LauncherError(
            f"{what} failed: cannot run {tool} {cmd[0]!r} ({exc.strerror}); "
            f"install {package} (scripts/install-system-deps.sh)"
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LauncherError(f"{what} failed ({' '.join(cmd[:2])} ...):\n{detail}")
    return proc.stdout


def rename_map(nm_output: str, allocator: StaticAllocator) -> str:
    """``objcopy --redefine-syms`` lines for every exported symbol outside the namespace."""
    names = set()
    for line in nm_output.splitlines():
        parts = line.split()
        # "ADDRESS TYPE NAME" for defined symbols; member headers and blanks are skipped.
        if len(parts) == 3 and not parts[2].startswith(allocator.own_prefixes):
            names.add(parts[2])
    return "".join(f"{n} {allocator.rename_prefix}{n}\n" for n in sorted(names))


def _namespaced_archive(allocator: StaticAllocator, archive: Path, work: Path) -> Path:
    """A copy of ``archive`` that neither replaces the C library's malloc nor runs at start-up.

    Dropping ``.init_array`` removes jemalloc's constructor, which would initialise it
    (mappings, /etc/malloc.conf, ...) in every process, even one that selects 'system';
    it initialises itself on first use anyway.
    """
    nm = ["nm", "-g", "--defined-only", str(archive)]
    symbols = _run(nm, f"reading the symbols of {archive}", work, tool="nm")
    mapping = work / f"{allocator.name}.syms"
    mapping.write_text(rename_map(symbols, allocator))
    out = work / f"lib{allocator.name}-pyoxidizer.a"
    cmd = [
        "objcopy",
        f"--redefine-syms={mapping}",
        "--remove-section=.init_array",
        str(archive),
        str(out),
    ]
    _run(cmd, f"renaming the symbols of {archive}", work, tool="objcopy")
    return out


def ensure_launcher(
    dist: Distribution,
    release: bool,
    cache_dir: Path,
    allocators: Sequence[str] | None = None,
) -> tuple[Path, bool]:
    """Return (path of the launcher, whether it was built now rather than reused).

    ``allocators`` names the non-system allocators to link in; None links every one whose
    static library is installed, so one launcher serves any raw_allocator choice.
    """
    names = available_allocators(dist.cc) if allocators is None else tuple(allocators)
    archives = {name: require_allocator(dist.cc, name) for name in sorted(set(names))}
    suffix = "".join(f"-{name}" for name in archives)
    key = cache_key(dist, release, archives)
    out = cache_dir / "launchers" / f"launcher-{dist.short_version}{suffix}-{key}"
    if out.is_file():
        return out, False
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        source = work / "launcher.c"
        source.write_bytes(launcher_source())
        obj = work / "launcher.o"
        # Run in the work directory: debug info records it, and it is mapped away.
        cmd = compile_command(dist, source, obj, release, archives)
        _run(cmd, "compiling the launcher", work)
        linked_archives = [
            _namespaced_archive(ALLOCATORS[name], path, work) for name, path in archives.items()
        ]
        linked = work / "launcher"
        _run(
            link_command(dist, obj, linked, release, linked_archives), "linking the launcher", work
        )
        os.replace(linked, out)
    return out, True
