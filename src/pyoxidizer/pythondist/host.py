"""A host CPython installation used as the distribution to embed.

The interpreter is asked about itself once (one subprocess); everything else reads the
answer. A usable host has a static ``libpython3.X.a`` to link the launcher against.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer.errors import DistributionError

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))

_PROBE = r"""
import json, os, sys, sysconfig
v = sysconfig.get_config_var
libpl = v("LIBPL") or ""
print(json.dumps({
    "executable": os.path.realpath(sys.executable),
    "version": list(sys.version_info[:3]),
    "cache_tag": sys.implementation.cache_tag,
    "stdlib": sysconfig.get_path("stdlib"),
    "dynload": v("DESTSHARED") or os.path.join(sysconfig.get_path("platstdlib"), "lib-dynload"),
    "include": sysconfig.get_path("include"),
    "static_lib": os.path.join(libpl, v("LIBRARY") or ""),
    "libs": " ".join(filter(None, [v("LIBS"), v("SYSLIBS"), v("MODLIBS"), v("LOCALMODLIBS")])),
    "cc": v("CC") or "cc",
    "ext_suffix": v("EXT_SUFFIX"),
    "builtins": sorted(sys.builtin_module_names),
    "gil_disabled": bool(v("Py_GIL_DISABLED")),
}))
"""


@dataclass(frozen=True)
class Distribution:
    python_exe: Path
    version: tuple[int, int, int]
    cache_tag: str
    stdlib_dir: Path
    dynload_dir: Path
    include_dir: Path
    static_lib: Path
    link_libs: tuple[str, ...]
    cc: tuple[str, ...]
    ext_suffix: str
    builtin_modules: frozenset[str]

    @property
    def version_string(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def identity(self) -> str:
        """A key that changes when the installation (its static library) changes."""
        stat = self.static_lib.stat()
        text = f"{self.python_exe}|{self.version_string}|{stat.st_size}|{stat.st_mtime_ns}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _link_flags(libs: str) -> tuple[str, ...]:
    """Keep only library flags: the build's -L/-rpath would point into the prefix."""
    flags = [f for f in shlex.split(libs) if f.startswith("-l") or f == "-pthread"]
    for extra in ("-lpthread", "-ldl", "-lutil", "-lm"):
        if extra not in flags:
            flags.append(extra)
    return tuple(dict.fromkeys(flags))


def probe_host_distribution(python_exe: str) -> Distribution:
    """Ask ``python_exe`` where its parts are; fail clearly if it cannot be embedded."""
    try:
        proc = subprocess.run(
            [python_exe, "-I", "-S", "-c", _PROBE], capture_output=True, text=True, timeout=60
        )
    except OSError as exc:
        raise DistributionError(
            f"cannot run Python interpreter {python_exe!r}: {exc.strerror}"
        ) from exc
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise DistributionError(f"Python interpreter {python_exe!r} failed to start: {tail[0]}")
    info = json.loads(proc.stdout)
    version = tuple(info["version"])
    if version[:2] not in SUPPORTED:
        wanted = ", ".join(f"{a}.{b}" for a, b in SUPPORTED)
        raise DistributionError(
            f"Python interpreter {python_exe!r} is CPython {'.'.join(map(str, version))}; "
            f"supported versions are {wanted}"
        )
    if info["gil_disabled"]:
        raise DistributionError(
            f"Python interpreter {python_exe!r} is a free-threaded build; not supported yet"
        )
    static_lib = Path(info["static_lib"])
    if not static_lib.name.endswith(".a") or not static_lib.is_file():
        raise DistributionError(
            f"Python interpreter {python_exe!r} has no static libpython ({static_lib} not found); "
            "it cannot be embedded. Use a CPython built with a static library (e.g. pyenv's)"
        )
    return Distribution(
        python_exe=Path(info["executable"]),
        version=(version[0], version[1], version[2]),
        cache_tag=info["cache_tag"],
        stdlib_dir=Path(info["stdlib"]),
        dynload_dir=Path(info["dynload"]),
        include_dir=Path(info["include"]),
        static_lib=static_lib,
        link_libs=_link_flags(info["libs"]),
        cc=tuple(shlex.split(info["cc"])) or ("cc",),
        ext_suffix=info["ext_suffix"],
        builtin_modules=frozenset(info["builtins"]),
    )
