"""sqlite, from the amalgamation: one C file, compiled with the features CPython's tests use.

Debian ships sqlite's full source tree; its amalgamation is generated once (it needs tclsh and
a host compiler) and shared by every target. sqlite's autoconf tarball already holds it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ....errors import StandaloneBuildError
from ..context import BuildContext
from .base import Library

_FEATURES = (
    "-DSQLITE_ENABLE_DBSTAT_VTAB",
    "-DSQLITE_ENABLE_FTS3",
    "-DSQLITE_ENABLE_FTS3_PARENTHESIS",
    "-DSQLITE_ENABLE_FTS4",
    "-DSQLITE_ENABLE_FTS5",
    "-DSQLITE_ENABLE_GEOPOLY",
    "-DSQLITE_ENABLE_RTREE",
    "-DSQLITE_ENABLE_MATH_FUNCTIONS",
    "-DSQLITE_THREADSAFE=1",
    "-DHAVE_USLEEP=1",
    "-DHAVE_LOCALTIME_R=1",
    "-DHAVE_GMTIME_R=1",
)


def _prepare_sqlite(ctx: BuildContext, src: Path) -> None:
    done = src / ".pyoxidizer-amalgamation"
    shipped = not (src / "tool" / "mksqlite3c.tcl").exists()
    if done.exists() or (shipped and (src / "sqlite3.c").exists()):
        return
    if shutil.which("tclsh") is None:
        raise StandaloneBuildError(
            "Generating sqlite's amalgamation (sqlite3.c) from its full source tree needs "
            "tclsh, which is not installed; run scripts/install-system-deps.sh (Debian package "
            "tcl) or use sqlite's autoconf tarball."
        )
    host = {"CC": ctx.toolchain.host_cc, "BCC": ctx.toolchain.host_cc, "CFLAGS": "-O1"}
    ctx.run("sqlite", ["./configure", "--disable-tcl", "--disable-shared"], src, host)
    ctx.reporter.stage("generating sqlite's amalgamation (shared by all targets)")
    ctx.run("sqlite", ["make", f"-j{ctx.jobs}", "sqlite3.c"], src, host)
    done.write_text("", encoding="utf-8")


def _build_sqlite(ctx: BuildContext, src: Path) -> None:
    ctx.compile_archive("sqlite", src, ["sqlite3.c"], "sqlite3", _FEATURES)
    ctx.install_headers(src, ["sqlite3.h", "sqlite3ext.h"])


SQLITE = Library(
    "sqlite",
    "sqlite",
    ("sqlite3",),
    (),
    ("LICENSE.md",),
    _build_sqlite,
    public_domain=True,
    prepare=_prepare_sqlite,
)
