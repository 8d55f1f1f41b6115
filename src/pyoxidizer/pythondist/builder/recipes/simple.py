"""Libraries small enough to compile file by file, without running their build systems.

Skipping configure saves a minute per library and target; these sources need no probing.
"""

from __future__ import annotations

from pathlib import Path

from ..context import BuildContext
from .base import Library

_ZLIB_SOURCES = [
    "adler32",
    "compress",
    "crc32",
    "deflate",
    "gzclose",
    "gzlib",
    "gzread",
    "gzwrite",
    "infback",
    "inffast",
    "inflate",
    "inftrees",
    "trees",
    "uncompr",
    "zutil",
]


def _build_zlib(ctx: BuildContext, src: Path) -> None:
    sources = [f"{name}.c" for name in _ZLIB_SOURCES]
    flags = ["-DHAVE_UNISTD_H", "-DHAVE_STDARG_H", "-D_LARGEFILE64_SOURCE=1", "-DHAVE_HIDDEN"]
    ctx.compile_archive("zlib", src, sources, "z", flags)
    ctx.install_headers(src, ["zlib.h", "zconf.h"])


_BZIP2_SOURCES = [
    "blocksort",
    "huffman",
    "crctable",
    "randtable",
    "compress",
    "decompress",
    "bzlib",
]


def _build_bzip2(ctx: BuildContext, src: Path) -> None:
    sources = [f"{name}.c" for name in _BZIP2_SOURCES]
    ctx.compile_archive("bzip2", src, sources, "bz2", ["-D_FILE_OFFSET_BITS=64"])
    ctx.install_headers(src, ["bzlib.h"])


# Both the release tarball (lib/ at the top) and Debian's git snapshot (expat/lib/) work.
_EXPAT_CONFIG = """\
#define XML_NS 1
#define XML_DTD 1
#define XML_CONTEXT_BYTES 1024
#define BYTEORDER 1234
#define XML_DEV_URANDOM 1
#define HAVE_SYSCALL_GETRANDOM 1
#define HAVE_FCNTL_H 1
#define HAVE_UNISTD_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_MEMORY_H 1
#define STDC_HEADERS 1
"""


def _expat_root(src: Path) -> Path:
    return src / "expat" if (src / "expat" / "lib" / "xmlparse.c").exists() else src


def _build_expat(ctx: BuildContext, src: Path) -> None:
    lib = _expat_root(src) / "lib"
    (lib / "expat_config.h").write_text(_EXPAT_CONFIG, encoding="utf-8")
    sources = ["xmlparse.c", "xmlrole.c", "xmltok.c"]
    ctx.compile_archive("expat", lib, sources, "expat", ["-DHAVE_EXPAT_CONFIG_H", "-I."])
    ctx.install_headers(lib, ["expat.h", "expat_external.h"])


# util-linux is large; libuuid is fourteen files that need only a handful of feature macros,
# all of them available in glibc 2.17 and musl (getrandom() is reached through syscall()).
_UUID_CONFIG = """\
#define _GNU_SOURCE 1
#define HAVE_NANOSLEEP 1
#define HAVE_SYS_FILE_H 1
#define HAVE_SYS_IOCTL_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_UN_H 1
#define HAVE_NET_IF_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_UNISTD_H 1
#define HAVE_STDLIB_H 1
#define HAVE_ERR_H 1
#define HAVE_ERR 1
#define HAVE_ERRX 1
#define HAVE_WARN 1
#define HAVE_WARNX 1
#define HAVE_JRAND48 1
#define HAVE_LOCALE_H 1
#define HAVE_TLS 1
#define HAVE_SRANDOM 1
#define PACKAGE_STRING "util-linux libuuid"
"""
_UUID_SOURCES = tuple(
    [
        f"libuuid/src/{n}.c"
        for n in [
            "clear",
            "compare",
            "copy",
            "gen_uuid",
            "isnull",
            "pack",
            "parse",
            "unpack",
            "unparse",
            "uuid_time",
            "predefined",
        ]
    ]
    + ["lib/randutils.c", "lib/md5.c", "lib/sha1.c"]
)


def _build_libuuid(ctx: BuildContext, src: Path) -> None:
    (src / "pyoxidizer-config.h").write_text(_UUID_CONFIG, encoding="utf-8")
    flags = ["-include", "pyoxidizer-config.h", "-Iinclude", "-Ilibuuid/src"]
    ctx.compile_archive("libuuid", src, _UUID_SOURCES, "uuid", flags)
    ctx.install_headers(src, ["libuuid/src/uuid.h"], "uuid")


ZLIB = Library("zlib", "zlib", ("z",), ("Zlib",), ("LICENSE",), _build_zlib)
BZIP2 = Library("bzip2", "bzip2", ("bz2",), ("bzip2-1.0.6",), ("LICENSE",), _build_bzip2)
EXPAT = Library("expat", "expat", ("expat",), ("MIT",), ("COPYING", "expat/COPYING"), _build_expat)
LIBUUID = Library(
    "libuuid",
    "util-linux",
    ("uuid",),
    ("BSD-3-Clause",),
    ("libuuid/COPYING",),
    _build_libuuid,
    optional=True,
)
