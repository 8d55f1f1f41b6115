"""CPython 3.11: configured so every extension module it can build is compiled in statically.

Modules/Setup.stdlib is switched on and ``MODULE_BUILDTYPE=static`` turns every module in it
into a builtin. The
modules 3.11 still builds through setup.py get explicit static rules in ``Setup.local``, and
the ones this builder leaves out are listed there as ``*disabled*`` so setup.py builds nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...errors import StandaloneBuildError
from .context import BuildContext
from .recipes import Library
from .workspace import Workspace

INSTALL_PREFIX = "/install"

# Modules left out on purpose, with the reason recorded in the archive's metadata.
LEFT_OUT: dict[str, str] = {
    "_tkinter": "Tcl/Tk is not built (a GUI toolkit has no place in a single-file executable)",
    "_gdbm": "GNU dbm is not built (GPL, and rarely needed)",
    "_dbm": "no ndbm or Berkeley DB library is built",
    "nis": "NIS needs libnsl/libtirpc, which are not built (deprecated module)",
    "xxlimited": "an example module, only buildable as a shared library",
    "xxlimited_35": "an example module, only buildable as a shared library",
    "_testimportmultiple": "tests loading shared-library extension modules",
    "_testmultiphase": "tests loading shared-library extension modules",
    "_ctypes_test": "a shared library that ctypes tests load by file name",
    "_testinternalcapi": "as a builtin it breaks the link of CPython's bootstrap freezer",
}

# One line per module: makesetup has no continuation lines, and it copies any line holding a
# "=" into the Makefile as a variable, so -D flags carry no values (they default to 1).
_SETUP_LOCAL = (
    "# Written by pyoxidizer: the modules CPython 3.11 would otherwise build with setup.py.\n"
    "*static*\n"
    "_ctypes _ctypes/_ctypes.c _ctypes/callbacks.c _ctypes/callproc.c _ctypes/stgdict.c "
    "_ctypes/cfield.c -DHAVE_FFI_PREP_CIF_VAR -DHAVE_FFI_PREP_CLOSURE_LOC "
    "-DHAVE_FFI_CLOSURE_ALLOC -I{prefix}/include -lffi -ldl\n"
    "readline readline.c -I{prefix}/include -lreadline -lncursesw\n"
    "_curses _cursesmodule.c -DHAVE_NCURSESW -D_XOPEN_SOURCE_EXTENDED -I{prefix}/include "
    "-lncursesw\n"
    "_curses_panel _curses_panel.c -DHAVE_NCURSESW -D_XOPEN_SOURCE_EXTENDED "
    "-I{prefix}/include -lpanelw -lncursesw\n"
    "\n"
    "*disabled*\n"
    "{disabled}\n"
)

# Functions newer than glibc 2.17 that CPython's configure finds in zig's headers (which
# declare everything) but that the 2.17 link stubs lack; answering "no" keeps the floor.
_NEWER_THAN_GLIBC_2_17 = (
    "copy_file_range",
    "close_range",
    "explicit_bzero",
    "getrandom",
    "memfd_create",
    "pidfd_open",
    "preadv2",
    "pwritev2",
    "renameat2",
    "statx",
    "fexecve",
    "posix_spawn_file_actions_addclosefrom_np",
    "eventfd",
)


@dataclass(frozen=True)
class CPythonBuild:
    """A finished CPython build tree and its installation."""

    build_dir: Path
    install_dir: Path
    version: str


def setup_local(prefix: Path) -> str:
    return _SETUP_LOCAL.format(prefix=prefix, disabled="\n".join(sorted(LEFT_OUT)))


def configure_args(ctx: BuildContext) -> list[str]:
    args = [
        f"--prefix={INSTALL_PREFIX}",
        "--disable-shared",
        "--without-ensurepip",
        "--with-system-expat",
        "--with-system-ffi",
        "--enable-loadable-sqlite-extensions",
        f"--with-openssl={ctx.prefix}",
        "--with-openssl-rpath=no",
        "--with-readline=readline",
        "--with-dbmliborder=",
        "MODULE_BUILDTYPE=static",
        # CPython's default optimisation without -g: smaller objects, faster builds. zig cc
        # hands clang -O2 for -O3 and keeps frame pointers; -Xclang -O3 and
        # -fomit-frame-pointer make the code what -O3 means (start-up 6-9% fewer
        # instructions, level with a gcc -O3 build: docs/benchmarks.md).
        "OPT=-DNDEBUG -fwrapv -O3 -Xclang -O3 -fomit-frame-pointer -Wall",
    ]
    if not ctx.toolchain.target.musl:
        args += [f"ac_cv_func_{name}=no" for name in _NEWER_THAN_GLIBC_2_17]
    return args


def _environment(ctx: BuildContext) -> dict[str, str]:
    include, lib = ctx.prefix / "include", ctx.prefix / "lib"
    # zig links its own C runtime objects, whose debug info names the zig cache and the
    # directory they were first compiled in: strip it so executables do not vary by machine.
    ldflags = f"-L{lib} -Wl,--strip-debug" + (" -static" if ctx.toolchain.target.musl else "")
    return {
        # zig makes __DATE__/__TIME__ (getbuildinfo.c) an error; with SOURCE_DATE_EPOCH set
        # they expand to that fixed date, so the warning has nothing left to protect.
        "CFLAGS": "-fPIC -Wno-date-time",
        "CPPFLAGS": f"-I{include}",
        "LDFLAGS": ldflags,
        # Only this prefix's .pc files: the host's would add its own include paths.
        "PKG_CONFIG_LIBDIR": str(lib / "pkgconfig"),
        "PKG_CONFIG_PATH": "",
    }


# On Linux, CPython 3.11's configure leaves Modules/Setup.stdlib out of makesetup's inputs (only
# the WebAssembly platforms use it) and builds those modules with setup.py as shared libraries.
_SETUP_STDLIB_OFF = "  *) :\n    MODULES_SETUP_STDLIB=\n ;;"
_SETUP_STDLIB_ON = "  *) :\n    MODULES_SETUP_STDLIB=Modules/Setup.stdlib\n ;;"


def use_setup_stdlib(configure: str) -> str:
    """``configure`` with Modules/Setup.stdlib turned on for every platform."""
    if _SETUP_STDLIB_OFF not in configure:
        raise StandaloneBuildError(
            "CPython's configure script lacks the MODULES_SETUP_STDLIB switch this recipe "
            "turns on (is it CPython 3.11?)."
        )
    return configure.replace(_SETUP_STDLIB_OFF, _SETUP_STDLIB_ON)


# A fully static executable has no dynamic loader: dlopen(NULL) fails, and ctypes would fail to
# import because it opens the running program at import time (bpo-37060). Without a loader
# there is nothing pythonapi could call through anyway, so it becomes None there.
_CTYPES_PYTHONAPI = "else:\n    pythonapi = PyDLL(None)\n"
_CTYPES_PYTHONAPI_STATIC = (
    "else:\n"
    "    try:\n"
    "        pythonapi = PyDLL(None)\n"
    "    except OSError:  # a static executable cannot dlopen itself\n"
    "        pythonapi = None\n"
)


def ctypes_for_static(source: str) -> str:
    """Lib/ctypes/__init__.py made importable in an executable without a dynamic loader."""
    if _CTYPES_PYTHONAPI not in source:
        raise StandaloneBuildError(
            "Lib/ctypes/__init__.py lacks the pythonapi assignment this recipe adapts for "
            "static executables (is it CPython 3.11?)."
        )
    return source.replace(_CTYPES_PYTHONAPI, _CTYPES_PYTHONAPI_STATIC)


def _edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def build(
    ctx: BuildContext, src: Path, work: Workspace, libraries: Sequence[Library]
) -> CPythonBuild:
    """Configure, build and install CPython into ``work.stage/python/install``."""
    _edit(src / "configure", use_setup_stdlib)
    if ctx.toolchain.target.musl:
        _edit(src / "Lib" / "ctypes" / "__init__.py", ctypes_for_static)
    (src / "Modules" / "Setup.local").write_text(setup_local(ctx.prefix), encoding="utf-8")
    env = _environment(ctx)
    ctx.run("cpython", ["./configure", *configure_args(ctx)], src, env)
    ctx.run("cpython", ["make", f"-j{ctx.jobs}"], src, env)
    # make install lands in a fresh stage: nothing from an earlier run may reach the archive.
    shutil.rmtree(work.stage, ignore_errors=True)
    stage = work.stage / "python"
    ctx.run("cpython", ["make", "install", f"DESTDIR={stage}"], src, env)
    build = existing(work, _version(src))
    _install_missing_tests(src / "Lib", build.install_dir / "lib" / f"python{_short(build)}")
    return build


def _short(build: CPythonBuild) -> str:
    return ".".join(build.version.split(".")[:2])


def _install_missing_tests(lib: Path, stdlib: Path) -> None:
    """Copy the test packages ``make install`` forgot (3.11.2 omits test_sqlite3, test_tomllib).

    Its list of test directories is maintained by hand and lagged behind in early 3.11.
    """
    for init in sorted((lib / "test").rglob("__init__.py")):
        package = init.parent.relative_to(lib)
        if not (stdlib / package).exists():
            shutil.copytree(lib / package, stdlib / package)


def existing(work: Workspace, version: str) -> CPythonBuild:
    """The CPython build an earlier run left in the work directory."""
    install = work.stage / "python" / INSTALL_PREFIX.strip("/")
    return CPythonBuild(work.build_dir("cpython"), install, version)


def _version(src: Path) -> str:
    for line in (src / "Include" / "patchlevel.h").read_text(encoding="utf-8").splitlines():
        if line.startswith("#define PY_VERSION "):
            return line.split('"')[1]
    return "unknown"
