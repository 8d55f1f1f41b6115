"""The C launcher: its source and the logic that compiles, links and caches it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyoxidizer.launcher.allocators import check_allocator
from pyoxidizer.launcher.standalone import (
    check_standalone_allocator,
    ensure_standalone_launcher,
    standalone_zstd,
)
from pyoxidizer.launcher.toolchain import ensure_launcher, launcher_sources
from pyoxidizer.pythondist import Distribution
from pyoxidizer.pythondist.pythonjson import ExtensionVariant

__all__ = [
    "build_launcher",
    "check_raw_allocator",
    "decompresses",
    "ensure_launcher",
    "launcher_sources",
]


def build_launcher(
    dist: Distribution,
    release: bool,
    cache_dir: Path,
    builtins: Sequence[ExtensionVariant] = (),
    allocator: str = "system",
) -> tuple[Path, bool]:
    """The launcher for ``dist`` (a ``LauncherProvider``): a host interpreter's builtins are
    fixed; a standalone distribution's are ``builtins``, linked in with zig. Only the
    ``allocator`` the app selects is linked (jemalloc alone is 0.8 MB)."""
    linked = [] if allocator == "system" else [allocator]
    if dist.standalone is not None:
        return ensure_standalone_launcher(dist, release, cache_dir, builtins, linked)
    return ensure_launcher(dist, release, cache_dir, linked)


def check_raw_allocator(name: str, dist: Distribution) -> None:
    """Fail before anything is written if the launcher cannot honour ``raw_allocator``."""
    if dist.standalone is None or name not in ("system", "jemalloc"):
        check_allocator(name, dist.cc)  # the host's allocators; 'rust' and 'mimalloc' never
    else:
        check_standalone_allocator(name, dist.standalone)


def decompresses(dist: Distribution) -> bool:
    """Whether the launcher for ``dist`` reads zstd frames: always with the host's libzstd;
    with a standalone archive, when it carries a zstd built for its target."""
    return dist.standalone is None or standalone_zstd(dist.standalone) is not None
