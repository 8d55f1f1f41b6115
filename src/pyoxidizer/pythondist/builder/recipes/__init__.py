"""One recipe per dependency library, in build order (readline needs ncurses)."""

from __future__ import annotations

from .autotools import LIBFFI, NCURSES, READLINE, XZ
from .base import Library
from .openssl import OPENSSL
from .simple import BZIP2, EXPAT, LIBUUID, ZLIB
from .sqlite import SQLITE
from .zstd import ZSTD

LIBRARIES: tuple[Library, ...] = (
    ZLIB,
    BZIP2,
    XZ,
    LIBFFI,
    EXPAT,
    LIBUUID,
    SQLITE,
    NCURSES,
    READLINE,
    OPENSSL,
    ZSTD,
)
# Built for pyoxidizer's launcher, not for CPython: shipped in build/lib and build/include.
LAUNCHER_LIBRARIES: tuple[Library, ...] = (ZSTD,)

__all__ = ["LAUNCHER_LIBRARIES", "LIBRARIES", "Library"]
