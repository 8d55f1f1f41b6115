"""The zig toolchain: finding it, and the one-word compiler wrappers autoconf wants.

zig comes from PyPI's ``ziglang`` package (the ``standalone`` extra). The wrappers are shell
scripts in the work directory that exec zig with the target, so ``CC=.../cc`` is one word.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ...errors import DistributionError, StandaloneBuildError
from .. import zig
from .targets import Target

ZIG_PIN = "0.15.2"
# Debug-info and __FILE__ paths are rewritten to these, so the work dir never reaches an object.
BUILD_PREFIX_MAP = "/pyoxidizer-build"
ZIG_PREFIX_MAP = "/zig"
# A fixed timestamp for everything that embeds one (SOURCE_DATE_EPOCH, ar, pyc): 2020-01-01.
SOURCE_DATE_EPOCH = "1577836800"


@dataclass(frozen=True)
class Zig:
    """A zig executable and its version."""

    executable: Path
    version: str

    @property
    def lib_dir(self) -> Path:
        return self.executable.parent / "lib"


def find_zig() -> Zig:
    """The zig of the installed ``ziglang`` package, or an error that says how to install it.

    Its version comes from the package metadata (no subprocess; it keys the cache).
    """
    try:
        executable = zig.find_zig("python-distribution-build compiles with it")
    except DistributionError as exc:
        raise StandaloneBuildError(str(exc)) from None
    return Zig(executable, zig.zig_version())


@dataclass(frozen=True)
class Toolchain:
    """The wrappers for one target, and the environment every build command runs with."""

    zig: Zig
    target: Target
    bin_dir: Path
    work_dir: Path
    cache_dir: Path

    @property
    def cc(self) -> str:
        return str(self.bin_dir / "cc")

    @property
    def cxx(self) -> str:
        return str(self.bin_dir / "c++")

    @property
    def ar(self) -> str:
        return str(self.bin_dir / "ar")

    @property
    def ranlib(self) -> str:
        return str(self.bin_dir / "ranlib")

    @property
    def host_cc(self) -> str:
        return str(self.bin_dir / "host-cc")

    def common_flags(self) -> list[str]:
        """Flags every target compile gets: reproducible paths, no implicit sanitizers."""
        return [
            f"-ffile-prefix-map={self.work_dir}={BUILD_PREFIX_MAP}",
            f"-ffile-prefix-map={self.zig.lib_dir}={ZIG_PREFIX_MAP}",
            # zig cc turns UBSan on for unoptimised compiles (configure probes); never want it.
            "-fno-sanitize=undefined",
            # zig cc emits debug info by default: without it objects are 5x smaller and the
            # build is faster (sqlite3.c: 39 s -> 34 s). A later -g in a build's flags wins.
            "-g0",
        ]

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment for build commands: wrappers first on PATH, fixed time and locale."""
        env = {k: v for k, v in base.items() if not k.startswith(("CFLAGS", "LDFLAGS", "CPP"))}
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{base.get('PATH', '/usr/bin:/bin')}",
            CC=self.cc,
            CXX=self.cxx,
            AR=self.ar,
            RANLIB=self.ranlib,
            LC_ALL="C",
            TZ="UTC",
            SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
            ZERO_AR_DATE="1",
            ZIG_GLOBAL_CACHE_DIR=str(self.cache_dir / "global"),
            ZIG_LOCAL_CACHE_DIR=str(self.cache_dir / "local"),
        )
        return env


def _wrapper(zig: Path, command: str, extra: list[str]) -> str:
    args = " ".join(f"'{a}'" for a in extra)
    return f'#!/bin/sh\nexec "{zig}" {command} {args} "$@"\n'


def make_toolchain(
    zig: Zig, target: Target, bin_dir: Path, work_dir: Path, cache_dir: Path
) -> Toolchain:
    """Write the wrapper scripts into ``bin_dir`` and return the Toolchain that uses them."""
    tc = Toolchain(zig, target, bin_dir, work_dir, cache_dir)
    flags = ["-target", target.zig_target, *tc.common_flags()]
    host_flags = ["-target", "x86_64-linux-gnu", *tc.common_flags()]
    scripts = {
        "cc": _wrapper(zig.executable, "cc", flags),
        "c++": _wrapper(zig.executable, "c++", flags),
        "ar": _wrapper(zig.executable, "ar", []),
        "ranlib": _wrapper(zig.executable, "ranlib", []),
        # Generators that run during a build (ncurses' tables) need a compiler for this host.
        "host-cc": _wrapper(zig.executable, "cc", host_flags),
    }
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
    return tc
