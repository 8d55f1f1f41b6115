"""zig, the C toolchain for standalone distributions: where it is and what it targets.

zig comes from PyPI's ``ziglang`` package (``pip install 'pyoxidizer[standalone]'``). Its
``zig cc`` compiles and links for any target from this machine: glibc programs against the
symbol versions of an old glibc (``-target x86_64-linux-gnu.2.17``) and fully static musl
programs (``-target x86_64-linux-musl``), with the C library it builds itself.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

from pyoxidizer.errors import DistributionError

# System libraries (``links`` entries with ``system: true``) each target's C library
# provides under zig: glibc's stubs for these names exist, musl has them all in libc.a.
# Anything else (libcrypt on glibc, libnsl) cannot be linked.
SYSTEM_LIBRARIES = {
    "gnu": frozenset({"c", "m", "dl", "pthread", "rt", "util", "resolv"}),
    "musl": frozenset({"c", "m", "dl", "pthread", "rt", "util", "resolv", "crypt"}),
}


def find_zig(purpose: str = "standalone distributions are linked with it") -> Path:
    """The zig of the installed ``ziglang`` package, or an error that says why it is needed
    (``purpose``) and how to install it. The one place that looks for zig."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise DistributionError(
            f"zig is not installed, and {purpose}; install it with: "
            "pip install 'pyoxidizer[standalone]'"
        )
    executable = Path(spec.origin).parent / "zig"
    if not os.access(executable, os.X_OK):
        raise DistributionError(
            f"the ziglang package has no runnable zig at {executable}; reinstall it with: "
            "pip install --force-reinstall 'pyoxidizer[standalone]'"
        )
    return executable


def zig_version() -> str:
    """The ``ziglang`` package's version, from its metadata (no subprocess)."""
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def zig_target(triple: str, glibc_floor: tuple[int, int] | None) -> str:
    """zig's ``-target`` for a Rust-style triple; gnu targets keep the archive's glibc floor."""
    arch, _, rest = triple.partition("-")
    libc = rest.rsplit("-", 1)[-1]
    if arch != "x86_64" or not rest.startswith("unknown-linux-") or libc not in SYSTEM_LIBRARIES:
        raise DistributionError(
            f"target {triple!r} is not supported for standalone distributions; supported: "
            "x86_64-unknown-linux-gnu, x86_64-unknown-linux-musl"
        )
    if libc == "gnu":
        major, minor = glibc_floor or (2, 17)
        return f"{arch}-linux-gnu.{major}.{minor}"
    return f"{arch}-linux-musl"


def target_libc(triple: str) -> str:
    """``gnu`` or ``musl``: the C library of a (supported) target triple."""
    return triple.rsplit("-", 1)[-1]
