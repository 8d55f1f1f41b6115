"""A host CPython installation used as the distribution to embed.

The interpreter is asked about itself once (one subprocess); everything else reads the
answer. A usable host has a static ``libpython3.X.a`` to link the launcher against.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxidizer._proc import Runner, TimedOut, run
from pyoxidizer.errors import DistributionError

if TYPE_CHECKING:
    from pyoxidizer.pythondist.standalone import StandaloneParts

HOST_TARGET = "x86_64-unknown-linux-gnu"

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
    """The CPython to embed.

    Every stage reads the shared fields: ``python_exe`` runs on the build machine (it
    compiles bytecode and runs pip), ``stdlib_dir``, ``version``, ``cache_tag`` and
    ``ext_suffix`` describe what gets packaged. How the launcher is made differs: a host
    interpreter (``standalone`` None) links its static libpython with its own compiler; a
    python-build-standalone archive links its objects with zig for ``target``.
    """

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
    builtin_modules: frozenset[str]  # always compiled in (standalone: in_core or required)
    target: str = HOST_TARGET
    standalone: StandaloneParts | None = None

    @property
    def source(self) -> str:
        """What the distribution is, for messages: the archive or the interpreter."""
        return self.standalone.source if self.standalone else str(self.python_exe)

    @property
    def pip_command(self) -> tuple[str, ...]:
        """The command that runs pip with this distribution's interpreter."""
        return self.standalone.pip if self.standalone else (str(self.python_exe), "-m", "pip")

    @property
    def version_string(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def identity(self) -> str:
        """A key that changes when the installation (its static library) changes."""
        if self.standalone is not None:
            return self.standalone.sha256[:16]
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


PROBE_TIMEOUT = 60  # seconds; a healthy interpreter answers in well under one

# The probe's answer: key -> the JSON type it must have.
_PROBE_SHAPE: dict[str, type] = {
    "executable": str,
    "version": list,
    "cache_tag": str,
    "stdlib": str,
    "dynload": str,
    "include": str,
    "static_lib": str,
    "libs": str,
    "cc": str,
    "ext_suffix": str,
    "builtins": list,
    "gil_disabled": bool,
}


def probe_interpreter(python_exe: str, runner: Runner = run) -> Mapping[str, object]:
    """Ask ``python_exe`` about itself (one subprocess); the parsed JSON answer."""
    what = f"Python interpreter {python_exe!r}"
    try:
        proc = runner([python_exe, "-I", "-S", "-c", _PROBE], timeout=PROBE_TIMEOUT)
    except OSError as exc:
        raise DistributionError(f"cannot run {what}: {exc.strerror}") from None
    except TimedOut:
        raise DistributionError(
            f"{what} did not answer within {PROBE_TIMEOUT} seconds; is it a Python interpreter?"
        ) from None
    if not proc.ok:
        tail = proc.tail(1) or "(no output)"
        raise DistributionError(f"{what} failed to start (exit {proc.returncode}): {tail}")
    try:
        info = json.loads(proc.stdout)
    except ValueError:
        raise DistributionError(
            f"{what} did not answer the probe with JSON; is it a CPython interpreter?"
        ) from None
    if not isinstance(info, dict):
        raise DistributionError(f"{what} answered the probe with something other than an object")
    return info


def distribution_from_probe(python_exe: str, info: Mapping[str, object]) -> Distribution:
    """The distribution an interpreter's probe answer describes, if it can be embedded."""
    what = f"Python interpreter {python_exe!r}"
    _check_probe_shape(what, info)
    version = _version(what, info["version"])
    if version[:2] not in SUPPORTED:
        wanted = ", ".join(f"{a}.{b}" for a, b in SUPPORTED)
        raise DistributionError(
            f"{what} is CPython {'.'.join(map(str, version))}; supported versions are {wanted}"
        )
    if info["gil_disabled"]:
        raise DistributionError(f"{what} is a free-threaded build; not supported yet")
    static_lib = Path(str(info["static_lib"]))
    if not static_lib.name.endswith(".a") or not static_lib.is_file():
        raise DistributionError(
            f"{what} has no static libpython ({static_lib} not found); it cannot be embedded. "
            "Use a CPython built with a static library (e.g. pyenv's)"
        )
    builtins = info["builtins"]
    assert isinstance(builtins, list)
    return Distribution(
        python_exe=Path(str(info["executable"])),
        version=version,
        cache_tag=str(info["cache_tag"]),
        stdlib_dir=Path(str(info["stdlib"])),
        dynload_dir=Path(str(info["dynload"])),
        include_dir=Path(str(info["include"])),
        static_lib=static_lib,
        link_libs=_link_flags(str(info["libs"])),
        cc=tuple(shlex.split(str(info["cc"]))) or ("cc",),
        ext_suffix=str(info["ext_suffix"]),
        builtin_modules=frozenset(str(name) for name in builtins),
    )


def _check_probe_shape(what: str, info: Mapping[str, object]) -> None:
    for key, kind in _PROBE_SHAPE.items():
        if not isinstance(info.get(key), kind):
            raise DistributionError(
                f"{what} gave an unexpected answer to the probe ({key!r} is missing or not a "
                f"{kind.__name__}); is it CPython 3.10 or newer?"
            )


def _version(what: str, value: object) -> tuple[int, int, int]:
    if (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return (value[0], value[1], value[2])
    raise DistributionError(f"{what} reported a malformed version {value!r}")


def probe_host_distribution(python_exe: str, runner: Runner = run) -> Distribution:
    """Ask ``python_exe`` where its parts are; fail clearly if it cannot be embedded."""
    return distribution_from_probe(python_exe, probe_interpreter(python_exe, runner))
