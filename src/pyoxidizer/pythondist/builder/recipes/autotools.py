"""Libraries built through their own configure scripts, trimmed to the static library."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..context import BuildContext
from .base import Library


def _build_xz(ctx: BuildContext, src: Path) -> None:
    ctx.configure(
        "xz",
        src,
        [
            "--disable-shared",
            "--enable-static",
            "--disable-xz",
            "--disable-xzdec",
            "--disable-lzmadec",
            "--disable-lzmainfo",
            "--disable-lzma-links",
            "--disable-scripts",
            "--disable-doc",
            "--disable-nls",
            "--disable-rpath",
        ],
    )
    ctx.make("xz", src / "src" / "liblzma")
    ctx.make("xz", src / "src" / "liblzma", "install")


def _build_libffi(ctx: BuildContext, src: Path) -> None:
    # Static trampolines need a temp-file helper that libffi 3.4 only declares for glibc.
    args = [
        "--disable-shared",
        "--enable-static",
        "--disable-docs",
        "--disable-multi-os-directory",
        "--disable-exec-static-tramp",
    ]
    ctx.configure("libffi", src, args)
    ctx.make("libffi", src)
    ctx.make("libffi", src, "install")


def _build_ncurses(ctx: BuildContext, src: Path) -> None:
    ctx.configure(
        "ncurses",
        src,
        [
            "--without-shared",
            "--with-normal",
            "--without-debug",
            "--without-cxx",
            "--without-cxx-binding",
            "--without-ada",
            "--without-tests",
            "--without-progs",
            "--without-manpages",
            "--enable-widec",
            "--enable-overwrite",
            "--disable-db-install",
            "--disable-stripping",
            "--without-pkg-config",
            # Its table generators run during the build, so they need this host's compiler.
            f"--with-build-cc={ctx.toolchain.host_cc}",
            # Where terminal descriptions live on the machines that will run the executable.
            "--with-default-terminfo-dir=/usr/share/terminfo",
            "--with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo",
        ],
    )
    ctx.make("ncurses", src, "libs")
    ctx.make("ncurses", src, "install.libs")


_READLINE_HEADERS = [
    "readline.h",
    "history.h",
    "keymaps.h",
    "rlconf.h",
    "rlstdc.h",
    "chardefs.h",
    "rltypedefs.h",
    "tilde.h",
]


def _build_readline(ctx: BuildContext, src: Path) -> None:
    args = ["--disable-shared", "--enable-static", "--with-curses", "--disable-install-examples"]
    ctx.configure("readline", src, args)
    ctx.make("readline", src, "libreadline.a", "libhistory.a")
    lib = ctx.prefix / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    for name in ("libreadline.a", "libhistory.a"):
        shutil.copyfile(src / name, lib / name)
    ctx.install_headers(src, _READLINE_HEADERS, "readline")


XZ = Library("xz", "xz", ("lzma",), (), ("COPYING",), _build_xz, public_domain=True)
LIBFFI = Library("libffi", "libffi", ("ffi",), ("MIT",), ("LICENSE",), _build_libffi)
NCURSES = Library(
    "ncurses", "ncurses", ("ncursesw", "panelw"), ("X11",), ("COPYING",), _build_ncurses
)
READLINE = Library(
    "readline",
    "readline",
    ("readline", "history"),
    ("GPL-3.0-or-later",),
    ("COPYING",),
    _build_readline,
)
