"""Compile and link the launcher against a distribution's static libpython, with a cache.

One launcher serves every app built from the same distribution, build type and set of
linked allocators: the app's settings (including which allocator it uses) live in the
payload. The cache key covers the C source, the generated format header, the
distribution, the allocator libraries and the flags, so a rebuild that only changes Python
code never runs the compiler. The payload layout reaches C through ``pyoxidizer_format.h``,
generated from ``payload/format.py`` for every build of the launcher.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol

from pyoxidizer._fs import publish
from pyoxidizer._proc import Runner, run
from pyoxidizer.errors import LauncherError
from pyoxidizer.launcher.allocators import (
    ALLOCATORS,
    StaticAllocator,
    available_allocators,
    find_static_library,
    rename_map,
    require_allocator,
)
from pyoxidizer.payload.format import c_header
from pyoxidizer.pythondist import Distribution
from pyoxidizer.pythondist.pythonjson import ExtensionVariant

WARNINGS = ("-Wall", "-Wextra", "-Werror")


def compile_command(
    dist: Distribution,
    source: Path,
    obj: Path,
    release: bool,
    allocators: Iterable[str] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    opt = ["-O2"] if release else ["-O1", "-g"]
    # The work directory is random: map it away so debug info (and the build id) is stable.
    reproducible = [f"-ffile-prefix-map={source.parent}=/pyoxidizer-launcher"]
    # -isystem: CPython's own headers are not ours to hold to -Werror.
    include = ["-isystem", str(dist.include_dir), "-I", str(source.parent)]
    defines = [f"-D{ALLOCATORS[name].define}" for name in allocators]
    return [
        *dist.cc,
        *opt,
        *WARNINGS,
        *reproducible,
        *include,
        *defines,
        *extra,
        "-c",
        str(source),
        "-o",
        str(obj),
    ]


ZSTD_ARCHIVE = "libzstd.a"


def require_zstd(cc: Sequence[str]) -> Path | None:
    """The static zstd library the launcher decompresses with, or a LauncherError; None
    when the compiler itself cannot run (compiling then says so)."""
    found = find_static_library(tuple(cc), ZSTD_ARCHIVE)
    if found is None and shutil.which(cc[0]) is not None:
        raise LauncherError(
            f"the launcher needs zstd's static library ({ZSTD_ARCHIVE}), which the C compiler "
            f"{cc[0]!r} cannot find; install the Debian package libzstd-dev "
            "(scripts/install-system-deps.sh does)"
        )
    return found


def link_command(
    dist: Distribution,
    objs: Sequence[Path],
    out: Path,
    release: bool,
    archives: Sequence[Path] = (),
    zstd: Path | None = None,
) -> list[str]:
    strip = ["-s"] if release else []
    # zstd is the launcher's own: its symbols are not exported to extension modules, which
    # may bring (and bind to) a zstd of their own.
    private = [str(zstd), f"-Wl,--exclude-libs,{zstd.name}"] if zstd else []
    return [
        *dist.cc,
        *strip,
        "-o",
        str(out),
        *(str(obj) for obj in objs),
        *(str(a) for a in archives),
        *private,
        str(dist.static_lib),
        "-Wl,--as-needed",
        *dist.link_libs,
        # Extension modules loaded later resolve CPython's symbols from the executable.
        "-Xlinker",
        "-export-dynamic",
    ]


HEADER_NAME = "pyoxidizer_format.h"
# The launcher's C files, in this package (launcher.c says what each one holds).
SOURCES = ("launcher.c", "payload.c", "checksum.c", "frames.c", "services.c", "objects.c")
HEADERS = ("launcher.h", "nozstd.h")


def launcher_sources() -> dict[str, bytes]:
    """Every C source and header of the launcher, by file name."""
    package = resources.files("pyoxidizer.launcher")
    return {name: (package / name).read_bytes() for name in (*SOURCES, *HEADERS)}


class LauncherProvider(Protocol):
    """What the pipeline needs from a toolchain: a launcher for a distribution."""

    def __call__(
        self,
        dist: Distribution,
        release: bool,
        cache_dir: Path,
        builtins: Sequence[ExtensionVariant] = (),
        allocator: str = "system",
    ) -> tuple[Path, bool]:
        """(path of the launcher, whether it was built now rather than reused).

        ``builtins`` are the extension modules a standalone distribution links in;
        ``allocator`` is the app's ``raw_allocator``, the only one linked besides the C
        library's.
        """
        ...


def _archive_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}"


def cache_key(dist: Distribution, release: bool, archives: dict[str, Path] | None = None) -> str:
    h = hashlib.sha256()
    for name, text in sorted(launcher_sources().items()):
        h.update(name.encode() + b"\0" + text + b"\0")
    h.update(c_header().encode())
    h.update(dist.identity().encode())
    h.update(repr((release, WARNINGS, dist.cc, dist.link_libs, "prefix-map-cwd")).encode())
    for name, path in sorted((archives or {}).items()):
        h.update(f"|{name}={_archive_identity(path)}".encode())
    return h.hexdigest()[:20]


class _Tools:
    """Runs the compiler and binutils in one work directory, turning failures into errors."""

    def __init__(self, work: Path, runner: Runner, env: Mapping[str, str] | None = None) -> None:
        self.work = work
        self.runner = runner
        self.env = env  # added to pyoxidizer's own environment

    def __call__(self, argv: Sequence[str], what: str, tool: str = "the C compiler") -> str:
        # The compiler's temporary files go to the work directory, which is removed even
        # after a killed build (as stale), rather than to /tmp.
        env = {**os.environ, "TMPDIR": str(self.work), **(self.env or {})}
        try:
            proc = self.runner(argv, cwd=self.work, env=env)
        except OSError as exc:
            package = "gcc" if tool == "the C compiler" else "binutils"
            raise LauncherError(
                f"{what} failed: cannot run {tool} {argv[0]!r} ({exc.strerror}); "
                f"install {package} (scripts/install-system-deps.sh)"
            ) from None
        if not proc.ok:
            raise LauncherError(f"{what} failed ({' '.join(argv[:2])} ...):\n{proc.tail(40)}")
        return proc.text()


def _namespaced_archive(allocator: StaticAllocator, archive: Path, tools: _Tools) -> Path:
    """A copy of ``archive`` that neither replaces the C library's malloc nor runs at start-up.

    Dropping ``.init_array`` removes jemalloc's constructor, which would initialise it
    (mappings, /etc/malloc.conf, ...) in every process, even one that selects 'system';
    it initialises itself on first use anyway.
    """
    nm = ["nm", "-g", "--defined-only", str(archive)]
    symbols = tools(nm, f"reading the symbols of {archive}", tool="nm")
    mapping = tools.work / f"{allocator.name}.syms"
    mapping.write_text(rename_map(symbols, allocator))
    out = tools.work / f"lib{allocator.name}-pyoxidizer.a"
    cmd = [
        "objcopy",
        f"--redefine-syms={mapping}",
        "--remove-section=.init_array",
        str(archive),
        str(out),
    ]
    tools(cmd, f"renaming the symbols of {archive}", tool="objcopy")
    return out


STALE_AFTER = 3600  # seconds: no launcher build takes this long


def _remove_stale_work_dirs(launchers: Path) -> None:
    """Work directories of launcher builds that were killed (no process removes them)."""
    now = time.time()
    for work in launchers.glob(".build-*"):
        with contextlib.suppress(OSError):
            if now - work.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(work, ignore_errors=True)


def ensure_launcher(
    dist: Distribution,
    release: bool,
    cache_dir: Path,
    allocators: Sequence[str] | None = None,
    runner: Runner = run,
) -> tuple[Path, bool]:
    """Return (path of the launcher, whether it was built now rather than reused).

    ``allocators`` names the non-system allocators to link in; None links every one whose
    static library is installed, so one launcher serves any raw_allocator choice.
    """
    names = available_allocators(dist.cc) if allocators is None else tuple(allocators)
    archives = {name: require_allocator(dist.cc, name) for name in sorted(set(names))}
    zstd = require_zstd(dist.cc)
    suffix = "".join(f"-{name}" for name in archives)
    key = cache_key(dist, release, {**archives, **({"zstd": zstd} if zstd else {})})
    out = cache_dir / "launchers" / f"launcher-{dist.short_version}{suffix}-{key}"
    if out.is_file():
        return out, False
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_work_dirs(out.parent)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".build-") as tmp:
        tools = _Tools(Path(tmp), runner)
        for name, text in launcher_sources().items():
            (tools.work / name).write_bytes(text)
        (tools.work / HEADER_NAME).write_text(c_header())
        objs = [tools.work / (name[:-2] + ".o") for name in SOURCES]
        for name, obj in zip(SOURCES, objs, strict=True):
            # Run in the work directory: debug info records it, and it is mapped away.
            command = compile_command(dist, tools.work / name, obj, release, archives)
            tools(command, f"compiling the launcher ({name})")
        linked_archives = [
            _namespaced_archive(ALLOCATORS[name], path, tools) for name, path in archives.items()
        ]
        linked = tools.work / "launcher"
        link = link_command(dist, objs, linked, release, linked_archives, zstd)
        tools(link, "linking the launcher")
        publish(linked, out)
    return out, True
