"""Compile and link the launcher against a distribution's static libpython, with a cache.

One launcher serves every app built from the same distribution and build type: the app's
settings live in the payload. The cache key covers the C source, the distribution and the
flags, so a rebuild that only changes Python code never runs the compiler.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from pyoxidizer.distribution import Distribution
from pyoxidizer.errors import LauncherError

WARNINGS = ("-Wall", "-Wextra", "-Werror")


def launcher_source() -> bytes:
    return (resources.files("pyoxidizer.launcher") / "launcher.c").read_bytes()


def compile_command(dist: Distribution, source: Path, obj: Path, release: bool) -> list[str]:
    opt = ["-O2"] if release else ["-O1", "-g"]
    # The work directory is random: map it away so debug info (and the build id) is stable.
    reproducible = [f"-ffile-prefix-map={source.parent}=/pyoxidizer-launcher"]
    # -isystem: CPython's own headers are not ours to hold to -Werror.
    include = ["-isystem", str(dist.include_dir)]
    return [*dist.cc, *opt, *WARNINGS, *reproducible, *include, "-c", str(source), "-o", str(obj)]


def link_command(dist: Distribution, obj: Path, out: Path, release: bool) -> list[str]:
    strip = ["-s"] if release else []
    return [
        *dist.cc,
        *strip,
        "-o",
        str(out),
        str(obj),
        str(dist.static_lib),
        "-Wl,--as-needed",
        *dist.link_libs,
        # Extension modules loaded later resolve CPython's symbols from the executable.
        "-Xlinker",
        "-export-dynamic",
    ]


def cache_key(dist: Distribution, release: bool) -> str:
    h = hashlib.sha256(launcher_source())
    h.update(dist.identity().encode())
    h.update(repr((release, WARNINGS, dist.cc, dist.link_libs, "prefix-map-cwd")).encode())
    return h.hexdigest()[:20]


def _run(cmd: Sequence[str], what: str, cwd: Path) -> None:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd)
    except OSError as exc:
        raise LauncherError(
            f"{what} failed: cannot run the C compiler {cmd[0]!r} ({exc.strerror}); "
            "install gcc (scripts/install-system-deps.sh)"
        ) from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise LauncherError(f"{what} failed ({' '.join(cmd[:2])} ...):\n{detail}")


def ensure_launcher(dist: Distribution, release: bool, cache_dir: Path) -> tuple[Path, bool]:
    """Return (path of the launcher, whether it was built now rather than reused)."""
    out = cache_dir / "launchers" / f"launcher-{dist.short_version}-{cache_key(dist, release)}"
    if out.is_file():
        return out, False
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        source = work / "launcher.c"
        source.write_bytes(launcher_source())
        obj = work / "launcher.o"
        # Run in the work directory: debug info records it, and it is mapped away.
        _run(compile_command(dist, source, obj, release), "compiling the launcher", work)
        linked = work / "launcher"
        _run(link_command(dist, obj, linked, release), "linking the launcher", work)
        os.replace(linked, out)
    return out, True
